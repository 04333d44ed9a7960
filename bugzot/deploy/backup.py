"""``flask backup DIR`` and ``flask restore DIR``: a consistent copy of the database and
the attachments, and putting it back into an empty instance.

A backup folder holds ``database.sqlite`` (the data, as a BugZot SQLite database),
``attachments/`` (the files, named by their SHA-256 as in the instance) and
``backup.json`` (what was copied, written last: a folder without it is incomplete).

* SQLite instances are copied with SQLite's online backup API: a consistent copy
  while the site keeps running.
* PostgreSQL instances are copied row by row, inside one ``REPEATABLE READ READ ONLY``
  transaction (a consistent snapshot that blocks no writer), into a fresh SQLite file.
  Not ``pg_dump``: it must be at least the server's major version and on the PATH of
  the machine running the command (often an application server, or Windows, with
  another client or none), and its dumps restore only into PostgreSQL. A row copy
  needs nothing but the database driver, and a backup restores into either database
  (so it also moves an instance from SQLite to PostgreSQL).

``restore`` needs an empty instance (``flask init-db`` and nothing more) running
the same schema revision as the backup, copies the rows back, checks every table's
row count and every file's SHA-256, and sets PostgreSQL's id sequences.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

from bugzot.extensions import db
from bugzot.models import Attachment, Bug, Product, User

FORMAT = 1
MANIFEST = "backup.json"
DATABASE = "database.sqlite"
ATTACHMENTS = "attachments"
CHUNK = 5000


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why and what to do."""


# -- shared ---------------------------------------------------------------------------
def _revision(connection: sa.Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _head() -> str:
    directory = current_app.extensions["migrate"].directory
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", directory)
    return ScriptDirectory.from_config(config).get_current_head()


def _tables() -> list[sa.Table]:
    """The model tables, parents before children."""
    return list(db.metadata.sorted_tables)


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _copy_files(source: str, target: str) -> tuple[int, int]:
    """Copy the content-addressed files under ``source`` to ``target``, checking each
    one's SHA-256 against its name; returns (files, bytes)."""
    files = size = 0
    if not os.path.isdir(source):
        return 0, 0
    for folder, _, names in os.walk(source):
        for name in names:
            if name.startswith("."):
                continue  # staging files of uploads in progress
            path = os.path.join(folder, name)
            if _sha256(path) != name:
                raise BackupError(f"{path} does not match its SHA-256: the file is damaged.")
            destination = os.path.join(target, name[:2], name)
            os.makedirs(os.path.dirname(destination), exist_ok=True)
            if not os.path.exists(destination):
                shutil.copy2(path, destination)
            files, size = files + 1, size + os.path.getsize(path)
    return files, size


def _copy_rows(source: sa.Connection, target: sa.Connection) -> dict[str, int]:
    """Copy every model table's rows from ``source`` to ``target`` (ids kept). Columns
    referring to their own table (a duplicate of a later bug) are filled in afterwards."""
    counts = {}
    for table in _tables():
        later = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
        pk = list(table.primary_key.columns)
        rows = source.execution_options(yield_per=CHUNK).execute(sa.select(table).order_by(*pk))
        counts[table.name] = 0
        deferred: list[dict[str, Any]] = []
        for chunk in rows.partitions():
            values = [dict(row._mapping) for row in chunk]
            for row in values:
                if any(row[c] is not None for c in later):
                    deferred.append({**{f"_{c.name}": row[c.name] for c in pk},
                                     **{f"_{c}": row[c] for c in later}})
                    row.update({c: None for c in later})
            target.execute(sa.insert(table), values)
            counts[table.name] += len(values)
        if deferred:
            stmt = sa.update(table).where(*(c == sa.bindparam(f"_{c.name}") for c in pk)).values(
                {c: sa.bindparam(f"_{c}") for c in later})
            target.execute(stmt, deferred)
    return counts


# -- backup -----------------------------------------------------------------------------
def backup(folder: str) -> dict[str, Any]:
    """Write a backup of this instance into ``folder`` (new or empty); returns the manifest."""
    if os.path.exists(folder) and os.listdir(folder):
        raise BackupError(f"{folder} is not empty; give a new folder (e.g. one per date).")
    os.makedirs(folder, exist_ok=True)
    container = os.path.join(folder, DATABASE)
    engine = db.engine
    with engine.connect() as conn:
        revision = _revision(conn)
    if revision != _head():
        raise BackupError(f"The database is at revision {revision}, this code at {_head()}: "
                          "run `flask --app bugzot init-db` first.")
    if engine.dialect.name == "sqlite":
        counts = _backup_sqlite(container)
    else:
        counts = _backup_rows(container)
    files, size = _copy_files(current_app.config["ATTACHMENT_FOLDER"], os.path.join(folder, ATTACHMENTS))
    manifest = {"format": FORMAT, "revision": revision, "source": engine.dialect.name,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"), "tables": counts,
                "attachments": {"files": files, "bytes": size}}
    with open(os.path.join(folder, MANIFEST), "w", encoding="utf-8") as fh:
        json.dump(manifest, fh, indent=2, sort_keys=True)
    return manifest


def _backup_sqlite(container: str) -> dict[str, int]:
    """SQLite's online backup API: a consistent copy while others keep writing."""
    source = sqlite3.connect(db.engine.url.database)
    try:
        with sqlite3.connect(container) as target:
            source.backup(target)
        target.close()
    finally:
        source.close()
    copy = sa.create_engine(f"sqlite:///{container}")
    try:
        with copy.connect() as conn:
            return {t.name: conn.scalar(sa.select(sa.func.count()).select_from(t)) for t in _tables()}
    finally:
        copy.dispose()


def _backup_rows(container: str) -> dict[str, int]:
    """PostgreSQL: every row of one snapshot into a fresh SQLite file."""
    target_engine = sa.create_engine(f"sqlite:///{container}")
    try:
        db.metadata.create_all(target_engine)
        source = db.engine.connect().execution_options(isolation_level="REPEATABLE READ")
        try:
            source.execute(sa.text("SET TRANSACTION READ ONLY"))
            with target_engine.begin() as target:
                return _copy_rows(source, target)
        finally:
            source.rollback()
            source.close()
    finally:
        target_engine.dispose()


# -- restore ----------------------------------------------------------------------------
def read_manifest(folder: str) -> dict[str, Any]:
    """The manifest of the backup in ``folder``; BackupError if it is not a whole backup."""
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path) or not os.path.isfile(os.path.join(folder, DATABASE)):
        raise BackupError(f"{folder} holds no complete BugZot backup (no {MANIFEST} or {DATABASE}).")
    with open(path, encoding="utf-8") as fh:
        manifest = json.load(fh)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    return manifest


def restore(folder: str) -> dict[str, Any]:
    """Load the backup in ``folder`` into this (empty) instance; returns the manifest."""
    manifest = read_manifest(folder)
    with db.engine.connect() as conn:
        revision = _revision(conn)
    if revision != manifest["revision"]:
        raise BackupError(
            f"The backup is at schema revision {manifest['revision']}, this instance at {revision}. "
            "Restore into an instance of the same BugZot version made with `flask init-db`, "
            "then upgrade the code and run init-db again.")
    with db.engine.connect() as conn:
        for table in (User.__table__, Bug.__table__, Product.__table__):
            if conn.scalar(sa.select(sa.func.count()).select_from(table)):
                raise BackupError(f"This instance is not empty (it has {table.name}): restore "
                                  "into a new database made with `flask init-db`.")
    source_engine = sa.create_engine(f"sqlite:///{os.path.join(folder, DATABASE)}")
    try:
        with source_engine.connect() as source, db.engine.begin() as target:
            for table in reversed(_tables()):  # built-in roles of init-db make way
                target.execute(table.delete())
            counts = _copy_rows(source, target)
            if target.dialect.name == "postgresql":
                _reset_sequences(target)
    finally:
        source_engine.dispose()
    if counts != manifest["tables"]:
        raise BackupError(f"Row counts differ from the backup's: {counts} != {manifest['tables']}.")
    files, size = _copy_files(os.path.join(folder, ATTACHMENTS), current_app.config["ATTACHMENT_FOLDER"])
    if (files, size) != (manifest["attachments"]["files"], manifest["attachments"]["bytes"]):
        raise BackupError(f"The backup's attachments are incomplete: {files} files, {size} bytes.")
    missing = [sha for sha in db.session.scalars(sa.select(Attachment.sha256).distinct())
               if not os.path.isfile(os.path.join(current_app.config["ATTACHMENT_FOLDER"], sha[:2], sha))]
    if missing:
        raise BackupError(f"{len(missing)} attachment files are missing, e.g. {missing[0]}.")
    return manifest


def _reset_sequences(conn: sa.Connection) -> None:
    """Point each id sequence past the restored ids (PostgreSQL)."""
    for table in _tables():
        if "id" in table.c and table.c.id.primary_key and table.c.id.autoincrement in (True, "auto"):
            highest = sa.func.max(table.c.id)
            conn.execute(sa.select(sa.func.setval(sa.func.pg_get_serial_sequence(table.name, "id"),
                                                  sa.func.coalesce(highest, 1), highest.is_not(None))))
