"""What ``bench.py`` measures with: running commands with time limits, ``wrk`` runs, and
the CPU time of the serving processes read from /proc."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

USER_AGENT = "bugzot-bench"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kwargs)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])}... failed:\n{result.stdout}\n{result.stderr}")
    return result


def wait_for(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


# -- wrk -----------------------------------------------------------------------------------
def wrk(url: str, seconds: int, cookie: str | None) -> tuple[float, float, float, int, int]:
    """(req/s, p50 ms, p99 ms, non-2xx/3xx responses, requests) of one wrk run."""
    args = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "--timeout", "5s",
            "-H", f"User-Agent: {USER_AGENT}", url]
    if cookie:
        args[1:1] = ["-H", f"Cookie: {cookie}"]
    out = run(args, seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def percentile(p: str) -> float:
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return rps, percentile("50"), percentile("99"), int(errors.group(1)) if errors else 0, requests


def cpu_seconds() -> dict[str, float]:
    """CPU seconds used so far by the Python WSGI processes (mod_wsgi daemons or
    gunicorn), PostgreSQL's processes, Apache's workers, and the whole machine's
    "steal" (time the hypervisor gave to other machines), read from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    totals = {"python": 0.0, "postgres": 0.0, "apache": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue  # the process ended meanwhile
        comm, fields = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
        used = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        if cmdline.startswith(b"(wsgi:") or b"gunicorn" in cmdline:
            totals["python"] += used
        elif comm == "postgres":
            totals["postgres"] += used
        elif comm in ("apache2", "httpd"):
            totals["apache"] += used
    cpu = Path("/proc/stat").read_text().split("\n", 1)[0].split()
    totals["steal"] = int(cpu[8]) / tick if len(cpu) > 8 else 0.0
    return totals


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def check_page(url: str, cookie: str | None) -> None:
    """The URL answers 200 to exactly the headers wrk sends (not a redirect to the login)."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(
        {"Cookie": cookie} if cookie else {})})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as reply:
            status = reply.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    if status != 200:
        raise SystemExit(f"{url} answers {status}, not 200: nothing to measure")


def measure(url: str, runs: int, seconds: int, cookie: str | None
            ) -> tuple[tuple[float, float, float], dict[str, float]]:
    """(req/s, p50, p99) of the median run, and CPU ms per request of each group of
    processes over all runs (``steal``: ms of the machine's CPU time per request)."""
    check_page(url, cookie)
    wrk(url, 2, cookie)  # warm-up: daemon processes, connections, caches
    results, requests, before = [], 0, cpu_seconds()
    for _ in range(runs):
        rps, p50, p99, errors, done = wrk(url, seconds, cookie)
        if errors:
            raise SystemExit(f"{url}: {errors} error responses")
        results.append((rps, p50, p99))
        requests += done
    after = cpu_seconds()
    results.sort()
    cpu = {name: 1000 * (after[name] - before[name]) / max(requests, 1) for name in after}
    return results[len(results) // 2], cpu  # the run with the median req/s


