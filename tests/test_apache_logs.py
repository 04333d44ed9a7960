"""Log rotation under a real Apache httpd (marker ``apache``): the piped ``rotatelogs``
logs of ``apache-config`` appear, rotate and are pruned; the logrotate variant's
snippet rotates the plain files and Apache reopens them.

Each test starts its own short-lived Apache through ``tests/test_apache.py``'s
``_running_site`` with a rotation period of a few seconds, so a rotation happens
within the test; requests keep the logs busy meanwhile.
"""

from __future__ import annotations

import functools
import gzip
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from apache_support import ROOT
from apache_support import generate as _generate
from apache_support import running_site as _running_site
from test_apache import _windows_config_on_linux

pytestmark = pytest.mark.apache

PERIOD = 2  # seconds per log file
KEEP = 2


def _linux_rotating(*extra: str):
    """A configure function for ``_running_site``: the Linux standalone config plus ``extra``."""
    return lambda site, port: _linux_config(site, port, extra)


def _linux_config(site, port: int, extra: tuple[str, ...]) -> list[str]:
    _generate(["--standalone", "--root", str(ROOT), "--python-home", sys.prefix, "--host", "127.0.0.1",
               "--listen", f"127.0.0.1:{port}", "--processes", "1", "--threads", "4", *extra,
               "--output", str(site.conf)], site.instance)
    return []


def _series(folder: Path, name: str) -> list[Path]:
    """The dated files of the log ``name`` (plain or gzipped), oldest first."""
    pattern = re.compile(rf"^{re.escape(name)}\.[0-9-]+\.log(\.gz)?$")
    return sorted(p for p in folder.iterdir() if pattern.match(p.name))


def _read(path: Path) -> str:
    data = path.read_bytes()
    return (gzip.decompress(data) if path.suffix == ".gz" else data).decode(errors="replace")


def _eventually(check, seconds: float = 8, step: float = 0.2):
    """Poll ``check()`` until it returns a true value; return it (or the last value)."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def _traffic(site, seconds: float, tag: str) -> int:
    """Requests spread over ``seconds`` (so they span rotations); returns how many."""
    browser, count, deadline = site.browser(), 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert browser.get(f"/_health?{tag}={count}").status == 200
        count += 1
        time.sleep(0.1)
    return count


def test_rotatelogs_files_appear_rotate_and_are_pruned():
    configure = _linux_rotating("--log-period", str(PERIOD), "--log-keep", str(KEEP))
    with _running_site(configure, internal_redirect=True) as site:
        folder = site.conf.parent
        conf = site.conf.read_text()
        assert f"BUGZOT_LOG_KEEP={KEEP} '/usr/bin/rotatelogs' -l -f -D -L" in conf
        # -f: every log exists from the start, the stable name a hard link to the current file.
        for name in ("bugzot-error", "bugzot-access", "bugzot-httpd-error", "bugzot-httpd-access"):
            link = folder / f"{name}.log"
            assert _eventually(lambda link=link: link.exists()), f"{link} missing\n{site.log_tail()}"
            assert any(os.path.samefile(link, p) for p in _series(folder, name))

        first = _series(folder, "bugzot-access")[-1]
        sent = _traffic(site, 3 * PERIOD + 0.5, "before")
        assert sent > 10
        later = _series(folder, "bugzot-access")[-1]
        assert later.name != first.name, "no rotation within three periods"

        # prune-logs ran after each rotation: at most KEEP files, the closed one gzipped.
        kept = _eventually(lambda: len(_series(folder, "bugzot-access")) <= KEEP and
                           _series(folder, "bugzot-access"))
        assert kept and len(kept) <= KEEP, [p.name for p in _series(folder, "bugzot-access")]
        assert not first.exists() and not Path(f"{first}.gz").exists()  # the oldest went
        older = [p for p in kept if p.suffix == ".gz"]
        assert older, [p.name for p in kept]
        assert os.path.samefile(folder / "bugzot-access.log", kept[-1])

        # The requests landed in the files: the newest ones in the current file.
        seen = "".join(_read(p) for p in kept)
        assert f"GET /_health?before={sent - 1} HTTP/1.1\" 200" in seen
        # The app's own log lines reach the site's (rotating) error log.
        assert "INFO in " in "".join(_read(p) for p in _series(folder, "bugzot-error"))
        assert not site.wsgi_problems(), site.wsgi_problems()


def test_windows_piped_logs_rotate_in_the_server_roots_logs_folder():
    """The Windows config's rotatelogs.exe lines (logs/ relative to ServerRoot), on Linux's Apache."""
    configure = functools.partial(_windows_config_on_linux, log_args=("--log-period", str(PERIOD)))
    with _running_site(configure, internal_redirect=False) as site:
        logs = site.conf.parent / "logs"
        conf = site.conf.read_text()
        assert (f"CustomLog \"|'{site.conf.parent}/bin/rotatelogs.exe' -l -f -D "
                "'logs/bugzot-access.%Y-%m-%d-%H%M%S.log' 2\"") in conf
        assert "-L" not in conf and "prune-logs" not in conf  # neither on Windows
        first = _eventually(lambda: _series(logs, "bugzot-access"))
        assert first, site.log_tail()
        _traffic(site, 2 * PERIOD + 0.5, "win")
        files = _series(logs, "bugzot-access")
        assert len(files) >= 2 and files[-1].name != first[0].name
        assert all(p.suffix == ".log" for p in files)  # nothing compresses or deletes them
        assert "/_health?win=" in "".join(p.read_text() for p in files)
        assert _series(logs, "bugzot-error")


def test_logrotate_snippet_rotates_and_apache_reopens(tmp_path):
    snippet = tmp_path / "bugzot.logrotate"
    configure = _linux_rotating("--log-rotation", "logrotate", "--log-keep", "3",
                                "--logrotate-output", str(snippet))
    with _running_site(configure, internal_redirect=True) as site:
        folder = site.conf.parent
        access = folder / "bugzot-access.log"
        assert "ErrorLog \"" + str(folder / "bugzot-error.log") + '"' in site.conf.read_text()
        assert site.browser().get("/_health?first=1").status == 200
        assert _eventually(lambda: "first=1" in access.read_text())
        text = snippet.read_text()
        assert f'kill -USR1 "$(cat "{folder}/bugzot-httpd.pid")"' in text and "rotate 3" in text

        state = tmp_path / "logrotate.state"
        done = subprocess.run(["logrotate", "-f", "-s", str(state), str(snippet)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        rotated = folder / "bugzot-access.log.1"
        assert "first=1" in rotated.read_text()  # delaycompress: not yet gzipped

        # After the graceful restart Apache writes to a new bugzot-access.log. (While it
        # restarts, an old child may still log a request into the rotated file: each
        # probe has its own marker, and the one found in the new file is not in the old.)
        probes = []

        def reopened():
            probes.append(f"second={len(probes) + 1}&")
            site.browser().get(f"/_health?{probes[-1]}")
            return access.exists() and probes[-1] in access.read_text()
        assert _eventually(reopened, seconds=20, step=0.5), site.log_tail()
        assert probes[-1] not in rotated.read_text()
