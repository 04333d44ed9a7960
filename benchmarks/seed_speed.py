#!/usr/bin/env python3
"""How fast ``flask seed`` fills a fresh PostgreSQL (or SQLite) database, in bugs/s.

    .venv/bin/python benchmarks/seed_speed.py --bugs 1000000          # the issue's figure
    .venv/bin/python benchmarks/seed_speed.py --bugs 200000 --runs 2 --compare /tmp/old

Each run creates its own database (``bench_seed_<random>`` on 127.0.0.1:5432 by default,
or a temporary SQLite file with ``--sqlite``), runs ``flask init-db`` and then ``flask
seed`` as a subprocess with a time limit, prints the seed's own line (bugs/s as the
command reports it) and the wall time of the command, checks the seeded counts and
that the rare word is found through the full-text index, and drops the database.
``--compare DIR`` also runs the checkout in DIR (e.g. ``git worktree``/``git archive``
of the old code) with this venv, alternating with this checkout's code, so both are
measured under the same machine load.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
RARE_WORD = "quuxolotl"
ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


def admin(url: str, statement: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


def flask(code_root: Path, instance: Path, args: list[str], timeout: float) -> str:
    env = {**os.environ, "PYTHONPATH": str(code_root), "BUGZOT_INSTANCE_PATH": str(instance)}
    app = f"bugzot:create_app(instance_path={str(instance)!r})"
    result = subprocess.run([str(VENV_BIN / "flask"), "--app", app, *args], cwd=code_root,
                            env=env, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise SystemExit(f"flask {args[0]} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def check(db_url: str, bugs: int, comments_per_bug: int) -> str:
    """Counts and a full-text lookup of the rare word, straight from the database."""
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        counted = conn.execute(sa.text(
            "SELECT (SELECT count(*) FROM bugs), (SELECT count(*) FROM comments)")).one()
        if conn.dialect.name == "postgresql":
            hits = conn.scalar(sa.text(
                "SELECT count(*) FROM bug_search WHERE public_tsv @@ to_tsquery('english', :w)"),
                {"w": RARE_WORD})
        else:
            hits = conn.scalar(sa.text("SELECT count(*) FROM bug_search WHERE bug_search MATCH :w"),
                               {"w": RARE_WORD})
    engine.dispose()
    if tuple(counted) != (bugs, bugs * comments_per_bug):
        raise SystemExit(f"seeded {tuple(counted)}, expected {(bugs, bugs * comments_per_bug)}")
    return f"{hits:,} bugs hold the rare word ({100 * hits / max(bugs, 1):.2f}%)"


def one_run(code_root: Path, args: argparse.Namespace) -> float:
    """Seed a fresh database with the code in ``code_root``; the bugs/s it reported."""
    tmp = Path(tempfile.mkdtemp(prefix="bugzot-seed-speed-"))
    name = f"bench_seed_{secrets.token_hex(4)}"
    import sqlalchemy as sa

    if args.sqlite:
        db_url = f"sqlite:///{tmp / 'seed.sqlite'}"
    else:
        admin(args.pg_admin_url, f'CREATE DATABASE "{name}"')
        db_url = sa.make_url(args.pg_admin_url).set(database=name).render_as_string(
            hide_password=False)
    try:
        instance = tmp / "instance"
        instance.mkdir()
        (instance / "config.py").write_text(
            f"SECRET_KEY = {secrets.token_hex(16)!r}\nSQLALCHEMY_DATABASE_URI = {db_url!r}\n"
            "ARGON2_TIME_COST = 1\nARGON2_MEMORY_COST = 1024\nARGON2_PARALLELISM = 1\n")
        flask(code_root, instance, ["init-db"], 300)
        started = time.perf_counter()
        out = flask(code_root, instance, ["seed", "--bugs", str(args.bugs), "--comments-per-bug",
                                          str(args.comments_per_bug), "--rare-word", RARE_WORD,
                                          "--rare-percent", "1"], args.timeout)
        wall = time.perf_counter() - started
        line = out.splitlines()[0]
        rate = float(re.search(r"\(([\d,]+) bugs/s\)", line).group(1).replace(",", ""))
        print(f"{code_root}: {line} command wall time {wall:.1f} s; "
              f"{check(db_url, args.bugs, args.comments_per_bug)}; load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)
        return rate
    finally:
        if not args.sqlite:
            admin(args.pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bugs", type=int, default=200_000)
    parser.add_argument("--comments-per-bug", type=int, default=3)
    parser.add_argument("--runs", type=int, default=1, help="runs of each checkout, alternating")
    parser.add_argument("--compare", type=Path, help="another checkout to measure alternately")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    parser.add_argument("--pg-admin-url", default=ADMIN_URL)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per seed")
    args = parser.parse_args()
    roots = [ROOT] + ([args.compare.resolve()] if args.compare else [])
    rates: dict[Path, list[float]] = {root: [] for root in roots}
    print(f"# flask seed --bugs {args.bugs:,} --comments-per-bug {args.comments_per_bug}, "
          f"{'SQLite' if args.sqlite else 'PostgreSQL'}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    for _ in range(args.runs):
        for root in roots:
            rates[root].append(one_run(root, args))
    for root, measured in rates.items():
        print(f"{root}: {', '.join(f'{r:,.0f}' for r in measured)} bugs/s")


if __name__ == "__main__":
    main()
