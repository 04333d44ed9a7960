"""``flask seed``'s fast path: worker processes, binary COPY, and a database that works after it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bugzot import workflow
from bugzot.extensions import db
from bugzot.models import Bug, BugCC, Comment, User
from tests import factories

BUG_FIELDS = (Bug.product_id, Bug.component_id, Bug.version_id, Bug.summary, Bug.status,
              Bug.resolution, Bug.severity, Bug.priority, Bug.platform, Bug.op_sys,
              Bug.reporter_id, Bug.assignee_id, Bug.is_private, Bug.revision)


def seeded(first_id: int) -> tuple[list, list, list]:
    """Bugs (without id and times), comments and CC of the bugs from ``first_id`` on,
    with each bug's id given as its offset from ``first_id``."""
    bugs = [tuple(row) for row in db.session.execute(
        sa.select(*BUG_FIELDS).where(Bug.id >= first_id).order_by(Bug.id))]
    comments = [(row.bug_id - first_id, *row[1:]) for row in db.session.execute(
        sa.select(Comment.bug_id, Comment.number, Comment.author_id, Comment.body,
                  Comment.is_private, Comment.is_hidden, Comment.revision)
        .where(Comment.bug_id >= first_id).order_by(Comment.bug_id, Comment.number))]
    ccs = [(row.bug_id - first_id, row.user_id) for row in db.session.execute(
        sa.select(BugCC.bug_id, BugCC.user_id).where(BugCC.bug_id >= first_id)
        .order_by(BugCC.bug_id, BugCC.user_id))]
    return bugs, comments, ccs


def test_worker_processes_write_the_same_rows_as_one_thread(app, backend):
    from bugzot.seed.bulk import seed

    seed(45, 3, users=6, batch_size=10, random_seed=9, private_percent=30, workers=0)
    db.session.commit()
    first = db.session.scalar(sa.func.max(Bug.id)) + 1
    by_thread = seeded(db.session.scalar(sa.func.min(Bug.id)))
    seed(45, 3, users=6, batch_size=10, random_seed=9, private_percent=30, workers=2)
    db.session.commit()
    by_processes = seeded(first)
    assert by_processes == by_thread
    assert len(by_thread[0]) == 45 and len(by_thread[1]) == 135
    assert by_thread[2]  # some CC rows, compared above


def test_seeded_rows_have_the_promised_shape_and_times(app, backend):
    from bugzot.seed.bulk import seed

    before = datetime.now(UTC)
    seed(2000, 3, users=20, batch_size=700, rare_word="zyzzyva", rare_percent=1)
    db.session.commit()
    bugs = db.session.execute(sa.select(Bug.id, Bug.status, Bug.resolution, Bug.created_at,
                                        Bug.updated_at, Bug.revision)).all()
    statuses = Counter(bug.status for bug in bugs)
    assert set(statuses) == set(workflow.STATUSES)
    assert 600 <= statuses["NEW"] <= 1000  # 40% of 2000
    for bug in bugs:
        assert (bug.resolution in workflow.RESOLUTIONS) == (bug.status in workflow.CLOSED_STATUSES)
        assert bug.revision == 3
        created, updated = (stamp.replace(tzinfo=stamp.tzinfo or UTC) for stamp in
                            (bug.created_at, bug.updated_at))
        assert before - timedelta(days=731) < created < before - timedelta(minutes=59)
        assert created <= updated <= datetime.now(UTC)
    times = {bug.id: [] for bug in bugs}
    for row in db.session.execute(sa.select(Comment.bug_id, Comment.number, Comment.created_at)
                                  .order_by(Comment.bug_id, Comment.number)):
        times[row.bug_id].append(row.created_at)
    created = {bug.id: bug.created_at for bug in bugs}
    assert all(stamps[0] == created[bug_id] and stamps == sorted(stamps) and len(stamps) == 3
               for bug_id, stamps in times.items())
    rare = db.session.scalar(sa.select(sa.func.count()).select_from(Comment).where(
        Comment.number == 0, Comment.body.contains("zyzzyva")))
    assert 5 <= rare <= 45  # 1% of 2000


def test_the_database_takes_new_bugs_and_comments_after_a_seed(app, backend):
    from bugzot.search import fts
    from bugzot.seed.bulk import seed

    seed(300, 3, users=8, batch_size=70, rare_word="zyzzyva", rare_percent=10, workers=2)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 900
    last_bug = db.session.scalar(sa.func.max(Bug.id))
    last_comment = db.session.scalar(sa.func.max(Comment.id))
    employee = db.session.scalar(sa.select(User).where(User.username == "seed0001"))
    bug = factories.new_bug(product="Atlas", reporter=employee, summary="Wombat after the seed",
                            description="an ocelot report")
    assert bug.id == last_bug + 1
    factories.edit(employee, db.session.get(Bug, 1 + last_bug - 300), comment="numbat remark")
    assert db.session.scalar(sa.func.max(Comment.id)) == last_comment + 2
    if backend == "postgresql":
        assert db.session.scalar(sa.text("SELECT last_value FROM bugs_id_seq")) == bug.id
    db.session.commit()

    def found(word: str) -> set[int]:
        match = fts.matches(db.engine.dialect.name, employee, (word,))
        return set(db.session.scalars(sa.select(match.c.bug_id)))

    assert found("wombat") == found("ocelot") == {bug.id}
    assert found("numbat") == {1 + last_bug - 300}
    with_word = set(db.session.scalars(sa.select(Comment.bug_id).where(
        Comment.number == 0, Comment.body.contains("zyzzyva"))))
    assert with_word and found("zyzzyva") == with_word
