"""Search: saved searches and the full-text index, maintained by triggers.

PostgreSQL: ``bug_search`` holds one row per bug with two tsvectors and GIN
indexes: ``public_tsv`` (summary, description and comments anyone who sees the
bug may read) and ``all_tsv`` (the same plus private comments; NULL when the bug
has none, so its index stays small). Statement-level triggers with transition
tables keep it current, so a bulk COPY costs one refresh per statement.
The table references ``bugs`` with ON DELETE CASCADE, so ``TRUNCATE bugs
CASCADE`` empties it too.

SQLite: ``bug_search`` is an FTS5 table whose rowid is the bug id, with the
columns summary, description, comments (public) and private; row triggers keep
it current.

Hidden comments are not indexed at all.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

PG_UPGRADE = [
    """
    CREATE TABLE bug_search (
        bug_id integer PRIMARY KEY REFERENCES bugs (id) ON DELETE CASCADE,
        public_tsv tsvector NOT NULL,
        all_tsv tsvector
    )
    """,
    "CREATE INDEX ix_bug_search_public_tsv ON bug_search USING gin (public_tsv)",
    "CREATE INDEX ix_bug_search_all_tsv ON bug_search USING gin (all_tsv) WHERE all_tsv IS NOT NULL",
    # Recompute the index rows of the given bugs from their summary and comments.
    """
    CREATE FUNCTION bugzot_fts_refresh(ids integer[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO bug_search (bug_id, public_tsv, all_tsv)
    SELECT id, pub, CASE WHEN priv IS NULL THEN NULL ELSE pub || to_tsvector('english', priv) END
    FROM (
        SELECT b.id,
               setweight(to_tsvector('english', b.summary), 'A')
               || setweight(to_tsvector('english', coalesce(c.descr, '')), 'B')
               || to_tsvector('english', coalesce(c.pub, '')) AS pub,
               c.priv
        FROM (SELECT DISTINCT unnest(ids) AS id) u
        JOIN bugs b ON b.id = u.id
        LEFT JOIN LATERAL (
            SELECT max(body) FILTER (WHERE number = 0 AND NOT is_private) AS descr,
                   string_agg(body, E'\\n' ORDER BY number)
                       FILTER (WHERE number > 0 AND NOT is_private) AS pub,
                   string_agg(body, E'\\n' ORDER BY number) FILTER (WHERE is_private) AS priv
            FROM comments WHERE bug_id = b.id AND NOT is_hidden
        ) c ON true
    ) d
    ON CONFLICT (bug_id) DO UPDATE
        SET public_tsv = excluded.public_tsv, all_tsv = excluded.all_tsv
    $$
    """,
    """
    CREATE FUNCTION bugzot_fts_bugs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO bug_search (bug_id, public_tsv)
        SELECT id, setweight(to_tsvector('english', summary), 'A') FROM new_rows;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION bugzot_fts_comments_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM bugzot_fts_refresh(ARRAY(SELECT DISTINCT bug_id FROM new_rows));
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION bugzot_fts_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_TABLE_NAME = 'bugs' THEN
            PERFORM bugzot_fts_refresh(ARRAY[NEW.id]);
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM bugzot_fts_refresh(ARRAY[OLD.bug_id]);
        ELSE
            PERFORM bugzot_fts_refresh(ARRAY[OLD.bug_id, NEW.bug_id]);
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER bug_search_bugs_ins AFTER INSERT ON bugs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION bugzot_fts_bugs_inserted()
    """,
    """
    CREATE TRIGGER bug_search_bugs_upd AFTER UPDATE OF summary ON bugs FOR EACH ROW
    WHEN (OLD.summary IS DISTINCT FROM NEW.summary) EXECUTE FUNCTION bugzot_fts_row_changed()
    """,
    """
    CREATE TRIGGER bug_search_comments_ins AFTER INSERT ON comments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION bugzot_fts_comments_inserted()
    """,
    """
    CREATE TRIGGER bug_search_comments_upd AFTER UPDATE OF body, is_private, is_hidden, bug_id
    ON comments FOR EACH ROW
    WHEN (OLD.body IS DISTINCT FROM NEW.body OR OLD.is_private IS DISTINCT FROM NEW.is_private
          OR OLD.is_hidden IS DISTINCT FROM NEW.is_hidden OR OLD.bug_id IS DISTINCT FROM NEW.bug_id)
    EXECUTE FUNCTION bugzot_fts_row_changed()
    """,
    """
    CREATE TRIGGER bug_search_comments_del AFTER DELETE ON comments FOR EACH ROW
    EXECUTE FUNCTION bugzot_fts_row_changed()
    """,
    # Existing data (upgrading a live database).
    "SELECT bugzot_fts_refresh(ARRAY(SELECT id FROM bugs))",
]

PG_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS bug_search_comments_del ON comments",
    "DROP TRIGGER IF EXISTS bug_search_comments_upd ON comments",
    "DROP TRIGGER IF EXISTS bug_search_comments_ins ON comments",
    "DROP TRIGGER IF EXISTS bug_search_bugs_upd ON bugs",
    "DROP TRIGGER IF EXISTS bug_search_bugs_ins ON bugs",
    "DROP FUNCTION IF EXISTS bugzot_fts_row_changed()",
    "DROP FUNCTION IF EXISTS bugzot_fts_comments_inserted()",
    "DROP FUNCTION IF EXISTS bugzot_fts_bugs_inserted()",
    "DROP FUNCTION IF EXISTS bugzot_fts_refresh(integer[])",
    "DROP TABLE IF EXISTS bug_search",
]

# SQLite: the public/private texts of one bug, recomputed from its comments.
_SQLITE_REFRESH = """
    UPDATE bug_search SET
        description = coalesce((SELECT body FROM comments WHERE bug_id = {id} AND number = 0
                                AND NOT is_private AND NOT is_hidden), ''),
        comments = coalesce((SELECT group_concat(body, char(10)) FROM comments WHERE bug_id = {id}
                             AND number > 0 AND NOT is_private AND NOT is_hidden), ''),
        private = coalesce((SELECT group_concat(body, char(10)) FROM comments WHERE bug_id = {id}
                            AND is_private AND NOT is_hidden), '')
    WHERE rowid = {id};
"""

SQLITE_UPGRADE = [
    "CREATE VIRTUAL TABLE bug_search USING fts5("
    "summary, description, comments, private, tokenize = 'porter unicode61')",
    """
    CREATE TRIGGER bug_search_bugs_ins AFTER INSERT ON bugs BEGIN
        INSERT INTO bug_search (rowid, summary, description, comments, private)
        VALUES (new.id, new.summary, '', '', '');
    END
    """,
    """
    CREATE TRIGGER bug_search_bugs_upd AFTER UPDATE OF summary ON bugs
    WHEN old.summary IS NOT new.summary BEGIN
        UPDATE bug_search SET summary = new.summary WHERE rowid = new.id;
    END
    """,
    """
    CREATE TRIGGER bug_search_bugs_del AFTER DELETE ON bugs BEGIN
        DELETE FROM bug_search WHERE rowid = old.id;
    END
    """,
    "CREATE TRIGGER bug_search_comments_ins AFTER INSERT ON comments BEGIN"
    + _SQLITE_REFRESH.format(id="new.bug_id") + "END",
    "CREATE TRIGGER bug_search_comments_upd AFTER UPDATE OF body, is_private, is_hidden, bug_id "
    "ON comments BEGIN" + _SQLITE_REFRESH.format(id="old.bug_id")
    + _SQLITE_REFRESH.format(id="new.bug_id") + "END",
    "CREATE TRIGGER bug_search_comments_del AFTER DELETE ON comments BEGIN"
    + _SQLITE_REFRESH.format(id="old.bug_id") + "END",
    # Existing data (upgrading a live database).
    "INSERT INTO bug_search (rowid, summary, description, comments, private) "
    "SELECT id, summary, '', '', '' FROM bugs",
    "UPDATE comments SET bug_id = bug_id",  # fires the update trigger once per comment
]

SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS bug_search_comments_del",
    "DROP TRIGGER IF EXISTS bug_search_comments_upd",
    "DROP TRIGGER IF EXISTS bug_search_comments_ins",
    "DROP TRIGGER IF EXISTS bug_search_bugs_del",
    "DROP TRIGGER IF EXISTS bug_search_bugs_upd",
    "DROP TRIGGER IF EXISTS bug_search_bugs_ins",
    "DROP TABLE IF EXISTS bug_search",
]


def upgrade():
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("is_shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_saved_searches_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_searches")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_saved_searches_user_id_name")),
    )
    with op.batch_alter_table("saved_searches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_searches_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_saved_searches_is_shared"), ["is_shared"], unique=False)
    statements = PG_UPGRADE if op.get_bind().dialect.name == "postgresql" else SQLITE_UPGRADE
    for statement in statements:
        op.execute(statement)


def downgrade():
    statements = PG_DOWNGRADE if op.get_bind().dialect.name == "postgresql" else SQLITE_DOWNGRADE
    for statement in statements:
        op.execute(statement)
    with op.batch_alter_table("saved_searches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_searches_is_shared"))
        batch_op.drop_index(batch_op.f("ix_saved_searches_user_id"))
    op.drop_table("saved_searches")
