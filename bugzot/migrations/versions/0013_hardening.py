"""Hardening: server-side login sessions, admin-disabled accounts, and on SQLite a
full-text index of public text alone.

* ``login_sessions``: one row per logged-in browser (``models.sessions``).
* ``users.disabled_at``: set when an admin disabled the account. Existing inactive
  accounts count as disabled unless they are waiting for their activation link
  (never logged in and given an activation key).
* attachment file names lose bidirectional controls (U+202A-202E, U+2066-2069, ...),
  as ``services.attachments.safe_filename`` now strips them from new uploads.
* SQLite: bm25 normalises a row's score over all its columns and counts a word's
  rows over the whole table, so private comments in the one FTS5 table moved the
  ranking non-insiders saw. Now ``bug_search`` holds only the public text (summary,
  description, comments) and ``bug_search_all`` the same plus the private comments;
  row triggers keep both current. PostgreSQL's index (two tsvectors, ts_rank per
  vector) already kept private text out of public ranks and is unchanged.

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_TEXT = {
    "description": "coalesce((SELECT body FROM comments WHERE bug_id = {id} AND number = 0 "
                   "AND NOT is_private AND NOT is_hidden), '')",
    "comments": "coalesce((SELECT group_concat(body, char(10)) FROM comments WHERE bug_id = {id} "
                "AND number > 0 AND NOT is_private AND NOT is_hidden), '')",
    "private": "coalesce((SELECT group_concat(body, char(10)) FROM comments WHERE bug_id = {id} "
               "AND is_private AND NOT is_hidden), '')",
}
EMPTY = ", ''"
# table -> the comment-derived columns it holds
_TABLES = {"bug_search": ("description", "comments"),
           "bug_search_all": ("description", "comments", "private")}


def _refresh(table: str, columns: tuple[str, ...], bug: str) -> str:
    sets = ", ".join(f"{c} = {_TEXT[c].format(id=bug)}" for c in columns)
    # bandit B608: SQL built from this module's fixed table and column names, no input.
    return f" UPDATE {table} SET {sets} WHERE rowid = {bug};"  # nosec B608


def _sqlite_triggers(tables: dict[str, tuple[str, ...]]) -> list[str]:
    """The row triggers keeping every FTS5 table of ``tables`` current."""
    def each(make) -> str:
        return "".join(make(table, columns) for table, columns in tables.items())

    return [
        f"CREATE TRIGGER bug_search_bugs_ins AFTER INSERT ON bugs BEGIN" + each(
            lambda t, cols: f" INSERT INTO {t} (rowid, summary, {', '.join(cols)}) VALUES "  # nosec B608
                            f"(new.id, new.summary{EMPTY * len(cols)});")
        + " END",
        f"CREATE TRIGGER bug_search_bugs_upd AFTER UPDATE OF summary ON bugs "
        "WHEN old.summary IS NOT new.summary BEGIN"
        + each(lambda t, cols: f" UPDATE {t} SET summary = new.summary WHERE rowid = new.id;")  # nosec B608
        + " END",
        f"CREATE TRIGGER bug_search_bugs_del AFTER DELETE ON bugs BEGIN"
        + each(lambda t, cols: f" DELETE FROM {t} WHERE rowid = old.id;") + " END",  # nosec B608
        f"CREATE TRIGGER bug_search_comments_ins AFTER INSERT ON comments BEGIN"
        + each(lambda t, cols: _refresh(t, cols, "new.bug_id")) + " END",
        f"CREATE TRIGGER bug_search_comments_upd AFTER UPDATE OF body, is_private, is_hidden, "
        "bug_id ON comments BEGIN"
        + each(lambda t, cols: _refresh(t, cols, "old.bug_id") + _refresh(t, cols, "new.bug_id"))
        + " END",
        f"CREATE TRIGGER bug_search_comments_del AFTER DELETE ON comments BEGIN"
        + each(lambda t, cols: _refresh(t, cols, "old.bug_id")) + " END",
    ]


_TRIGGER_NAMES = ("bug_search_bugs_ins", "bug_search_bugs_upd", "bug_search_bugs_del",
                  "bug_search_comments_ins", "bug_search_comments_upd", "bug_search_comments_del")


def _sqlite_rebuild(tables: dict[str, tuple[str, ...]]) -> None:
    for name in _TRIGGER_NAMES:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS bug_search")
    op.execute("DROP TABLE IF EXISTS bug_search_all")
    for table, columns in tables.items():
        op.execute(f"CREATE VIRTUAL TABLE {table} USING fts5(summary, {', '.join(columns)}, "
                   "tokenize = 'porter unicode61')")
        op.execute(f"INSERT INTO {table} (rowid, summary, {', '.join(columns)}) SELECT id, summary, "
                   + ", ".join(_TEXT[c].format(id="bugs.id") for c in columns) + " FROM bugs")
    for statement in _sqlite_triggers(tables):
        op.execute(statement)


def upgrade():
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=True),
        sa.Column("rotated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_version", sa.Integer(), nullable=False),
        sa.Column("remember", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_login_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_sessions_token_hash")),
        sa.UniqueConstraint("previous_hash", name=op.f("uq_login_sessions_previous_hash")),
    )
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_sessions_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE users SET disabled_at = CURRENT_TIMESTAMP WHERE NOT is_active AND ("
        "last_login_at IS NOT NULL OR NOT EXISTS (SELECT 1 FROM activation_keys k "
        "WHERE k.user_id = users.id AND k.kind = 'activate'))")
    _strip_bidi_controls()
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(_TABLES)


BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def _strip_bidi_controls():
    conn = op.get_bind()
    attachments = sa.table("attachments", sa.column("id", sa.Integer), sa.column("filename", sa.String))
    rows = conn.execute(sa.select(attachments.c.id, attachments.c.filename).where(
        sa.or_(*(attachments.c.filename.contains(ch, autoescape=True) for ch in BIDI_CONTROLS)))).all()
    for row in rows:
        name = "".join(ch for ch in row.filename if ch not in BIDI_CONTROLS).strip(" .") or "attachment"
        conn.execute(attachments.update().where(attachments.c.id == row.id).values(filename=name))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild({"bug_search": ("description", "comments", "private")})
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("disabled_at")
    with op.batch_alter_table("login_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_sessions_user_id"))
    op.drop_table("login_sessions")
