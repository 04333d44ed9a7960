"""A throwaway Redis server on a free loopback port (rate-limit and multi-server tests).

``scripts/test.sh`` installs ``redis-server``; the server keeps nothing on disk and
is stopped by its pid when the block ends, also when a test fails.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from livehttp import free_port


@contextmanager
def running_redis() -> Iterator[str]:
    """Start ``redis-server`` on 127.0.0.1; yields its URL (``redis://127.0.0.1:PORT/0``)."""
    binary = shutil.which("redis-server")
    assert binary, "redis-server is not installed: run scripts/test.sh (it installs it)"
    port = free_port()
    folder = tempfile.mkdtemp(prefix="bugzot-redis-")
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
         "--dir", folder, "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
