"""Reliability under load and faults: real Apache + mod_wsgi, real PostgreSQL, real Redis
(marker ``apache``).

One PostgreSQL cluster of our own (on a free port, so it can be restarted), one Redis,
and two Apache servers on two loopback ports sharing both, the attachment folder and
the secret key, as a scaled-out installation would.

- load: ``BUGZOT_LOAD_CLIENTS`` (64) clients for ``BUGZOT_LOAD_SECONDS`` (20 s; the
  issue's 60 s would take most of the suite's time budget on two cores) view bugs,
  search, comment and edit fields on a handful of shared bugs, so mid-air collisions
  happen. No 5xx; afterwards every acknowledged write is in the database exactly once,
  with its history row, and no refused one is.
- faults: under a lighter load a mod_wsgi daemon process is killed and PostgreSQL is
  restarted; the service answers again within seconds, Apache untouched (pool
  pre-ping), and no acknowledged write is lost.
- two servers: a session made on one works on the other, rate limits count across
  both, an attachment uploaded through one downloads through the other.

Figures are printed (run with ``-s`` to see them) and recorded in the report.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import shutil
import signal
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from apache_support import APACHE_USER, chown_tree, linux_config, running_site
from livehttp import Browser
from pg_support import running_postgres
from redis_support import running_redis

pytestmark = pytest.mark.apache

CLIENTS = int(os.environ.get("BUGZOT_LOAD_CLIENTS", "64"))
LOAD_SECONDS = float(os.environ.get("BUGZOT_LOAD_SECONDS", "20"))
FAULT_SECONDS = float(os.environ.get("BUGZOT_FAULT_SECONDS", "16"))
USERS = 16  # each logged in by CLIENTS / USERS clients
SHARED_BUGS = 16
PASSWORD = "reliability-test-passphrase"
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
REVISION_RE = re.compile(r'name="revision"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="revision"')
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')
PRIORITY_RE = re.compile(r'<select id="priority" name="priority">.*?<option selected value="([^"]+)"', re.S)


# -- the installation -------------------------------------------------------------------------
@dataclass
class Stack:
    db_url: str
    cluster: object
    sites: list
    bug_ids: list[int]
    engine: sa.Engine = field(repr=False, default=None)


def _seed(db_url: str, attachments: str) -> list[int]:
    """Schema, users and the shared bugs (through the services, as the app would)."""
    from flask_migrate import upgrade

    from bugzot import create_app
    from bugzot.extensions import db
    from bugzot.permissions import SYSTEM
    from bugzot.services import bugs, catalogue
    from bugzot.services.accounts import create_user
    from bugzot.services.commands import NewBug
    from bugzot.services.roles import ensure_default_roles

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": db_url, "ATTACHMENT_FOLDER": attachments,
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1})
    with app.app_context():
        upgrade()
        ensure_default_roles()
        users = [create_user(SYSTEM, f"load{n:02d}", f"load{n:02d}@example.com", PASSWORD,
                             role_name="Employee") for n in range(USERS)]
        create_user(SYSTEM, "limited", "limited@example.com", PASSWORD)
        cls = catalogue.save_classification(SYSTEM, None, name="Default")
        product = catalogue.save_product(SYSTEM, None, name="Widget", classification_id=cls.id)
        catalogue.save_component(SYSTEM, product, None, name="Engine", description="The engine.")
        catalogue.save_version(SYSTEM, product, None, value="1.0")
        ids = [bugs.file_bug(users[n % USERS], NewBug(
            product="Widget", component="Engine", version="1.0", summary=f"Shared kettle bug {n}",
            description="Under load.")).id for n in range(SHARED_BUGS)]
        db.engine.dispose()
    return ids


@pytest.fixture(scope="module")
def stack():
    with running_postgres() as cluster, running_redis() as redis_url:
        db_url = cluster.create_database("bugzot")
        shared = Path(tempfile.mkdtemp(prefix="bugzot-shared-"))
        shared.chmod(0o755)
        attachments = shared / "attachments"
        attachments.mkdir()
        try:
            bug_ids = _seed(db_url, str(attachments))
            chown_tree(shared, APACHE_USER)
            settings = {"SECRET_KEY": secrets.token_hex(32), "SQLALCHEMY_DATABASE_URI": db_url,
                        "ATTACHMENT_FOLDER": str(attachments), "RATELIMIT_STORAGE_URI": redis_url,
                        "RATELIMIT_LOGIN": "5000 per minute", "RATELIMIT_LOGIN_ACCOUNT": "5 per minute",
                        "LOG_LEVEL": "WARNING", "SLOW_REQUEST_MS": 5000}
            with running_site(linux_config, True, settings, seed_with=None, chown=(shared,)) as a, \
                    running_site(linux_config, True, settings, seed_with=None, chown=(shared,)) as b:
                engine = sa.create_engine(db_url, pool_pre_ping=True)
                yield Stack(db_url, cluster, [a, b], bug_ids, engine)
                engine.dispose()
        finally:
            shutil.rmtree(shared, ignore_errors=True)


# -- the load -------------------------------------------------------------------------------------
@dataclass
class Tally:
    """What the clients saw; appended to under a lock."""

    phase: str
    statuses: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)  # no HTTP answer at all
    acked: list[tuple[str, str, int, str | None]] = field(default_factory=list)  # marker, kind, bug, prio
    refused: list[str] = field(default_factory=list)  # 409: must not be in the database
    server_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, what: str, status: int) -> None:
        with self.lock:
            self.statuses[status] += 1
            if status >= 500:
                self.server_errors.append(f"{what} -> {status}")


def _login(site, n: int) -> Browser:
    browser = site.browser()
    browser.timeout = 60
    reply = browser.post_form("/login", {"login": f"load{n % USERS:02d}", "password": PASSWORD})
    assert reply.status == 302, reply.text[:500]
    return browser


def _client(n: int, browser: Browser, bug_ids: list[int], deadline: float, tally: Tally) -> None:
    rng = random.Random(n)
    step = 0
    while time.monotonic() < deadline:
        step += 1
        kind = rng.choices(("view", "search", "comment", "edit"), weights=(35, 25, 20, 20))[0]
        bug_id = rng.choice(bug_ids)
        try:
            if kind == "search":
                reply = browser.get("/bugs?" + urllib.parse.urlencode({"q": "kettle", "status": "all"}))
                tally.saw("search", reply.status)
                continue
            page = browser.get(f"/bugs/{bug_id}")
            tally.saw("view", page.status)
            if kind == "view" or page.status != 200:
                continue
            revision = next(g for g in REVISION_RE.search(page.text).groups() if g)
            marker = f"{tally.phase}-{n}-{step}-{secrets.token_hex(3)}"
            fields = {"csrf_token": CSRF_RE.search(page.text).group(1), "revision": revision,
                      "comment": marker}
            priority = None
            if kind == "edit":
                current = PRIORITY_RE.search(page.text).group(1)
                priority = fields["priority"] = rng.choice([p for p in PRIORITIES if p != current])
            reply = browser.request("POST", f"/bugs/{bug_id}", urllib.parse.urlencode(fields).encode(), {
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"{browser.base_url}/bugs/{bug_id}"})
            tally.saw(kind, reply.status)
            with tally.lock:
                if reply.status == 302:
                    tally.acked.append((marker, kind, bug_id, priority))
                elif reply.status == 409:
                    tally.refused.append(marker)
        except OSError as exc:  # no answer (a killed daemon, a restarting database)
            with tally.lock:
                tally.errors.append(f"{kind}: {exc}")


def _run_load(stack: Stack, phase: str, clients: int, seconds: float, during=None):
    """``clients`` clients (alternating between the servers) for ``seconds``; ``during``
    runs in this thread meanwhile (fault injection). Returns the tally and the time."""
    browsers = [_login(stack.sites[n % len(stack.sites)], n) for n in range(clients)]
    tally = Tally(phase)
    started = time.monotonic()
    deadline = started + seconds
    threads = [threading.Thread(target=_client, args=(n, b, stack.bug_ids, deadline, tally), daemon=True)
               for n, b in enumerate(browsers)]
    for thread in threads:
        thread.start()
    result = during(deadline) if during else None
    for thread in threads:
        thread.join(seconds + 120)
    assert not any(t.is_alive() for t in threads), "a load client hung"
    return tally, time.monotonic() - started, result


def _check_writes(stack: Stack, tally: Tally) -> dict:
    """Every acknowledged write exactly once, with its history row; no refused one."""
    with stack.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT body, bug_id, revision, author_id FROM comments WHERE body LIKE :phase"),
            {"phase": tally.phase + "-%"}).all()
        changes = {(r.bug_id, r.revision): r for r in conn.execute(sa.text(
            "SELECT bug_id, revision, user_id, new_value FROM bug_changes WHERE field = 'priority'"))}
    found = Counter(r.body for r in rows)
    by_marker = {r.body: r for r in rows}
    lost = [m for m, *_ in tally.acked if found[m] == 0]
    twice = [m for m, n in found.items() if n > 1]
    refused_but_written = [m for m in tally.refused if found[m]]
    unacked = set(found) - {m for m, *_ in tally.acked} - set(tally.refused)
    missing_history = []
    for marker, kind, bug_id, priority in tally.acked:
        row = by_marker.get(marker)
        if kind == "edit" and row is not None:
            change = changes.get((bug_id, row.revision))
            if change is None or change.new_value != priority or change.user_id != row.author_id:
                missing_history.append(marker)
    assert not lost, f"acknowledged writes lost: {lost[:5]}"
    assert not twice, f"writes stored twice: {twice[:5]}"
    assert not refused_but_written, f"refused (409) writes stored: {refused_but_written[:5]}"
    assert not missing_history, f"edits without their history row: {missing_history[:5]}"
    return {"acknowledged": len(tally.acked), "found": sum(found[m] for m, *_ in tally.acked),
            "refused_409": len(tally.refused), "stored_without_answer": len(unacked)}


def _report(title: str, tally: Tally, elapsed: float, writes: dict, extra: dict | None = None) -> None:
    requests = sum(tally.statuses.values())
    print(f"\n[{title}] {requests} requests in {elapsed:.1f} s ({requests / elapsed:.0f}/s), "
          f"statuses {dict(sorted(tally.statuses.items()))}, no-answer errors {len(tally.errors)}, "
          f"writes {writes}" + (f", {extra}" if extra else ""))


def test_load_with_midair_collisions_has_no_5xx_and_loses_no_write(stack):
    tally, elapsed, _ = _run_load(stack, "load", CLIENTS, LOAD_SECONDS)
    writes = _check_writes(stack, tally)
    _report(f"load: {CLIENTS} clients, {LOAD_SECONDS:g} s", tally, elapsed, writes)
    if tally.server_errors:
        for site in stack.sites:
            print("\n".join(site.wsgi_problems()[:200]))
    assert not tally.server_errors, tally.server_errors[:10]
    assert not tally.errors, tally.errors[:10]
    assert writes["acknowledged"] >= 20 and tally.statuses[409] > 0  # real writes, real collisions
    for site in stack.sites:
        assert not site.wsgi_problems(), site.wsgi_problems()[:5]


# -- faults -----------------------------------------------------------------------------------------
def _probe_until_ok(site, browser: Browser, bug_id: int, limit: float) -> float:
    """Seconds until a database-backed page answers 200 again."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            if browser.get(f"/bugs/{bug_id}").status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"no 200 within {limit:g} s after the fault\n{site.log_tail()}")


def _daemons(site) -> set[int]:
    """The pids of the site's mod_wsgi daemon processes (children of its Apache)."""
    parent = int(site.pid_file.read_text())
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                cmdline = fh.read()
        except OSError:
            continue
        if ppid == parent and b"wsgi:bugzot" in cmdline:
            found.add(int(entry))
    return found


def test_killed_daemon_and_restarted_database_recover_within_seconds(stack):
    site = stack.sites[0]
    probe = _login(site, 1)
    bug_id = stack.bug_ids[0]
    times: dict[str, float] = {}

    def faults(deadline: float) -> None:
        time.sleep(FAULT_SECONDS * 0.2)
        before = _daemons(site)
        assert len(before) == 2, before
        victim = max(before)
        os.kill(victim, signal.SIGKILL)  # mod_wsgi starts a new daemon process
        started = time.monotonic()
        times["daemon_killed_to_200"] = _probe_until_ok(site, probe, bug_id, 15)
        while victim in _daemons(site) or len(_daemons(site)) < 2:
            assert time.monotonic() - started < 30, "mod_wsgi did not replace the killed daemon"
            time.sleep(0.2)
        times["daemon_replaced"] = time.monotonic() - started
        time.sleep(max(0.0, deadline - time.monotonic() - FAULT_SECONDS * 0.5))
        times["postgres_restart"] = stack.cluster.restart()
        times["postgres_restarted_to_200"] = _probe_until_ok(site, probe, bug_id, 15)

    apache_pids = [int(each.pid_file.read_text()) for each in stack.sites]
    tally, elapsed, _ = _run_load(stack, "fault", max(8, CLIENTS // 4), FAULT_SECONDS, during=faults)
    writes = _check_writes(stack, tally)
    _report(f"faults: {max(8, CLIENTS // 4)} clients, {FAULT_SECONDS:g} s", tally, elapsed, writes,
            {k: round(v, 2) for k, v in times.items()})
    # 5xx only from the faults: requests inside the killed process (mod_wsgi's 500/502) and
    # those the database restart cut off (503 "database not reachable"); no Python traceback.
    print("server errors during the faults:", Counter(e.split(" -> ")[1] for e in tally.server_errors))
    tracebacks = [line for line in site.wsgi_problems() if "Traceback" in line]
    if tracebacks:
        Path("/tmp/bugzot-fault-log.txt").write_text(site.error_log.read_text(errors="replace"))
    assert not tracebacks, "\n".join(site.wsgi_problems()[:60])
    assert times["daemon_killed_to_200"] < 5 and times["postgres_restarted_to_200"] < 5, times
    # Apache itself was not restarted: the same parent process serves, and so do both servers
    for each, pid in zip(stack.sites, apache_pids, strict=True):
        assert each.browser().get("/_health").status == 200
        assert int(each.pid_file.read_text()) == pid and os.path.exists(f"/proc/{pid}")
    after = _login(site, 2).get(f"/bugs/{bug_id}")
    assert after.status == 200


# -- two servers ------------------------------------------------------------------------------------
def test_a_session_made_on_one_server_works_on_the_other(stack):
    a, b = stack.sites
    browser = Browser(a.base_url)
    browser.login("load03", PASSWORD)
    assert "Preferences for load03" in browser.get("/prefs").text
    browser.base_url = b.base_url  # same host, other port: the cookies go along
    assert "Preferences for load03" in browser.get("/prefs").text
    token = browser.csrf_token("/prefs")  # logging out on B ends the session on A too
    assert browser.request("POST", "/logout", urllib.parse.urlencode({"csrf_token": token}).encode(), {
        "Content-Type": "application/x-www-form-urlencoded", "Referer": b.base_url + "/prefs"}).status == 302
    browser.base_url = a.base_url
    assert browser.get("/prefs").status == 302


def test_rate_limits_count_across_both_servers(stack):
    statuses = []
    for n in range(6):
        site = stack.sites[n % 2]
        reply = site.browser().post_form("/login", {"login": "limited", "password": "wrong-password-x"})
        statuses.append(reply.status)
    assert statuses == [200, 200, 200, 200, 200, 429], statuses


def test_an_attachment_uploaded_through_one_server_downloads_through_the_other(stack):
    a, b = stack.sites
    browser = Browser(a.base_url)
    browser.login("load04", PASSWORD)
    bug_id = stack.bug_ids[-1]
    content = secrets.token_bytes(20_000)
    reply = browser.post_form(f"/bugs/{bug_id}/attachments", {"description": "Shared file"},
                              files={"file": ("trace.bin", content, "application/octet-stream")})
    assert reply.status == 302, reply.text[:2000]
    attachment = re.search(r"#a(\d+)", reply.headers["Location"]).group(1)
    browser.base_url = b.base_url
    download = browser.get(f"/attachments/{attachment}")
    assert download.status == 200 and download.body == content
