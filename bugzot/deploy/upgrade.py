"""``flask upgrade``: migrate the database to this code's schema and say what changed.

- Linux (mod_wsgi daemon mode): the new release is checked out *beside* the served one
  and this runs from there (``--no-reload``): the old daemon processes keep serving the
  old files while the migrations run; then the new release is put in place and
  ``wsgi/conf.wsgi`` touched, and the daemons restart on their next request with the new
  code (docs/DEPLOY-LINUX.md, "Upgrades"). Pulling the new files into the served folder
  first would let the old daemons load new templates, or restart onto the old schema.
  BugZot's migrations only add (tables, columns, indexes), so the old code keeps working
  on the new schema meanwhile.
- Windows: Apache runs BugZot inside ``httpd.exe``, which keeps ``mod_wsgi.pyd`` and
  every other extension module of the virtualenv loaded, and pip cannot replace a
  loaded file; nor can the old code be told to reload. So the upgrade refuses while
  any process has BugZot loaded, and names each one with the command that stops it.

``bugzot_processes`` finds them by what they have mapped (psutil), which works the
same on both systems; only the policy differs.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask


class UpgradeError(RuntimeError):
    """The upgrade cannot (or must not) run; the message says why and what to do."""


@dataclass
class Revision:
    """One migration: its id and the first paragraph of its docstring."""

    id: str
    title: str


@dataclass
class Found:
    """A process that has BugZot's code or packages loaded."""

    pid: int
    name: str
    user: str
    cmdline: str
    service: str | None = None


def _scripts(app: Flask) -> ScriptDirectory:
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def database_revision(app: Flask) -> str | None:
    """The revision the database is at (None: no schema yet)."""
    from bugzot.extensions import db

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def plan(app: Flask) -> tuple[str | None, str, list[Revision]]:
    """(database revision, the code's head, the migrations between them, oldest first)."""
    scripts, current = _scripts(app), database_revision(app)
    head = scripts.get_current_head()
    known = {script.revision for script in scripts.walk_revisions()}
    if current is not None and current not in known:
        raise UpgradeError(
            f"the database is at revision {current}, which this code does not know: it was migrated "
            "by a newer BugZot. Install that version again (or restore the backup taken before).")
    steps = [Revision(s.revision, " ".join((s.doc or "").strip().split("\n\n")[0].split()))
             for s in scripts.iterate_revisions(head, current)]
    return current, head, list(reversed(steps))


# PostgreSQL's codes for a statement that lost a lock conflict with the serving release
# (deadlock detected, lock not available, serialization failure): the step's transaction
# was rolled back whole, so it is tried again.
LOCK_CONFLICTS = frozenset({"40P01", "55P03", "40001"})
ATTEMPTS = 5


def lost_a_lock_conflict(exc: BaseException) -> bool:
    """True when ``exc`` is a database error that a retry of the same step may not hit."""
    return getattr(getattr(exc, "orig", None), "pgcode", None) in LOCK_CONFLICTS


def apply(app: Flask, steps: list[Revision], report) -> list[float]:
    """Run ``steps`` one by one (so a failure names the step); ``report(text)`` as it goes.
    A step that loses a lock conflict with the requests the old release is serving
    (a deadlock: its ALTER TABLE waits for a request that then waits for it) is rolled
    back by PostgreSQL and tried again, up to ``ATTEMPTS`` times."""
    from flask_migrate import upgrade

    from bugzot.extensions import db

    seconds = []
    for step in steps:
        report(f"  applying {step.id}  {step.title}")
        started = time.monotonic()
        for attempt in range(1, ATTEMPTS + 1):
            try:
                upgrade(revision=step.id)
                break
            except Exception as exc:
                db.session.rollback()
                if attempt < ATTEMPTS and lost_a_lock_conflict(exc):
                    report(f"  retrying {step.id}  (attempt {attempt} lost a lock conflict with "
                           f"a request: {type(exc.orig).__name__})")
                    time.sleep(0.2 * attempt)
                    continue
                raise UpgradeError(f"migration {step.id} failed, the database stays at the revision "
                                   f"before it:\n{type(exc).__name__}: {exc}") from exc
        seconds.append(time.monotonic() - started)
        report(f"  done     {step.id}  in {seconds[-1]:.1f} s")
    return seconds


def bugzot_processes(root: str, venv: str | None) -> list[Found]:
    """Processes other than this one (and its parents, e.g. the ``flask.exe`` launcher)
    whose program lives in, or that have mapped a file of, the virtualenv or the checkout."""
    places = [os.path.normcase(os.path.abspath(p)) + os.sep for p in (venv, root) if p]
    mine = {os.getpid(), *(parent.pid for parent in psutil.Process().parents())}
    services = _service_pids()
    found = []
    for proc in psutil.process_iter(["pid", "name", "exe", "cmdline", "username"]):
        if proc.pid in mine:
            continue
        try:
            paths = [proc.info["exe"] or ""] + [m.path for m in proc.memory_maps(grouped=True)]
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess, OSError):
            continue
        if any(os.path.normcase(path).startswith(place) for path in paths for place in places):
            service = services.get(proc.pid) or services.get(_parent_pid(proc))
            found.append(Found(proc.pid, proc.info["name"] or "?", proc.info["username"] or "?",
                               " ".join(proc.info["cmdline"] or []), service))
    return found


def _parent_pid(proc: psutil.Process) -> int | None:
    try:
        return proc.ppid()
    except psutil.Error:
        return None


def _service_pids() -> dict[int, str]:
    """pid -> Windows service name (empty elsewhere)."""
    if not hasattr(psutil, "win_service_iter"):
        return {}
    pids = {}
    for service in psutil.win_service_iter():
        try:
            pid = service.pid()
        except psutil.Error:
            continue
        if pid:
            pids[pid] = service.name()
    return pids


def check_can_run(platform: str, running: list[Found], apache_root: str, service: str) -> None:
    """On Windows, refuse while ``running`` is not empty, naming what to stop and how."""
    if platform != "windows" or not running:
        return
    raise UpgradeError(
        "BugZot is running: stop it first (Windows cannot replace files a process has loaded, "
        "and the old code would keep serving):\n"
        + "\n".join(stop_advice(running, apache_root.replace("/", "\\")))
        + f"\nThen run the upgrade again, and start the service: "
          f"{apache_root}/bin/httpd.exe -k start -n {service}")


def stop_advice(found: list[Found], apache_root: str) -> list[str]:
    """One line per process: what it is and the command that stops it (PowerShell)."""
    lines, services = [], set()
    for proc in found:
        what = f"PID {proc.pid} {proc.name} ({proc.user})"
        if proc.service:
            if proc.service not in services:
                services.add(proc.service)
                lines.append(f"  {what}: the Apache service {proc.service!r}:  "
                             f"{apache_root}\\bin\\httpd.exe -k stop -n {proc.service}")
        else:
            lines.append(f"  {what}: {proc.cmdline or proc.name}\n"
                         f"      a scheduled task? Stop-ScheduledTask -TaskName <its name>; "
                         f"else: Stop-Process -Id {proc.pid}")
    return lines


def venv_of_this_python() -> str | None:
    """The virtualenv this command runs from (None outside one)."""
    return sys.prefix if sys.prefix != sys.base_prefix else None


def touch(path: Path) -> None:
    """Set ``path``'s mtime forward (mod_wsgi compares it with the one it loaded)."""
    moment = max(time.time(), path.stat().st_mtime + 1)
    os.utime(path, (moment, moment))
