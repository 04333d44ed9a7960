"""``flask seed``: bulk synthetic data that the full-text index and sequences follow."""

from __future__ import annotations

import re

import sqlalchemy as sa

from bugzot.extensions import db
from bugzot.models import Bug, Comment, User
from bugzot.search import parse_query
from bugzot.search.query import count


def test_seed_command_writes_bugs_comments_and_index(app, runner, make_bug):
    result = runner.invoke(args=["seed", "--bugs", "120", "--comments-per-bug", "3",
                                 "--batch-size", "50", "--rare-word", "zyzzyva",
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
    assert make_bug(summary="after the seed").id == 121


def test_seeding_twice_adds_and_reuses_users(app):
    from bugzot.services.seed import seed

    first = seed(30, 1, users=5, batch_size=7)
    second = seed(20, 2, users=5, batch_size=7, workers=2)
    assert (first.bugs, first.comments, second.bugs, second.comments) == (30, 30, 20, 40)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)
                             .where(User.username.like("seed%"))) == 5
    assert sorted(db.session.scalars(sa.select(Bug.id))) == list(range(1, 51))


def test_seed_refuses_nonsense(app, runner):
    assert runner.invoke(args=["seed", "--bugs", "5", "--comments-per-bug", "0"]).exit_code != 0
    assert runner.invoke(args=["seed", "--bugs", "-1"]).exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bug)) == 0
