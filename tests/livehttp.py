"""A tiny HTTP "browser" for tests that talk to a real server over a socket.

Used by the live-Apache, gunicorn and threading tests: one cookie jar per visitor,
no automatic redirects, forms posted with the page's CSRF token (plain or multipart).
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import secrets
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
# Test servers use self-signed certificates on 127.0.0.1: encrypt, don't verify.
TEST_TLS = ssl.create_default_context()
TEST_TLS.check_hostname = False
TEST_TLS.verify_mode = ssl.CERT_NONE


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Reply:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> dict:
        return json.loads(self.body)


class Browser:
    """One visitor of ``base_url`` with its own cookie jar."""

    def __init__(self, base_url: str, timeout: float = 30):
        self.base_url = base_url
        self.timeout = timeout
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect(),
            urllib.request.HTTPSHandler(context=TEST_TLS))

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> Reply:
        req = urllib.request.Request(self.base_url + path, data=body, method=method,
                                     headers=headers or {})
        try:
            with self.opener.open(req, timeout=self.timeout) as resp:
                return Reply(resp.status, dict(resp.headers), resp.read())
        except urllib.error.HTTPError as err:
            with err:
                return Reply(err.code, dict(err.headers), err.read())

    def get(self, path: str, **headers) -> Reply:
        return self.request("GET", path, headers=headers)

    def csrf_token(self, path: str = "/login") -> str:
        page = self.get(path)
        match = CSRF_RE.search(page.text)
        assert match, f"no csrf-token on {path}: {page.status} {page.text[:300]}"
        return match.group(1)

    def post_form(self, path: str, fields: dict, files: dict | None = None) -> Reply:
        """POST ``fields`` (+ ``files``: name -> (filename, bytes, type)) with the CSRF token."""
        fields = {"csrf_token": self.csrf_token(path), **fields}
        # Like a browser: over HTTPS, Flask-WTF also checks that Referer is this site.
        referer = {"Referer": self.base_url + path}
        if not files:
            body = urllib.parse.urlencode(fields).encode()
            return self.request("POST", path, body,
                                {"Content-Type": "application/x-www-form-urlencoded", **referer})
        boundary = "bugzot" + secrets.token_hex(8)
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                 f"{value}\r\n".encode() for name, value in fields.items()]
        for name, (filename, data, ctype) in files.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                         f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode()
                         + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        return self.request("POST", path, body,
                            {"Content-Type": f"multipart/form-data; boundary={boundary}", **referer})

    def login(self, username: str, password: str) -> Reply:
        reply = self.post_form("/login", {"login": username, "password": password})
        assert reply.status == 302, reply.text[:2000]
        return reply


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, seconds: float, describe) -> None:
    """Poll ``url`` until it answers 200; else fail with ``describe()`` (e.g. a log tail)."""
    deadline = time.monotonic() + seconds
    problem = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5, context=TEST_TLS) as resp:
                if resp.status == 200:
                    return
        except urllib.error.HTTPError as err:
            problem = f"HTTP {err.code}"
        except OSError as exc:
            problem = str(exc)
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 within {seconds:g} s ({problem}).\n{describe()}")
