#!/usr/bin/env python3
"""CPU per request of the hot pages, in-process, before and after a change.

    .venv/bin/python benchmarks/page_cpu.py                     # this tree alone
    .venv/bin/python benchmarks/page_cpu.py --before main       # main against this tree
    .venv/bin/python benchmarks/page_cpu.py --before main --db postgresql://127.0.0.1/bench

It seeds a database (a fresh SQLite file unless ``--db`` names one: then it must be
empty or already seeded by this script) with this tree's code, then starts one worker
process per code tree (``--before REF`` is exported with ``git archive`` into a
temporary folder and put first on the worker's ``PYTHONPATH``). Each worker builds an
app on the database, logs in an Employee and a Reporter through the login form, and
answers "run N GETs of page P" with the ``time.process_time`` those requests took in
the Flask test client (client included). The parent alternates the workers, page by
page, round by round, and prints ms per request and the after/before ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "seed-password"
PAGES = {  # name -> (who, URL; {bug} is a public bug in the middle)
    "bug page (Employee)": ("Employee", "/bugs/{bug}"),
    "bug page (Reporter)": ("Reporter", "/bugs/{bug}"),
    "50-row list (Reporter)": ("Reporter", "/bugs"),
    "keyword search (Reporter)": ("Reporter", "/bugs?q=quuxolotl&status=all"),
}


def _config(db_url: str, folder: str) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "page-cpu-benchmark",
            "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1,
            "RATELIMIT_ENABLED": False, "LOG_LEVEL": "WARNING",
            "MAIL_OUTBOX": os.path.join(folder, "outbox"),
            "ATTACHMENT_FOLDER": os.path.join(folder, "attachments")}


def prepare(db_url: str, folder: str, bugs: int) -> dict:
    """Seed the database (unless it already holds bugs); the logins and the bug to show."""
    from sqlalchemy import text

    from bugzot import create_app
    from bugzot.extensions import db

    app = create_app(_config(db_url, folder), instance_path=folder)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        have = db.session.scalar(text("SELECT count(*) FROM bugs"))
    if not have:
        result = runner.invoke(args=["seed", "--bugs", str(bugs), "--password", PASSWORD])
        assert result.exit_code == 0, result.output
        print(result.output.strip(), file=sys.stderr)
    with app.app_context():
        from bugzot.services.bugs import comments

        filled = comments.render_stored_html(db.session.connection())  # the seed writes none
        db.session.commit()
        if filled:
            print(f"stored HTML rendered for {filled:,} comments", file=sys.stderr)
        count = db.session.scalar(text("SELECT count(*) FROM bugs WHERE NOT is_private"))
        bug = db.session.scalar(text("SELECT id FROM bugs WHERE NOT is_private ORDER BY id "
                                     "LIMIT 1 OFFSET :n"), {"n": count // 2})
        logins = dict(db.session.execute(text(
            "SELECT r.name, min(u.username) FROM users u JOIN roles r ON r.id = u.role_id "
            "WHERE u.username LIKE 'seed%' AND u.is_active GROUP BY r.name")).all())
    return {"bug": bug, "logins": logins}


def worker(db_url: str, folder: str, setup: dict) -> None:
    """Answer {"page": name, "n": count} lines on stdin with {"ms": per request}."""
    from bugzot import create_app

    app = create_app(_config(db_url, folder), instance_path=folder)
    clients = {}
    for role in ("Employee", "Reporter"):
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        response = client.post("/login", data={"login": setup["logins"][role],
                                               "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        clients[role] = client
    import bugzot
    print(json.dumps({"ready": bugzot.__file__}), flush=True)
    for line in sys.stdin:
        order = json.loads(line)
        role, url = PAGES[order["page"]]
        url = url.format(bug=setup["bug"])
        client = clients[role]
        started = time.process_time()
        for _ in range(order["n"]):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        spent = time.process_time() - started
        print(json.dumps({"ms": spent * 1000 / order["n"]}), flush=True)


class Worker:
    """A worker process running the code in ``tree``."""

    def __init__(self, name: str, tree: Path, args: list[str]) -> None:
        env = dict(os.environ, PYTHONPATH=str(tree))
        self.name = name
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker", *args], cwd=tree,
                                     env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        ready = json.loads(self.proc.stdout.readline())
        print(f"{name}: {ready['ready']}", file=sys.stderr)

    def run(self, page: str, n: int) -> float:
        self.proc.stdin.write(json.dumps({"page": page, "n": n}) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())["ms"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bugs", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=300, help="GETs per page per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", help="a git ref to compare with (exported by git archive)")
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--pages", default="", help="only the pages whose name contains this")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.db, args.folder, json.loads(args.setup))
    with tempfile.TemporaryDirectory(prefix="bugzot-cpu-") as folder:
        db_url = args.db or f"sqlite:///{folder}/bench.sqlite"
        sys.path.insert(0, str(ROOT))
        setup = prepare(db_url, folder, args.bugs)
        trees = {"after": ROOT}
        if args.before:
            before = Path(folder) / "before"
            before.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before],
                                     check=True, capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
            trees = {"before": before, **trees}
        common = ["--db", db_url, "--folder", folder, "--setup", json.dumps(setup)]
        workers = [Worker(name, tree, common) for name, tree in trees.items()]
        pages = [p for p in PAGES if args.pages in p]
        try:
            for w in workers:  # warm-up: templates compiled, caches filled
                for page in pages:
                    w.run(page, 20)
            results: dict[str, dict[str, list[float]]] = {p: {w.name: [] for w in workers}
                                                          for p in pages}
            for _ in range(args.rounds):
                for page in pages:
                    for w in workers:
                        results[page][w.name].append(w.run(page, args.requests))
        finally:
            for w in workers:
                w.close()
    print(f"# CPU ms per request, {args.requests} GETs x {args.rounds} rounds, "
          f"{args.bugs:,} bugs, {db_url.split(':', 1)[0]}")
    for page, by in results.items():
        line = f"{page:28}" + "".join(f"  {name} " + " ".join(f"{ms:.2f}" for ms in runs)
                                      for name, runs in by.items())
        if "before" in by:
            best = min(by["after"]) / min(by["before"])
            middle = statistics.median(by["after"]) / statistics.median(by["before"])
            line += f"  after/before: best x{best:.2f}, median x{middle:.2f}"
        print(line)


if __name__ == "__main__":
    main()
