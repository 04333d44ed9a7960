"""``flask seed``: bulk synthetic data that the full-text index and sequences follow."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from bugzot.extensions import db
from bugzot.models import Bug, Comment, User
from bugzot.search import parse_query
from bugzot.search.query import count


def test_seed_command_writes_bugs_comments_and_index(app, runner, make_bug):
    result = runner.invoke(args=["seed", "--bugs", "120", "--comments-per-bug", "3",
                                 "--batch-size", "50", "--workers", "2", "--rare-word", "zyzzyva",
                                 "--rare-percent", "10"])
    assert result.exit_code == 0, result.output
    assert re.search(r"Added 120 bugs and 360 comments in [\d.]+ s", result.output)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bug)) == 120
    numbers = db.session.execute(sa.select(Comment.number, sa.func.count()).group_by(Comment.number)
                                 .order_by(Comment.number)).all()
    assert [tuple(n) for n in numbers] == [(0, 120), (1, 120), (2, 120)]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bug).where(Bug.revision != 3)) == 0
    with_word = db.session.scalar(sa.select(sa.func.count()).select_from(Comment).where(
        Comment.number == 0, Comment.body.contains("zyzzyva")))
    assert 2 <= with_word <= 30
    employee = db.session.scalar(sa.select(User).where(User.username == "seed0001"))
    assert employee.role.name == "Employee" and employee.is_active
    # The full-text index was filled by the triggers, batch by batch.
    assert count(parse_query({"q": "zyzzyva", "status": "all"}), employee) == (with_word, False)
    # Later writers get fresh ids (the sequence moved on with the seeded rows).
    assert make_bug(summary="after the seed").id == db.session.scalar(sa.func.max(Bug.id)) \
        == db.session.scalar(sa.select(sa.func.min(Bug.id))) + 120


def test_seeding_twice_adds_and_reuses_users(app):
    from bugzot.seed.bulk import seed

    first = seed(30, 1, users=5, batch_size=7)
    second = seed(20, 2, users=5, batch_size=7, rebuild_indexes=False)
    assert (first.bugs, first.comments, second.bugs, second.comments) == (30, 30, 20, 40)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)
                             .where(User.username.like("seed%"))) == 5
    ids = sorted(db.session.scalars(sa.select(Bug.id)))
    assert ids == list(range(ids[0], ids[0] + 50))


def test_seed_refuses_nonsense(app, runner):
    assert runner.invoke(args=["seed", "--bugs", "5", "--comments-per-bug", "0"]).exit_code != 0
    assert runner.invoke(args=["seed", "--bugs", "-1"]).exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bug)) == 0


# -- the full-text index and the schema after a seed -----------------------------------
TABLES = ("bugs", "comments", "bug_cc", "bug_search")
PG_SCHEMA = """
    SELECT 'index ' || pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid IN {tables}
    UNION ALL
    SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
    FROM pg_constraint WHERE conrelid IN {tables} OR confrelid IN {tables}
    UNION ALL
    SELECT 'trigger ' || tgrelid::regclass::text || ' ' || tgname || ' ' || tgenabled::text
    FROM pg_trigger WHERE tgrelid IN {tables} AND NOT tgisinternal
    ORDER BY 1
""".format(tables="(SELECT to_regclass(t) FROM unnest(CAST(:tables AS text[])) AS t)")


def schema(backend: str) -> list[str]:
    """Indexes, constraints and trigger states of the tables the seed fills."""
    if backend == "postgresql":
        return list(db.session.scalars(sa.text(PG_SCHEMA), {"tables": list(TABLES)}))
    return [f"{name} {sql}" for name, sql in db.session.execute(sa.text(
        "SELECT name, sql FROM sqlite_master ORDER BY name"))]


def found(word: str) -> set[int]:
    """Ids of the bugs the full-text search finds ``word`` in (as the seeded Employee)."""
    from bugzot.search import fts

    employee = db.session.scalar(sa.select(User).where(User.username == "seed0001"))
    match = fts.matches(db.engine.dialect.name, employee, (word,))
    return set(db.session.scalars(sa.select(match.c.bug_id)))


def index_rows(backend: str) -> list[tuple]:
    """The full-text index, comparable across backends' row types."""
    if backend == "postgresql":
        return [tuple(r) for r in db.session.execute(sa.text(
            "SELECT bug_id, public_tsv::text, all_tsv::text, status, is_private, reporter_id, "
            "product_id FROM bug_search ORDER BY bug_id"))]
    return [tuple(r) for r in db.session.execute(sa.text(
        "SELECT a.rowid, a.summary, a.description, a.comments, a.private, p.summary, p.description, "
        "p.comments FROM bug_search_all a JOIN bug_search p ON p.rowid = a.rowid ORDER BY a.rowid"))]


@pytest.mark.parametrize("rebuild", [True, False])
def test_seed_indexes_every_bug_and_leaves_the_schema_as_migrated(app, backend, rebuild):
    from bugzot.seed.bulk import seed

    before = schema(backend)
    # Five comments: descriptions with and without the rare word, public and private
    # replies in every mix, so that the index rows the seed puts together itself meet
    # every case of bugzot_fts_refresh's (compared below).
    seed(60, 5, users=5, batch_size=25, rare_word="zyzzyva", rare_percent=20,
         private_percent=30, rebuild_indexes=rebuild)
    db.session.commit()
    assert schema(backend) == before  # triggers enabled, indexes and foreign keys as migrated
    with_word = set(db.session.scalars(sa.select(Comment.bug_id).where(
        Comment.number == 0, Comment.body.contains("zyzzyva"))))
    assert with_word and found("zyzzyva") == with_word
    ids = list(db.session.scalars(sa.select(Bug.id).order_by(Bug.id)))
    seeded = index_rows(backend)
    assert [row[0] for row in seeded] == ids
    if backend == "postgresql":  # the same rows the migration's own function computes
        db.session.execute(sa.text("SELECT bugzot_fts_refresh(:ids)"), {"ids": ids})
        assert index_rows(backend) == seeded
        assert any(row[2] for row in seeded) and not all(row[2] for row in seeded)
        assert any(row[4] for row in seeded)  # private bugs


@pytest.mark.parametrize("word", ["back\\slash", "it's", "tab\there", "C:\\Temp\\x.log", "9876543210"])
def test_a_rare_word_with_characters_to_escape_is_stored_and_indexed_as_given(app, backend, word):
    from bugzot.seed.bulk import seed

    seed(8, 2, users=3, rare_word=word, rare_percent=100)
    db.session.commit()
    bodies = db.session.scalars(sa.select(Comment.body).where(Comment.number == 0)).all()
    assert len(bodies) == 8 and all(body.endswith(f" Seen together with {word} again.")
                                    for body in bodies)
    if backend == "postgresql":  # the seed's own index rows, as the migration's function makes them
        seeded = index_rows(backend)
        db.session.execute(sa.text("SELECT bugzot_fts_refresh(array_agg(id)) FROM bugs"))
        assert index_rows(backend) == seeded


def test_bugs_too_long_to_put_together_are_indexed_by_the_database(app, backend):
    """Past 256 positions a bug's vectors are PostgreSQL's to cut: the refresh makes them."""
    from bugzot.seed.bulk import seed

    seed(6, 12, users=3, rare_word="zyzzyva", rare_percent=100)
    db.session.commit()
    assert len(found("zyzzyva")) == 6
    if backend == "postgresql":
        seeded = index_rows(backend)
        db.session.execute(sa.text("SELECT bugzot_fts_refresh(array_agg(id)) FROM bugs"))
        assert index_rows(backend) == seeded


def test_bugs_filed_after_a_seed_are_indexed(app, make_bug):
    from bugzot.seed.bulk import seed

    seed(40, 2, users=5, batch_size=15, rebuild_indexes=True)
    bug = make_bug(summary="Wombat printer", description="the ocelot report")
    assert found("wombat") == {bug.id} and found("ocelot") == {bug.id}


@pytest.mark.parametrize("rebuild", [True, False])
def test_a_failed_seed_leaves_nothing_behind(app, backend, make_bug, rebuild):
    from bugzot.seed.bulk import seed

    before = schema(backend)

    def fail(done: int) -> None:
        if done >= 20:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        seed(50, 3, users=5, batch_size=10, rebuild_indexes=rebuild, progress=fail)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bug)) == 0
    assert index_rows(backend) == []
    assert schema(backend) == before
    bug = make_bug(summary="Wombat printer", description="the ocelot report")
    assert found("wombat") == {bug.id} and found("ocelot") == {bug.id}
