#!/usr/bin/env python3
"""CPU per request, in-process: BugZot's pages through Flask's test client, no server.

    .venv/bin/python benchmarks/cpu_per_request.py                 # seeds 20,000 bugs first
    .venv/bin/python benchmarks/cpu_per_request.py --db-url postgresql+psycopg2://...  # as is

Logs in (by the login form, CSRF included) as a seeded user, an Employee by default
(``seed0001``), requests each page ``--requests`` times after a warm-up, and prints per
request the CPU time of this Python process (``time.process_time``) and of the
PostgreSQL backends serving it (from /proc), and the wall time. Without ``--db-url`` it
creates a database ``bench_cpu_<random>``, seeds it with ``flask seed`` and drops it.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
RARE_WORD = "quuxolotl"


def backend_cpu(pids: set[int]) -> float:
    """CPU seconds used so far by the PostgreSQL backends ``pids`` (read from /proc)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def measure(db_url: str, username: str, password: str, requests: int, pages: list[str] | None,
            cache: bool = True) -> list[tuple[str, float, float, float]]:
    """(path, Python CPU ms, PostgreSQL CPU ms, wall ms) per request of each page."""
    import sqlalchemy as sa

    from bugzot import create_app
    from bugzot.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": secrets.token_hex(16),
                      "SLOW_REQUEST_MS": 60_000, **({} if cache else {"PAGE_CACHE_BYTES": 0})},
                     instance_path=tempfile.mkdtemp())
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    reply = client.post("/login", data={"login": username, "password": password,
                                        "csrf_token": token})
    if reply.status_code != 302:
        raise SystemExit(f"could not log in as {username}: {reply.status_code}")
    with app.app_context():
        count = db.session.scalar(sa.text("SELECT count(*) FROM bugs"))
        middle = db.session.scalar(sa.text(
            "SELECT min(id) FROM bugs WHERE NOT is_private AND id >= :m"), {"m": count // 2})
        db.session.remove()
        engine = db.engine
        pages = pages or [f"/bugs/{middle}", "/bugs", f"/bugs?q={RARE_WORD}&status=all"]
        results = []
        with engine.connect() as probe:  # PostgreSQL: the backends of this database
            def backends() -> set[int]:
                return set(probe.scalars(sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()")))

            for path in pages:
                for _ in range(max(10, requests // 10)):  # warm-up: caches, connections
                    if client.get(path).status_code != 200:
                        raise SystemExit(f"{path} does not answer 200")
                pids = backends()
                cpu, db_cpu, wall = time.process_time(), backend_cpu(pids), time.perf_counter()
                for _ in range(requests):
                    client.get(path)
                results.append((path, 1000 * (time.process_time() - cpu) / requests,
                                1000 * (backend_cpu(pids | backends()) - db_cpu) / requests,
                                1000 * (time.perf_counter() - wall) / requests))
    return results


def seeded_database(bugs: int, admin_url: str) -> tuple[str, str]:
    """A fresh database seeded with ``bugs`` bugs: (its URL, its name)."""
    import sqlalchemy as sa

    name = f"bench_cpu_{secrets.token_hex(4)}"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    instance = Path(tempfile.mkdtemp(prefix="bugzot-cpu-"))
    (instance / "config.py").write_text(f"SQLALCHEMY_DATABASE_URI = {url!r}\nSECRET_KEY = 'x'\n")
    env = {**os.environ, "BUGZOT_INSTANCE_PATH": str(instance)}
    app = f"bugzot:create_app(instance_path={str(instance)!r})"
    for args in (["init-db"], ["seed", "--bugs", str(bugs), "--rare-word", RARE_WORD]):
        subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", app, *args],
                       cwd=ROOT, env=env, check=True, capture_output=True, timeout=1800)
    return url, name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-url", help="measure this (seeded) database instead of a new one")
    parser.add_argument("--bugs", type=int, default=20_000, help="bugs to seed a new database with")
    parser.add_argument("--user", default="seed0001", help="seed0001 is an Employee, seed0002 a Reporter")
    parser.add_argument("--password", default="seed-password")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--page", action="append", help="a path to measure (repeatable)")
    parser.add_argument("--pg-admin-url", default=ADMIN_URL)
    parser.add_argument("--no-page-cache", action="store_true",
                        help="build every page from its data (PAGE_CACHE_BYTES = 0)")
    args = parser.parse_args()
    db_url, name = (args.db_url, None) if args.db_url else seeded_database(args.bugs, args.pg_admin_url)
    try:
        rows = measure(db_url, args.user, args.password, args.requests, args.page,
                       cache=not args.no_page_cache)
    finally:
        if name:
            import sqlalchemy as sa

            engine = sa.create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            engine.dispose()
    print(f"# CPU per request, in-process (Flask test client), as {args.user}, {args.requests} "
          f"requests each, {'no page cache' if args.no_page_cache else 'page cache'}; "
          f"load average {os.getloadavg()[0]:.1f}")
    for path, python, postgres, wall in rows:
        print(f"{path[:40]:<40} python {python:6.2f} ms  postgres {postgres:5.2f} ms  "
              f"total {python + postgres:6.2f} ms  wall {wall:6.2f} ms")
    if rows:
        print(f"# median python ms over pages: {statistics.median(r[1] for r in rows):.2f}")


if __name__ == "__main__":
    main()
