"""Writing seeded rows fast: bulk mode on PostgreSQL (triggers off, indexes and foreign
keys re-created at the end), fresh id blocks, and binary COPY (PostgreSQL) or
``executemany`` (SQLite) batches, all in the seed's one transaction.

Generated rows carry their timestamps as microseconds since 2000-01-01 UTC, which is
PostgreSQL's binary form of ``timestamptz``: its COPY takes the rows without parsing
text (two to three times cheaper than the text format, tsvectors above all); SQLite gets
them as SQLAlchemy's text format.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, text

# PostgreSQL bulk mode: the triggers that bugzot_fts_refresh stands in for, and the
# tables whose foreign keys and non-unique indexes a large seed re-creates at the end.
FTS_INSERT_TRIGGERS = (("bugs", "bug_search_bugs_ins"), ("comments", "bug_search_comments_ins"))
FILLED_TABLES = ("bugs", "comments", "bug_cc", "bug_search")
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # PostgreSQL's binary timestamps count from here


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
    # bandit B608 here and in write: fixed SQL text; table names from FILLED_TABLES/TABLES.
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


def micros(moment: datetime) -> int:
    """``moment`` as a generated row carries it: microseconds since 2000-01-01 UTC."""
    return (moment - EPOCH) // timedelta(microseconds=1)


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
STAMPED = {"bugs": (14, 16), "comments": (6,)}  # the timestamp columns of each table


def write(conn: Connection, tables: tuple) -> None:
    """Insert one batch from ``bulk._batch`` in ``conn``'s transaction: binary COPY
    buffers on PostgreSQL, lists of rows on SQLite."""
    cursor = conn.connection.cursor()
    for (table, columns), data in zip(TABLES[:len(tables)], tables, strict=True):
        if conn.dialect.name == "postgresql":
            cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT binary)",
                               io.BytesIO(data), size=1 << 20)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # nosec B608
                               sqlite_rows(data, STAMPED.get(table, ())))
    cursor.close()


def sqlite_rows(rows: list[tuple], stamped: tuple[int, ...]) -> Iterator[tuple]:
    """Rows with their timestamps in SQLAlchemy's SQLite format (UTC)."""
    for row in rows:
        row = list(row)
        for column in stamped:
            row[column] = (EPOCH + timedelta(microseconds=row[column])).strftime(
                "%Y-%m-%d %H:%M:%S.%f")
        yield tuple(row)


# -- PostgreSQL's binary COPY format ------------------------------------------------
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
COPY_TRAILER = struct.pack("!h", -1)
NULL = struct.pack("!i", -1)


def field(value: bytes) -> bytes:
    """One variable-length field of a binary COPY row: its length, then its bytes."""
    return struct.pack("!i", len(value)) + value


class TextFields:
    """Binary COPY fields of the few distinct short strings a table repeats (``None``:
    NULL), encoded once."""

    def __init__(self, values):
        self.fields = {value: NULL if value is None else field(value.encode())
                       for value in values}

    def __getitem__(self, value: str | None) -> bytes:
        return self.fields[value]


_BUG_HEAD = struct.Struct("!hiiiiiiii")  # 17 fields; id, product, component, version
_BUG_TAIL = struct.Struct("!iiiiibiqiiiq")  # reporter, assignee, private, created, revision, updated
_BUG_TAIL_UNASSIGNED = struct.Struct("!iiiibiqiiiq")
_COMMENT_HEAD = struct.Struct("!hiiiiiii")  # 8 fields; bug, number, author, length of the body
_COMMENT_TAIL = struct.Struct("!ibibiqii")  # private, hidden, created, revision
_CC = struct.Struct("!hiiii")
_SEARCH_HEAD = struct.Struct("!hii")  # 7 fields; bug
_SEARCH_TAIL = struct.Struct("!ibiiii")  # private, reporter, product (after the status text)


def copy_bugs(rows: list[tuple], strings: TextFields) -> bytes:
    """Binary COPY data of ``BUG_COLUMNS`` rows (version never NULL; ``strings`` has every
    summary, status, resolution, severity, priority, platform and OS of the rows)."""
    out = [COPY_HEADER]
    head, tail, unassigned, put = _BUG_HEAD.pack, _BUG_TAIL.pack, _BUG_TAIL_UNASSIGNED.pack, out.append
    for (bug, product, component, version, summary, status, resolution, severity, priority,
         platform, op_sys, reporter, assignee, private, created, revision, updated) in rows:
        put(head(17, 4, bug, 4, product, 4, component, 4, version))
        put(strings[summary] + strings[status] + strings[resolution] + strings[severity]
            + strings[priority] + strings[platform] + strings[op_sys])
        put(unassigned(4, reporter, -1, 1, private, 8, created, 4, revision, 8, updated)
            if assignee is None else
            tail(4, reporter, 4, assignee, 1, private, 8, created, 4, revision, 8, updated))
    put(COPY_TRAILER)
    return b"".join(out)


def copy_comments(rows: list[tuple]) -> bytes:
    """Binary COPY data of ``COMMENT_COLUMNS`` rows."""
    out = [COPY_HEADER]
    head, tail, put = _COMMENT_HEAD.pack, _COMMENT_TAIL.pack, out.append
    for bug, number, author, body, private, hidden, created, revision in rows:
        body = body.encode()
        put(head(8, 4, bug, 4, number, 4, author, len(body)))
        put(body)
        put(tail(1, private, 1, hidden, 8, created, 4, revision))
    put(COPY_TRAILER)
    return b"".join(out)


def copy_ccs(rows: list[tuple]) -> bytes:
    """Binary COPY data of ``CC_COLUMNS`` rows."""
    pack = _CC.pack
    return b"".join([COPY_HEADER, *[pack(2, 4, bug, 4, user) for bug, user in rows], COPY_TRAILER])


def copy_search(rows: list[tuple], strings: TextFields) -> bytes:
    """Binary COPY data of ``SEARCH_COLUMNS`` rows whose vectors are already in
    ``tsvector``'s binary form (``all_tsv`` may be None)."""
    out = [COPY_HEADER]
    head, tail, put = _SEARCH_HEAD.pack, _SEARCH_TAIL.pack, out.append
    for bug, public, everything, status, private, reporter, product in rows:
        put(head(7, 4, bug))
        put(field(public))
        put(NULL if everything is None else field(everything))
        put(strings[status])
        put(tail(1, private, 4, reporter, 4, product))
    put(COPY_TRAILER)
    return b"".join(out)
