"""``flask backup DIR`` and ``flask restore DIR``: a populated instance restored into an
empty one (on each database, and across them) matches row for row and byte for byte."""

from __future__ import annotations

import io
import json
import os
import secrets
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from bugzot import create_app
from bugzot.extensions import db
from bugzot.models import Attachment
from bugzot.permissions import SYSTEM
from bugzot.services import accounts, attachments, search, sessions
from bugzot.services.commands import Upload
from tests.conftest import edit
from tests.databases import base_config, drop_postgres_database, postgres_database
from tests.search_support import comment


@pytest.fixture
def populated(live_app, make_bug, make_user, make_product):
    """An instance with something in every table (and an attachment file), committed: the
    backup reads the database through connections of its own."""
    product = make_product("Widget", components=("Core", "UI"), versions=("1.0", "2.0"),
                           milestones=("M1",))
    employee = make_user("emil", role="Employee", real_name="Emil Ö")
    reporter = make_user("rita")
    first = make_bug(product, reporter, summary="Kettle leaks", description="Water everywhere.")
    later = make_bug(product, reporter, summary="Kettle leaks again")
    comment(first, employee, "Private analysis of the kettle", private=True)
    comment(first, employee, "Public note")
    db.session.refresh(first)
    edit(employee, first, {"bug_status": "RESOLVED", "resolution": "DUPLICATE", "dup_id": later.id},
         comment="Same as the later one.")
    content = secrets.token_bytes(5000)
    attachments.add_attachment(employee, later, Upload("dump.bin", io.BytesIO(content)))
    search.save_search(reporter, "Mine", "status=all", shared=True)
    sessions.start(reporter, remember=True, user_agent="Test browser")
    with live_app.test_request_context():
        accounts.request_password_reset("rita")
    return content


def _rows() -> dict[str, list[tuple]]:
    """Every model table's rows, by primary key."""
    out = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            out[table.name] = [tuple(r) for r in conn.execute(
                sa.select(table).order_by(*table.primary_key.columns))]
    return out


def invoke(app, *args: str):
    """Run a CLI command of ``app`` (in its own app context: the test's is pushed)."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=list(args))


@contextmanager
def empty_instance(backend: str, tmp_path):
    """A new instance (``flask init-db`` only) on a new database of ``backend``."""
    admin = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    else:
        url, admin = postgres_database(f"bugzot_restored_{secrets.token_hex(4)}")
    app = create_app({**base_config(tmp_path / "restored", url)},
                     instance_path=str(tmp_path / "restored-instance"))
    try:
        assert invoke(app, "init-db").exit_code == 0
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        if admin:
            drop_postgres_database(url, admin)


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_backup_restores_into_an_empty_instance_row_for_row(live_app, backend, runner, populated,
                                                            tmp_path, target):
    folder = tmp_path / "backup-2026-01-01"
    result = runner.invoke(args=["backup", str(folder)])
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output
    manifest = json.loads((folder / "backup.json").read_text())
    assert manifest["source"] == backend and manifest["attachments"]["files"] == 1
    original = _rows()
    with empty_instance(target, tmp_path) as restored:
        result = invoke(restored, "restore", str(folder))
        assert result.exit_code == 0, result.output
        assert "counts and checksums match" in result.output
        with restored.app_context():
            assert _rows() == original
            stored = db.session.scalar(sa.select(Attachment))
            path = os.path.join(restored.config["ATTACHMENT_FOLDER"], stored.sha256[:2], stored.sha256)
            with open(path, "rb") as fh:
                assert fh.read() == populated
            # the full-text index was rebuilt, and new rows get new ids
            from bugzot.models import User
            from bugzot.search import fts

            employee = db.session.scalar(sa.select(User).where(User.username == "emil"))
            match = fts.matches(db.engine.dialect.name, employee, ("analysis",))
            assert len(db.session.scalars(sa.select(match.c.bug_id)).all()) == 1
            newcomer = accounts.create_user(SYSTEM, "newcomer", "new@example.com", "a long new passphrase")
            assert newcomer.id > max(row[0] for row in original["users"])


def test_backup_refuses_a_folder_that_is_not_empty(runner, live_app, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "something").write_text("x")
    result = runner.invoke(args=["backup", str(tmp_path / "full")])
    assert result.exit_code != 0 and "is not empty" in result.output


def test_restore_refuses_an_instance_with_data(runner, live_app, populated, tmp_path):
    folder = tmp_path / "b"
    assert runner.invoke(args=["backup", str(folder)]).exit_code == 0
    result = runner.invoke(args=["restore", str(folder)])
    assert result.exit_code != 0 and "not empty" in result.output


def test_restore_refuses_an_incomplete_backup(runner, live_app, tmp_path):
    folder = tmp_path / "half"
    folder.mkdir()
    (folder / "database.sqlite").write_bytes(b"")
    result = runner.invoke(args=["restore", str(folder)])
    assert result.exit_code != 0 and "no complete BugZot backup" in result.output


def test_restore_refuses_a_damaged_attachment(runner, live_app, populated, tmp_path, backend):
    folder = tmp_path / "b"
    assert runner.invoke(args=["backup", str(folder)]).exit_code == 0
    damaged = next(p for p in (folder / "attachments").rglob("*") if p.is_file())
    damaged.write_bytes(b"tampered")
    with empty_instance(backend, tmp_path) as restored:
        result = invoke(restored, "restore", str(folder))
        assert result.exit_code != 0 and "damaged" in result.output


def test_backup_of_a_database_behind_the_code_is_refused(runner, live_app, tmp_path):
    with db.engine.begin() as conn:
        head = conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0007'"))
    try:
        result = runner.invoke(args=["backup", str(tmp_path / "b")])
        assert result.exit_code != 0 and "init-db" in result.output
    finally:
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": head})
