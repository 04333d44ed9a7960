"""``flask upgrade`` on SQLite and PostgreSQL: from an older schema to this code's,
reporting each revision; a dry run changes nothing; a database newer than the code is
refused; and the process check that makes Windows refuse finds a real process that
has the virtualenv's packages loaded.

The zero-downtime path under a live Apache is in ``tests/test_upgrade_live.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from databases import base_config
from flask_migrate import upgrade

from bugzot import create_app
from bugzot.deploy import upgrade as upgrading
from bugzot.extensions import db
from tests.test_migrations import fresh_db_url, head_revision, revisions_after  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def older(fresh_db_url, tmp_path):  # noqa: F811
    """An app whose fresh database is migrated to 0004 only."""
    app = create_app(base_config(tmp_path, fresh_db_url))
    with app.app_context():
        upgrade(revision="0004")
        yield app
        db.session.remove()
        db.engine.dispose()


def _indexes(app) -> set[str]:
    """Names of the indexes on ``bugs`` (the catalogue: SQLite cannot reflect expression ones)."""
    query = ("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'bugs'"
             if db.engine.dialect.name == "sqlite" else
             "SELECT indexname FROM pg_indexes WHERE tablename = 'bugs'")
    with db.engine.connect() as conn:
        return set(conn.scalars(sa.text(query)))


def test_upgrade_applies_each_pending_revision_and_reports_it(older):
    runner = older.test_cli_runner()
    result = runner.invoke(args=["upgrade", "--no-reload"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    head = head_revision(older)
    pending = revisions_after(older, "0004")
    assert lines[0] == f"Database: 0004; this code: {head}."
    applied = [line.split()[1] for line in lines if line.startswith("  applying ")]
    assert applied == pending
    assert "  applying 0006  Lists: (product_id, id), (component_id, id) and (assignee_id, id) indexes." \
        in lines
    assert any(line.startswith(f"  done     {head}  in ") for line in lines)
    assert lines[-1] == f"Upgraded 0004 -> {head} ({len(pending)} migration(s))."
    assert upgrading.database_revision(older) == head
    assert {"ix_bugs_status_order", "ix_bugs_summary_id"} <= _indexes(older)
    from bugzot.models import Role

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Role)) >= 4  # as init-db

    again = runner.invoke(args=["upgrade", "--no-reload"])
    assert again.exit_code == 0 and again.output.splitlines()[-1] == f"Already up to date ({head})."


def test_dry_run_lists_the_plan_and_changes_nothing(older):
    result = older.test_cli_runner().invoke(args=["upgrade", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "  would apply 0005  Lists: indexes for sorting by status" in result.output
    assert result.output.rstrip().endswith("Dry run: nothing changed.")
    assert upgrading.database_revision(older) == "0004"
    assert "ix_bugs_status_order" not in _indexes(older)


def test_a_database_newer_than_the_code_is_refused(older):
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099_future'"))
    result = older.test_cli_runner().invoke(args=["upgrade"])
    assert result.exit_code == 1
    assert "the database is at revision 0099_future, which this code does not know" in result.output
    assert "Traceback" not in result.output


def test_upgrade_touches_conf_wsgi_so_daemons_reload(older):
    script = os.path.join(ROOT, "wsgi", "conf.wsgi")
    before = os.stat(script).st_mtime
    result = older.test_cli_runner().invoke(args=["upgrade"])
    assert result.exit_code == 0, result.output
    assert os.stat(script).st_mtime > before
    assert f"Touched {script}: the daemon processes restart" in result.output


@pytest.fixture
def other_bugzot_process():
    """A real process of this virtualenv with psycopg2's C extension loaded (as a mail
    worker or mod_wsgi would have), stopped afterwards."""
    proc = subprocess.Popen([sys.executable, "-c",
                             "import psycopg2, sys, time; print('ready', flush=True); time.sleep(60)"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_processes_with_bugzot_loaded_are_found_and_stop_windows(other_bugzot_process, older):
    found = upgrading.bugzot_processes(ROOT, upgrading.venv_of_this_python() or sys.prefix)
    mine = [p for p in found if p.pid == other_bugzot_process.pid]
    assert mine and "import psycopg2" in mine[0].cmdline
    assert os.getpid() not in {p.pid for p in found}  # the upgrade's own process

    upgrading.check_can_run("linux", found, "C:/Apache24", "BugZot")  # Linux: fine
    with pytest.raises(upgrading.UpgradeError) as refused:
        upgrading.check_can_run("windows", found, "C:/Apache24", "BugZot")
    message = str(refused.value)
    assert message.startswith("BugZot is running: stop it first")
    assert f"Stop-Process -Id {other_bugzot_process.pid}" in message
    assert "C:/Apache24/bin/httpd.exe -k start -n BugZot" in message

    # The Linux command says who keeps serving the old code until the reload.
    result = older.test_cli_runner().invoke(args=["upgrade", "--dry-run"])
    assert f"{other_bugzot_process.pid} (" in result.output


def test_windows_advice_names_the_apache_service_once():
    found = [upgrading.Found(10, "httpd.exe", "BZ\\bugzot-svc", "httpd.exe -k runservice", "BugZot"),
             upgrading.Found(11, "httpd.exe", "BZ\\bugzot-svc", "httpd.exe -d C:/Apache24", "BugZot")]
    lines = upgrading.stop_advice(found, "C:\\Apache24")
    assert lines == ["  PID 10 httpd.exe (BZ\\bugzot-svc): the Apache service 'BugZot':  "
                     "C:\\Apache24\\bin\\httpd.exe -k stop -n BugZot"]


def test_touch_moves_the_mtime_forward_even_within_a_second(tmp_path):
    path = tmp_path / "conf.wsgi"
    path.write_text("")
    future = time.time() + 100
    os.utime(path, (future, future))
    upgrading.touch(path)
    assert path.stat().st_mtime >= future + 1


def test_a_real_deadlock_is_a_lost_lock_conflict_and_a_syntax_error_is_not(database_urls):
    """What ``apply`` retries: PostgreSQL's deadlock victim (the serving release's request
    and the migration's ALTER TABLE each waiting for the other), not any other error."""
    import threading

    engine = sa.create_engine(database_urls["postgresql"], poolclass=sa.pool.NullPool)
    a, b = (f"deadlock_probe_{os.getpid()}_{side}" for side in "ab")
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {a} (x int)")
        conn.exec_driver_sql(f"CREATE TABLE {b} (x int)")
    errors: list[Exception] = []
    one, two = engine.connect(), engine.connect()
    try:
        one.exec_driver_sql(f"LOCK TABLE {a}")
        two.exec_driver_sql(f"LOCK TABLE {b}")

        def cross(conn, table: str) -> None:
            try:
                conn.exec_driver_sql(f"LOCK TABLE {table}")
            except sa.exc.DBAPIError as exc:
                errors.append(exc)
                conn.rollback()  # the victim's locks go: the other one proceeds

        waiting = threading.Thread(target=cross, args=(one, b))
        waiting.start()
        time.sleep(0.3)
        cross(two, a)
        waiting.join(30)
        assert len(errors) == 1 and upgrading.lost_a_lock_conflict(errors[0]), errors
        try:
            two.exec_driver_sql("SELEKT 1")
        except sa.exc.DBAPIError as exc:
            assert not upgrading.lost_a_lock_conflict(exc)
        else:
            raise AssertionError("no syntax error")
    finally:
        for conn in (one, two):
            conn.rollback()
            conn.close()
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {a}, {b}")
        engine.dispose()
