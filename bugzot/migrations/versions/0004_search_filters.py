"""Search: the filter columns of a bug in its full-text index row (PostgreSQL).

``bug_search`` gains ``status``, ``is_private``, ``reporter_id`` and
``product_id``, copies of the bug's columns, so that a text search applies
visibility, status, reporter and product filters and counts its matches inside
the index table, without visiting ``bugs`` once per match (at a million bugs a
common word matches ~10,000 of them). ``bugzot_fts_refresh(ids)`` keeps its
signature and still rewrites the whole index row of each bug (text and filter
columns); a row trigger on ``bugs`` copies changed filter columns.

SQLite keeps its FTS5 table unchanged: nothing to do there.

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_REFRESH = """
    CREATE OR REPLACE FUNCTION bugzot_fts_refresh(ids integer[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO bug_search (bug_id, {columns}public_tsv, all_tsv)
    SELECT id, {values}pub, CASE WHEN priv IS NULL THEN NULL ELSE pub || to_tsvector('english', priv) END
    FROM (
        SELECT b.id, {selected}
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
        SET {updated}public_tsv = excluded.public_tsv, all_tsv = excluded.all_tsv
    $$
"""
_FILTERS = ("status", "is_private", "reporter_id", "product_id")

PG_UPGRADE = [
    "ALTER TABLE bug_search ADD COLUMN status varchar(20), ADD COLUMN is_private boolean, "
    "ADD COLUMN reporter_id integer, ADD COLUMN product_id integer",
    "UPDATE bug_search s SET status = b.status, is_private = b.is_private, "
    "reporter_id = b.reporter_id, product_id = b.product_id FROM bugs b WHERE b.id = s.bug_id",
    "ALTER TABLE bug_search ALTER COLUMN status SET NOT NULL, ALTER COLUMN is_private SET NOT NULL, "
    "ALTER COLUMN reporter_id SET NOT NULL, ALTER COLUMN product_id SET NOT NULL",
    _REFRESH.format(columns="".join(f"{c}, " for c in _FILTERS),
                    values="".join(f"{c}, " for c in _FILTERS),
                    selected="".join(f"b.{c}, " for c in _FILTERS),
                    updated="".join(f"{c} = excluded.{c}, " for c in _FILTERS)),
    """
    CREATE OR REPLACE FUNCTION bugzot_fts_bugs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO bug_search (bug_id, status, is_private, reporter_id, product_id, public_tsv)
        SELECT id, status, is_private, reporter_id, product_id,
               setweight(to_tsvector('english', summary), 'A')
        FROM new_rows;
        RETURN NULL;
    END $$
    """,
    # Filter columns change without touching the text: copy them, no re-indexing.
    """
    CREATE FUNCTION bugzot_fts_bug_filters_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE bug_search SET status = NEW.status, is_private = NEW.is_private,
                              reporter_id = NEW.reporter_id, product_id = NEW.product_id
        WHERE bug_id = NEW.id;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER bug_search_bugs_filters AFTER UPDATE OF status, is_private, reporter_id, product_id
    ON bugs FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.is_private IS DISTINCT FROM NEW.is_private
          OR OLD.reporter_id IS DISTINCT FROM NEW.reporter_id
          OR OLD.product_id IS DISTINCT FROM NEW.product_id)
    EXECUTE FUNCTION bugzot_fts_bug_filters_changed()
    """,
]

PG_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS bug_search_bugs_filters ON bugs",
    "DROP FUNCTION IF EXISTS bugzot_fts_bug_filters_changed()",
    # The 0003 versions of the two functions.
    _REFRESH.format(columns="", values="", selected="", updated=""),
    """
    CREATE OR REPLACE FUNCTION bugzot_fts_bugs_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO bug_search (bug_id, public_tsv)
        SELECT id, setweight(to_tsvector('english', summary), 'A') FROM new_rows;
        RETURN NULL;
    END $$
    """,
    "ALTER TABLE bug_search DROP COLUMN status, DROP COLUMN is_private, "
    "DROP COLUMN reporter_id, DROP COLUMN product_id",
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_UPGRADE:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in PG_DOWNGRADE:
            op.execute(statement)
