"""A throwaway PostgreSQL cluster of our own (initdb + pg_ctl on a free loopback port),
for tests that restart the server: never the machine's shared server.

Runs the server binaries as the ``postgres`` user (we are root); the cluster lives in
a temporary folder and is stopped with ``-m immediate`` and deleted at the end.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from livehttp import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    assert found, f"no PostgreSQL server binaries ({name}): run scripts/test.sh (it installs them)"
    return found[-1]


def _as_postgres(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    result = subprocess.run(["runuser", "-u", "postgres", "--", *args], capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@dataclass
class Cluster:
    """A running cluster: ``url(db)`` for a database on it, ``restart()`` to bounce it."""

    folder: str
    port: int

    @property
    def data(self) -> str:
        return os.path.join(self.folder, "data")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        _as_postgres(_bin("pg_ctl"), "-D", self.data, "-l", os.path.join(self.folder, "log"), *args)

    def start(self) -> None:
        self._ctl("-w", "-o", f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c max_connections=200 "
                              "-c fsync=off -c full_page_writes=off", "start")

    def restart(self) -> float:
        """Restart the server (fast: open connections are cut); returns the seconds it took."""
        started = time.monotonic()
        self._ctl("-w", "-m", "fast", "restart")
        return time.monotonic() - started

    def create_database(self, name: str) -> str:
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def log_tail(self, lines: int = 40) -> str:
        try:
            with open(os.path.join(self.folder, "log"), encoding="utf-8", errors="replace") as fh:
                return "".join(fh.readlines()[-lines:])
        except OSError:
            return ""


@contextmanager
def running_postgres() -> Iterator[Cluster]:
    """initdb + start a cluster on a free port; always stopped and deleted afterwards."""
    folder = tempfile.mkdtemp(prefix="bugzot-pg-")
    os.chmod(folder, 0o755)
    shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder, free_port())
    try:
        _as_postgres(_bin("initdb"), "-D", cluster.data, "-U", "postgres", "-A", "trust", "-E", "UTF8")
        cluster.start()
        yield cluster
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", _bin("pg_ctl"), "-D", cluster.data,
                        "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
