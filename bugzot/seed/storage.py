"""Writing seeded rows fast: bulk mode on PostgreSQL (triggers off, indexes and foreign
keys re-created at the end), fresh id blocks, and COPY (PostgreSQL) or ``executemany``
(SQLite) batches, all in the seed's one transaction."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import datetime

from sqlalchemy import Connection, text

# PostgreSQL bulk mode: the triggers that bugzot_fts_refresh stands in for, and the
# tables whose foreign keys and non-unique indexes a large seed re-creates at the end.
FTS_INSERT_TRIGGERS = (("bugs", "bug_search_bugs_ins"), ("comments", "bug_search_comments_ins"))
FILLED_TABLES = ("bugs", "comments", "bug_cc", "bug_search")


def bulk_mode(conn: Connection, bugs: int, rebuild: bool | None) -> Callable[[], None]:
    """Prepare ``conn``'s transaction for a bulk load; returns what undoes it before commit.

    All of it is DDL inside the seed's transaction, so other sessions never see it and
    a rollback undoes it. Indexes and foreign keys are re-created from the definitions
    the database reports, so the end state is the migrated schema.
    """
    for setting in ("synchronous_commit = off",  # regenerable data
                    "jit = off",  # compiling costs more than it saves before ANALYZE
                    "maintenance_work_mem = '256MB'"):  # index builds sort in memory
        conn.execute(text(f"SET LOCAL {setting}"))
    for table, trigger in FTS_INSERT_TRIGGERS:
        conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
    if rebuild is None:
        rebuild = bugs >= max(1, conn.scalar(text("SELECT count(*) FROM bugs")))
    keys, indexes = [], []
    # bandit B608 here and in _write: fixed SQL text; table names from FILLED_TABLES/TABLES.
    if rebuild:
        tables = {"tables": list(FILLED_TABLES)}
        filled = "(SELECT to_regclass(name) FROM unnest(CAST(:tables AS text[])) AS name)"
        keys = conn.execute(text(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) "
            f"FROM pg_constraint WHERE contype = 'f' AND conrelid IN {filled} ORDER BY oid"),  # nosec B608
            tables).all()
        indexes = conn.execute(text(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            f"WHERE indrelid IN {filled} AND NOT indisunique AND NOT EXISTS "  # nosec B608
            "(SELECT FROM pg_constraint WHERE conindid = indexrelid) ORDER BY indexrelid"),
            tables).all()
    for table, name, _ in keys:
        conn.execute(text(f"ALTER TABLE {table} DROP CONSTRAINT {name}"))
    if indexes:
        conn.execute(text("DROP INDEX " + ", ".join(name for name, _ in indexes)))

    def restore() -> None:
        for _, definition in indexes:
            conn.execute(text(definition))
        for table, name, definition in keys:
            conn.execute(text(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"))
        for table, trigger in FTS_INSERT_TRIGGERS:
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}"))

    return restore


def id_blocks(conn: Connection, sizes: list[int]) -> Iterator[list[int]]:
    """Fresh bug ids for each batch: from the sequence on PostgreSQL, after max(id) on SQLite."""
    if conn.dialect.name == "postgresql":
        for size in sizes:
            yield list(conn.scalars(text(
                "SELECT nextval(pg_get_serial_sequence('bugs', 'id')) FROM generate_series(1, :n)"),
                {"n": size}))
        return
    start = (conn.scalar(text("SELECT max(id) FROM bugs")) or 0) + 1
    for size in sizes:
        yield list(range(start, start + size))
        start += size


def stamp(moment: datetime, dialect: str) -> str:
    if dialect == "postgresql":
        return moment.isoformat()
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite format (UTC)


BUG_COLUMNS = ("id", "product_id", "component_id", "version_id", "summary", "status", "resolution",
               "severity", "priority", "platform", "op_sys", "reporter_id", "assignee_id",
               "is_private", "created_at", "revision", "updated_at")
COMMENT_COLUMNS = ("bug_id", "number", "author_id", "body", "is_private", "is_hidden", "created_at",
                   "revision")
CC_COLUMNS = ("bug_id", "user_id")


SEARCH_COLUMNS = ("bug_id", "public_tsv", "all_tsv", "status", "is_private", "reporter_id",
                  "product_id")
TABLES = (("bugs", BUG_COLUMNS), ("comments", COMMENT_COLUMNS), ("bug_cc", CC_COLUMNS),
          ("bug_search", SEARCH_COLUMNS))  # bug_search: PostgreSQL only (SQLite's triggers fill it)


def write(conn: Connection, tables: tuple) -> None:
    """Insert one batch from ``_batch`` in ``conn``'s transaction (COPY on PostgreSQL)."""
    cursor = conn.connection.cursor()
    for (table, columns), data in zip(TABLES[:len(tables)], tables, strict=True):
        if conn.dialect.name == "postgresql":
            cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", data,
                               size=1 << 20)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # nosec B608
                               data)
    cursor.close()


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_buffer(rows: list[tuple]) -> io.StringIO:
    """Rows in COPY text format (only a --rare-word can bring characters to escape)."""
    def cell(value) -> str:
        if value is None:
            return "\\N"
        if value is True:
            return "t"
        if value is False:
            return "f"
        if isinstance(value, str) and ("\\" in value or "\t" in value or "\n" in value
                                       or "\r" in value):
            return value.translate(_COPY_ESCAPES)
        return str(value)

    return io.StringIO("".join("\t".join(map(cell, row)) + "\n" for row in rows))
