#!/usr/bin/env python3
"""Benchmark BugZot's hot pages with wrk, against a "hello" Flask app as the ceiling.

    .venv/bin/python benchmarks/bench.py                      # 20,000 bugs, 3 comments each
    .venv/bin/python benchmarks/bench.py --bugs 1000000       # the scale test

It creates a fresh PostgreSQL database (127.0.0.1:5432 by default), seeds it with
``flask seed`` (1% of the descriptions hold one rare word), serves BugZot under
Apache + mod_wsgi daemon mode, 2 processes x 4 threads, from the config that
``flask apache-config --standalone`` renders (the built-in-free gunicorn with the
same 2 x 4 layout when Apache cannot be used; the report says which), on a
loopback port, logs in as a seeded Reporter, and runs ``wrk`` (2 threads, 8
connections, 10 s, median of 3 runs) on: one bug page, the default 50-row list, a
keyword search with ~1% hits, a sorted, filtered list 100 pages deep, and a
minimal Flask "hello" app served the same way. Each page is measured twice in the
same run: with the page cache, and on the same app started with PAGE_CACHE_BYTES = 0
(the "(built)" lines: every page built from its data); then the bug page again while
a comment is saved on another bug once a second (every write moves the cache's
freshness token, so pages are built again). One line per page: req/s, p50,
p99 and the ratio to hello, against issue 15's goals (``--reference`` an earlier
20,000-bug output to judge a 1,000,000-bug run against its own ratios). Then the
CPU per request of the bug page as an Employee, in-process
(benchmarks/cpu_per_request.py). Everything is bounded by timeouts and cleaned up.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.measuring import USER_AGENT, free_port, log, measure, run, wait_for  # noqa: E402
from bugzot.search.cursors import encode_cursor  # noqa: E402

VENV_BIN = Path(sys.executable).parent
RARE_WORD = "quuxolotl"
# Issue 15's goals, as ratios to the hello page in the same run (absolute req/s move with
# the machine's neighbours): name -> (min ratio, max p99 ms or None) at 20,000 bugs; at
# 1,000,000 within 1.5x of these (``--reference``: of the figures of an earlier 20k run).
TARGETS = {"bug page": (0.15, 40), "50-row list": (0.15, None), "keyword search": (0.12, None)}
CPU_GOAL_MS = 4.0  # CPU per request, in-process, bug page as an Employee
APACHE_USER = "www-data"


# -- database and instance -------------------------------------------------------------
def create_database(admin_url: str, name: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        # Web requests are short and concurrent: parallel query only adds start-up cost.
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET max_parallel_workers_per_gather = 0'))
    engine.dispose()
    return sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def write_instance(instance: Path, db_url: str, port: int, secret: str, extra: str = "") -> None:
    instance.mkdir(parents=True)
    (instance / "config.py").write_text(
        f"SECRET_KEY = {secret!r}\n"
        f"SQLALCHEMY_DATABASE_URI = {db_url!r}\n"
        f"BASE_URL = 'http://127.0.0.1:{port}'\n"
        f"MAIL_OUTBOX = {str(instance / 'outbox')!r}\n"
        "ARGON2_TIME_COST = 1\nARGON2_MEMORY_COST = 1024\nARGON2_PARALLELISM = 1\n"
        "SLOW_REQUEST_MS = 10_000\n" + extra)


def flask(instance: Path, *args: str, timeout: float = 3600) -> str:
    app = f"bugzot:create_app(instance_path={str(instance)!r})"
    env = {**os.environ, "BUGZOT_INSTANCE_PATH": str(instance)}  # what the config generator reads
    return run([str(VENV_BIN / "flask"), "--app", app, *args], timeout, cwd=ROOT, env=env).stdout


# -- servers ----------------------------------------------------------------------------
def apache_usable() -> str | None:
    """Why Apache cannot be used here, or None when it can."""
    if not (ROOT / "bugzot" / "deploy").is_dir():
        return "the deployment config generator (bugzot/deploy) is missing"
    if not shutil.which("apache2"):
        return "apache2 is not installed (scripts/install-apache.sh)"
    if os.geteuid() != 0:
        return "Apache is started as root (it drops to www-data); run the benchmark as root"
    return None


@contextmanager
def apache_server(instance: Path, folder: Path, port: int, layout: tuple[int, int],
                  wsgi_dir: Path | None = None):
    """Apache from `flask apache-config --standalone`, daemon mode 2 x 4, on 127.0.0.1:port.

    ``wsgi_dir`` replaces BugZot's wsgi/ folder (the hello app), all else unchanged.
    """
    folder.mkdir(parents=True)
    conf = folder / "httpd.conf"
    flask(instance, "apache-config", "--standalone", "--root", str(ROOT), "--python-home",
          sys.prefix, "--host", "127.0.0.1", "--listen", f"127.0.0.1:{port}", "--processes",
          str(layout[0]), "--threads", str(layout[1]), "--output", str(conf), timeout=120)
    text = conf.read_text()
    if wsgi_dir is not None:
        text = text.replace(str(ROOT / "wsgi"), str(wsgi_dir))
    # Access logs cost a write per request; a benchmark of the app should not measure them.
    conf.write_text(re.sub(r"^\s*CustomLog .*$", "", text, flags=re.M))
    env = {**os.environ, "BUGZOT_INSTANCE_PATH": str(instance)}
    run(["apache2", "-t", "-f", str(conf)], 60)
    run(["apache2", "-f", str(conf), "-k", "start"], 60, env=env)
    try:
        yield (f"Apache {apache_version()} + mod_wsgi daemon mode, {layout[0]} processes x "
               f"{layout[1]} threads")
    finally:
        pid_files = list(folder.rglob("*.pid"))
        for pid_file in pid_files:
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
        time.sleep(1.5)


def apache_version() -> str:
    out = subprocess.run(["apache2", "-v"], capture_output=True, text=True).stdout
    match = re.search(r"Apache/([\d.]+)", out)
    return match.group(1) if match else "?"


@contextmanager
def gunicorn_server(wsgi_file: Path, instance: Path, port: int):
    """gunicorn gthread, 2 workers x 4 threads (when Apache cannot be used)."""
    env = {**os.environ, "BUGZOT_INSTANCE_PATH": str(instance)}
    proc = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--threads", "4", "--worker-class", "gthread", "--chdir", str(wsgi_file.parent.parent),
         "--log-level", "warning", f"--pythonpath={wsgi_file.parent.parent}",
         "wsgi_module:application"],
        env={**env, "PYTHONPATH": str(wsgi_file.parent.parent)}, cwd=str(wsgi_file.parent.parent))
    try:
        yield "gunicorn gthread, 2 workers x 4 threads (Apache unavailable)"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- client ------------------------------------------------------------------------------
class Session:
    """A logged-in browser session (urllib + a cookie jar)."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        # Flask-Login's strong session protection ties the session to the User-Agent, so
        # wrk must send the same one.
        self.opener.addheaders = [("User-Agent", USER_AGENT)]

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as reply:
            return reply.read().decode()

    def login(self, username: str, password: str) -> None:
        page = self.get("/login")
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({"login": username, "password": password,
                                       "csrf_token": token}).encode()
        with self.opener.open(self.base + "/login", data=data, timeout=30) as reply:
            reply.read()
        if "Log out" not in self.get("/"):
            raise SystemExit(f"could not log in as {username}")

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)


@contextmanager
def comment_writer(session: Session, bug_path: str, per_second: float):
    """A comment posted on ``bug_path`` ``per_second`` times a second while the block
    runs (each write moves the page cache's freshness token: every page is built again
    once). Yields a list that holds the count of comments saved."""
    import threading

    saved, stop = [0], threading.Event()

    def post() -> None:
        while not stop.wait(1 / per_second):
            page = session.get(bug_path)
            fields = {"form": "comment", "comment": f"benchmark write {saved[0]}"}
            for name in ("csrf_token", "revision"):
                fields[name] = re.search(rf'name="{name}" value="([^"]+)"', page).group(1)
            data = urllib.parse.urlencode(fields).encode()
            try:
                with session.opener.open(session.base + bug_path, data=data, timeout=30) as reply:
                    reply.read()
                saved[0] += 1
            except urllib.error.HTTPError:
                pass

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    try:
        yield saved
    finally:
        stop.set()
        thread.join(35)


def deep_cursor_path(session: Session, path: str, pages: int) -> str:
    """Follow "Next" links ``pages`` times from ``path``; the URL of that page."""
    for _ in range(pages):
        match = re.search(r'rel="next" href="\?([^"]+)"', session.get(path))
        if not match:
            break
        path = path.split("?")[0] + "?" + match.group(1).replace("&amp;", "&")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bugs", type=int, default=20_000)
    parser.add_argument("--comments-per-bug", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--pg-admin-url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--db-name", default="bugzot_bench")
    parser.add_argument("--server", choices=("auto", "apache", "gunicorn"), default="auto")
    parser.add_argument("--keep-db", action="store_true", help="Do not drop the database afterwards.")
    parser.add_argument("--processes", type=int, default=2, help="mod_wsgi daemon processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per daemon process")
    parser.add_argument("--reuse-db", action="store_true",
                        help="Measure a database kept by an earlier --keep-db run (no seeding).")
    parser.add_argument("--reference", type=Path,
                        help="the output of an earlier 20,000-bug run: show each ratio against it")
    parser.add_argument("--cpu-requests", type=int, default=300,
                        help="in-process requests for the CPU-per-request figure (0: skip)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    why_not_apache = apache_usable()
    use_apache = args.server == "apache" or (args.server == "auto" and why_not_apache is None)
    if args.server == "apache" and why_not_apache:
        raise SystemExit(f"cannot use Apache: {why_not_apache}")

    tmp = Path(tempfile.mkdtemp(prefix="bugzot-bench-"))
    tmp.chmod(0o755)  # Apache's user reads the instance and the daemon sockets live here
    app_port, hello_port, built_port = free_port(), free_port(), free_port()
    instance, built_instance = tmp / "instance", tmp / "instance-built"
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, tmp, True)
        if args.reuse_db:
            import sqlalchemy as sa

            db_url = sa.make_url(args.pg_admin_url).set(database=args.db_name).render_as_string(
                hide_password=False)
        else:
            db_url = create_database(args.pg_admin_url, args.db_name)
        if not args.keep_db:
            stack.callback(drop_database, args.pg_admin_url, args.db_name)
        # The same app twice, one key: with its page cache, and without (every page built
        # from its data: the figures before the cache), measured in the same run.
        secret = secrets.token_hex(32)
        write_instance(instance, db_url, app_port, secret)
        write_instance(built_instance, db_url, built_port, secret, "PAGE_CACHE_BYTES = 0\n")
        flask(instance, "init-db", timeout=300)
        if args.reuse_db:
            seed_line = "database reused from an earlier run"
        else:
            log(f"seeding {args.bugs:,} bugs x {args.comments_per_bug} comments ...")
            seeded = flask(instance, "seed", "--bugs", str(args.bugs), "--comments-per-bug",
                           str(args.comments_per_bug), "--rare-word", RARE_WORD, "--rare-percent", "1")
            seed_line = seeded.splitlines()[0]
        log(seed_line)
        if use_apache:
            for entry in [tmp, *tmp.rglob("*")]:
                shutil.chown(entry, APACHE_USER, APACHE_USER)
            layout = (args.processes, args.threads)
            server = stack.enter_context(apache_server(instance, tmp / "server", app_port, layout))
            stack.enter_context(apache_server(built_instance, tmp / "built-server", built_port,
                                              layout))
            stack.enter_context(apache_server(instance, tmp / "hello-server", hello_port, layout,
                                              ROOT / "benchmarks" / "hello" / "wsgi"))
        else:
            app_wsgi = tmp / "app" / "wsgi_module.py"
            app_wsgi.parent.mkdir()
            app_wsgi.write_text(f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
                                f"from bugzot import create_app\n"
                                f"application = create_app(instance_path={str(instance)!r})\n")
            hello_wsgi = tmp / "hello" / "wsgi_module.py"
            hello_wsgi.parent.mkdir()
            shutil.copy(ROOT / "benchmarks" / "hello" / "wsgi" / "conf.wsgi", hello_wsgi)
            server = stack.enter_context(gunicorn_server(app_wsgi, instance, app_port))
            built_wsgi = tmp / "built" / "wsgi_module.py"
            built_wsgi.parent.mkdir()
            built_wsgi.write_text(app_wsgi.read_text().replace(str(instance), str(built_instance)))
            stack.enter_context(gunicorn_server(built_wsgi, built_instance, built_port))
            stack.enter_context(gunicorn_server(hello_wsgi, instance, hello_port))
        base, hello = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{hello_port}/"
        built = f"http://127.0.0.1:{built_port}"
        wait_for(base + "/login", 60)
        wait_for(built + "/login", 60)
        wait_for(hello, 60)

        session = Session(base)
        session.login("seed0002", "seed-password")  # a Reporter (see `flask seed` output)
        cookie = session.cookie_header()
        middle = encode_cursor(args.bugs // 2, args.bugs // 2)  # a public bug in the middle
        bug_id = re.search(r'<td><a href="/bugs/(\d+)">',
                           session.get(f"/bugs?sort=id&status=all&after={middle}")).group(1)
        pages = {
            "bug page": f"/bugs/{bug_id}",
            "50-row list": "/bugs",
            "keyword search": f"/bugs?q={RARE_WORD}&status=all",
            "deep sorted list": deep_cursor_path(
                session, "/bugs?product=Atlas&status=all&sort=-updated", 100),
        }
        for path in pages.values():
            session.get(path)  # fails loudly on an error page
        hits = re.search(r"<strong>([^<]+)</strong>\s*[^.<]*?bug", session.get(pages["keyword search"]))

        built_session = Session(built)  # (the same secret key: the same cookie would do)
        built_session.login("seed0002", "seed-password")
        built_cookie = built_session.cookie_header()
        rows = [("hello", measure(hello, args.runs, args.seconds, None))]
        for name, path in pages.items():
            log(f"measuring {name}: {path[:90]}")
            rows.append((name, measure(base + path, args.runs, args.seconds, cookie)))
            log(f"measuring {name} without the page cache")
            rows.append((f"{name} (built)", measure(built + path, args.runs, args.seconds,
                                                    built_cookie)))

        # The same bug page while someone comments on another bug once a second.
        other = re.search(r'<td><a href="/bugs/(\d+)">', session.get(
            f"/bugs?sort=id&status=all&after={encode_cursor(args.bugs // 3, args.bugs // 3)}")).group(1)
        log("measuring bug page while a comment is saved on another bug every second")
        with comment_writer(session, f"/bugs/{other}", 1.0) as saved:
            rows.append(("bug page, 1 write/s", measure(base + pages["bug page"], args.runs,
                                                        args.seconds, cookie)))
        writes_line = (f"# bug page, 1 write/s: {saved[0]} comments saved on bug {other} while "
                       "it was measured (each one moves the freshness token)")

        ceiling = rows[0][1][0][0]
        print(f"# BugZot benchmark {time.strftime('%Y-%m-%d %H:%M %Z')}: {args.bugs:,} bugs x "
              f"{args.comments_per_bug} comments, PostgreSQL, {server}")
        print(f"# wrk -t2 -c8 -d{args.seconds}s, median of {args.runs} runs; {seed_line}; "
              f"keyword hits: {hits.group(1) if hits else '?'}; {os.cpu_count()} CPUs, load average "
              f"{os.getloadavg()[0]:.1f} at the end (other work on the machine skews the figures)")
        factor = 1.0 if args.bugs <= 20_000 else 1.5
        reference = reference_ratios(args.reference) if args.reference else {}
        for name, ((rps, p50, p99), _) in rows:
            print(f"{name:<25} {rps:8.1f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  "
                  f"{rps / ceiling:5.3f}x hello{goal(name, rps / ceiling, p99, factor, reference)}")
        print(writes_line)
        print("# CPU ms per request (all runs of a page): Python WSGI processes, PostgreSQL, "
              "Apache workers; steal = the hypervisor's share of the machine")
        for name, (_, cpu) in rows:
            print(f"{name:<25} python {cpu['python']:6.2f}  postgres {cpu['postgres']:6.2f}  "
                  f"apache {cpu['apache']:5.2f}  steal {cpu['steal']:5.2f}")
        if args.cpu_requests:
            log("measuring CPU per request in-process (bug page as an Employee) ...")
            print(cpu_per_request(db_url, pages["bug page"], args.cpu_requests))
            print(cpu_per_request(db_url, pages["bug page"], args.cpu_requests, cache=False))


def goal(name: str, ratio: float, p99: float, factor: float, reference: dict[str, float]) -> str:
    """The goal of page ``name`` and whether this run meets it ("" for pages without one)."""
    if name not in TARGETS:
        return ""
    min_ratio, max_p99 = TARGETS[name]
    if name in reference:  # at scale: within ``factor`` of the small run's own ratio
        min_ratio = reference[name] / factor
    else:
        min_ratio /= factor
    max_p99 = max_p99 * factor if max_p99 else None
    met = ratio >= min_ratio and (max_p99 is None or p99 < max_p99)
    return (f"  goal >= {min_ratio:.3f}x" + (f", p99 < {max_p99:.0f} ms" if max_p99 else "")
            + (" (1/1.5 of the reference)" if name in reference else "")
            + (": met" if met else ": NOT met"))


def reference_ratios(path: Path) -> dict[str, float]:
    """Ratio to hello of each page in an earlier run's output."""
    found = re.findall(r"^(.+?)\s+[\d.]+ req/s .*? ([\d.]+)x hello", path.read_text(), re.M)
    return {name.strip(): float(ratio) for name, ratio in found}


def cpu_per_request(db_url: str, path: str, requests: int, cache: bool = True) -> str:
    """benchmarks/cpu_per_request.py's figure for the bug page as the seeded Employee
    (``cache``: with the page cache, as served; else every page built)."""
    out = run([sys.executable, str(ROOT / "benchmarks" / "cpu_per_request.py"), "--db-url", db_url,
               "--user", "seed0001", "--requests", str(requests), "--page", path,
               *([] if cache else ["--no-page-cache"])], 900).stdout
    line = next(line for line in out.splitlines() if line.startswith(path[:40]))
    total = float(re.search(r"total\s+([\d.]+) ms", line).group(1))
    what = "with the page cache" if cache else "built (no page cache)"
    return (f"# CPU per request, in-process (test client), bug page as an Employee, {what}, "
            f"{requests} requests:\n{line}\n  goal: Python + PostgreSQL <= {CPU_GOAL_MS} ms: "
            + ("met" if total <= CPU_GOAL_MS else "NOT met"))


if __name__ == "__main__":
    main()
