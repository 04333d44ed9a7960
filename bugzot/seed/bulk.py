"""Fast synthetic data for benchmarks and demos: ``flask --app bugzot seed``.

Rows are generated in Python from small pre-built text pools, column by column
(worker processes, or for small seeds a helper thread, build the next batches while
the database writes this one) and written in batches: binary ``COPY ... FROM STDIN``
on PostgreSQL, ``executemany`` on SQLite. The whole seed is one transaction: if it
fails, nothing of it remains.

On SQLite the row triggers of migration 0003 keep the full-text index current.
On PostgreSQL the seed puts its tables in bulk mode inside that transaction: the
full-text insert triggers are disabled and the seed writes the index rows itself,
by COPY. PostgreSQL computes the vector of each pool text once (``Vectors``); a
bug's vectors are then put together from those of its texts in Python, exactly as
``bugzot_fts_refresh`` (the migration's own function) would compute them:
``tests/test_seed.py`` runs that function over the seeded bugs and compares. Parsing
and stemming every bug's text in the one backend of the seed's transaction was most
of the seed's time. A large seed (at least as many
bugs as the database holds) also drops the foreign keys and non-unique indexes of
the tables it fills and re-creates them from their live definitions at the end,
several times cheaper than maintaining them row by row. Being DDL in the seed's
transaction, none of it is ever visible to other sessions and a failure rolls all
of it back. The price: other writers wait for the seed, and a large seed also
blocks readers of the tables it fills.
"""

from __future__ import annotations

import os
import random
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import click
from flask.cli import with_appcontext
from sqlalchemy import select, text

from bugzot import permissions, workflow
from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.models import Classification, Component, Product, User, Version
from bugzot.seed.storage import (
    TextFields,
    bulk_mode,
    copy_bugs,
    copy_ccs,
    copy_comments,
    copy_search,
    id_blocks,
    micros,
    write,
)
from bugzot.seed.texts import WEIGHTS, Pools, Vectors, rare_sentence
from bugzot.services import unit_of_work
from bugzot.services.passwords import hash_password
from bugzot.services.roles import ensure_default_roles, role_by_name

CLASSIFICATION = "Synthetic"
PRODUCTS = ("Atlas", "Borealis", "Cobalt", "Dynamo", "Ember", "Fjord", "Granite", "Helix")
COMPONENTS = ("Core", "User Interface", "API", "Storage", "Networking", "Installer", "Docs")
VERSIONS = ("1.0", "1.1", "2.0", "2.1")
USER_PREFIX = "seed"
ROLE_MIX = ((permissions.REPORTER, 70), (permissions.EMPLOYEE, 25), (permissions.SUPERVISOR, 5))
STATUS_MIX = (("NEW", 40), ("ASSIGNED", 20), ("UNCONFIRMED", 8), ("REOPENED", 2),
              ("RESOLVED", 15), ("VERIFIED", 7), ("CLOSED", 8))
SEVERITY_MIX = (1, 3, 10, 60, 15, 6, 5)  # weights in the order of workflow.SEVERITIES
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
A, B, D = WEIGHTS["A"], WEIGHTS["B"], WEIGHTS[""]


@dataclass
class SeedResult:
    """What ``seed`` wrote and how long it took."""

    bugs: int
    comments: int
    seconds: float
    logins: dict[str, str]  # role name -> a seeded username with that role

    @property
    def bugs_per_second(self) -> float:
        return self.bugs / self.seconds if self.seconds else float(self.bugs)


@dataclass(frozen=True)
class _Spec:
    """What every batch needs to generate its rows."""

    comments_per_bug: int
    catalogue: list[tuple[int, int, list[int], int | None]]
    people: tuple[list[int], list[int]]
    pools: Pools
    rare_word: str
    rare_p: float
    private_p: float
    random_seed: int
    dialect: str
    vectors: Vectors | None  # PostgreSQL: the index rows are written by the seed
    strings: TextFields | None  # PostgreSQL: the repeated strings, encoded for binary COPY


def seed(bugs: int, comments_per_bug: int, *, rare_word: str = "quuxolotl",
         rare_percent: float = 1.0, private_percent: float = 5.0, random_seed: int = 1,
         batch_size: int = 10_000, users: int = 200, password: str = "seed-password",
         rebuild_indexes: bool | None = None, workers: int | None = None,
         progress: Callable[[int], None] | None = None) -> SeedResult:
    """Add ``bugs`` bugs with ``comments_per_bug`` comments each (the first is the description).

    ``rare_percent`` of the descriptions contain ``rare_word`` (for search benchmarks);
    ``private_percent`` of the other comments are private. The bugs are one transaction.
    ``rebuild_indexes`` (PostgreSQL): drop the foreign keys and non-unique indexes of the
    filled tables for the load and re-create them at the end; by default when the seed
    at least doubles the bugs, since re-creating costs as much as the tables hold.
    ``workers``: processes generating batches (0: one helper thread; by default one per
    CPU, at most 4, when there are more than two batches). Batch ``n`` is drawn from
    its own random generator, so the rows do not depend on who generated them.
    """
    if bugs < 0 or comments_per_bug < 1 or batch_size < 1:
        raise ServiceError("Give at least 0 bugs, 1 comment per bug (the description) and "
                           "a batch size of 1 or more.")
    started = time.perf_counter()
    rng = random.Random(random_seed)
    catalogue, people, logins = _ensure_catalogue_and_users(users, password, rng)
    dialect = db.session.get_bind().dialect.name
    postgres = dialect == "postgresql"
    pools = Pools(random.Random(f"{random_seed}:pools"))  # the same texts on every seed
    vectors = None
    if postgres and bugs:
        vectors = Vectors(db.session.connection(), pools, rare_sentence(rare_word))
        vectors = vectors if vectors.fit(comments_per_bug) else None
    strings = TextFields({*pools.summaries, *workflow.STATUSES, *workflow.RESOLUTIONS, None,
                          *workflow.SEVERITIES, *PRIORITIES, *workflow.PLATFORMS,
                          *workflow.OP_SYSES}) if postgres else None
    spec = _Spec(comments_per_bug, catalogue, people, pools, rare_word, rare_percent / 100,
                 private_percent / 100, random_seed, dialect, vectors, strings)
    sizes = [min(batch_size, bugs - start) for start in range(0, bugs, batch_size)]
    done = comments = 0
    if workers is None:  # processes pay off once there are batches to overlap
        workers = min(4, os.cpu_count() or 1) if len(sizes) > 2 else 0
    # The session's connection: one transaction, committed once at the end.
    try:
        with (ProcessPoolExecutor(workers) if workers else ThreadPoolExecutor(1)) as helpers:
            conn = db.session.connection()
            restore = bulk_mode(conn, bugs, rebuild_indexes) if postgres else None
            blocks = id_blocks(conn, sizes)
            # Helpers build the next batches while the database writes this one.
            pending = deque(helpers.submit(_batch, next(blocks), spec, number)
                            for number in range(min(len(sizes), max(workers, 1) + 1)))
            for number in range(len(sizes)):
                ids, written_comments, tables = pending.popleft().result()
                if number + len(pending) + 1 < len(sizes):
                    pending.append(helpers.submit(_batch, next(blocks), spec,
                                                  number + len(pending) + 1))
                write(conn, tables)
                if postgres and not vectors:
                    conn.execute(text("SELECT bugzot_fts_refresh(:ids)"), {"ids": ids})
                done += len(ids)
                comments += written_comments
                if progress:
                    progress(done)
            if restore:
                restore()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if postgres:
        # Fresh planner statistics, or the first queries plan for empty tables.
        db.session.execute(text("ANALYZE bugs, comments, bug_cc, bug_search"))
        db.session.commit()
    return SeedResult(done, comments, time.perf_counter() - started, logins)


def _ensure_catalogue_and_users(count: int, password: str, rng: random.Random):
    """Products with components/versions and ``count`` active users, created if missing."""
    ensure_default_roles()
    with unit_of_work():
        existing = {u.username: u for u in db.session.scalars(
            select(User).where(User.username.like(f"{USER_PREFIX}%")))}
        password_hash = hash_password(password)  # one hash for all: argon2 is slow on purpose
        roles = [role for role, weight in ROLE_MIX for _ in range(weight)]
        people = []
        for i in range(1, count + 1):
            name = f"{USER_PREFIX}{i:04d}"
            user = existing.get(name)
            if user is None:
                role = permissions.EMPLOYEE if i == 1 else roles[i % len(roles)]
                user = User(username=name, email=f"{name}@example.com", password_hash=password_hash,
                            real_name=f"Seed User {i}", role=role_by_name(role), is_active=True)
                db.session.add(user)
            people.append(user)
        cls = db.session.scalar(select(Classification).where(Classification.name == CLASSIFICATION))
        if cls is None:
            cls = Classification(name=CLASSIFICATION, description="Generated by flask seed")
            db.session.add(cls)
        for name in PRODUCTS:
            if db.session.scalar(select(Product.id).where(Product.name == name)) is None:
                product = Product(name=name, classification=cls, description=f"The {name} product")
                product.components = [Component(name=c, description=f"{c} of {name}",
                                                default_assignee=rng.choice(people))
                                      for c in COMPONENTS]
                product.versions = [Version(value=v) for v in VERSIONS]
                db.session.add(product)
        # Read inside the unit of work: its commit leaves no transaction whose locks
        # the seed's bulk-mode DDL would wait for.
        employees = [u.id for u in people if u.role.name != permissions.REPORTER]
        catalogue = []
        # In id order: the same seed draws the same rows from it every time.
        for product in db.session.scalars(select(Product).where(Product.name.in_(PRODUCTS))
                                          .order_by(Product.id)):
            versions = sorted(v.id for v in product.versions)
            for comp in sorted(product.components, key=lambda c: c.id):
                catalogue.append((product.id, comp.id, versions, comp.default_assignee_id))
        # One login per role, to try the site (or benchmark it) as that kind of user.
        logins = {u.role.name: u.username for u in reversed(people)}
        everyone = [u.id for u in people]
    return catalogue, (everyone, employees), logins


def _batch(ids: list[int], spec: _Spec, number: int) -> tuple[list[int], int, tuple]:
    """Batch ``number`` ready to write: (bug ids, comment count, binary COPY data per table
    on PostgreSQL, lists of rows on SQLite)."""
    tables = _generate(ids, spec, random.Random(f"{spec.random_seed}:{number}"))
    comments = len(tables[1])
    if spec.dialect == "postgresql":
        bugs, comment_rows, ccs, *search = tables
        tables = (copy_bugs(bugs, spec.strings), copy_comments(comment_rows), copy_ccs(ccs),
                  *[copy_search(rows, spec.strings) for rows in search])
    return ids, comments, tables


def _generate(ids: list[int], spec: _Spec, rng: random.Random):
    """Rows (tuples of str/int/bool/None, timestamps in ``micros``) for the bugs, comments,
    CC and (PostgreSQL) full-text index of one batch.

    The random choices of a column are drawn for the whole batch at once (``choices``
    with ``k``), several times cheaper than one call per row.
    """
    pools, vectors, n = spec.pools, spec.vectors, len(ids)
    everyone, employees = spec.people
    replies = spec.comments_per_bug - 1
    now = micros(datetime.now(UTC))
    second = 1_000_000
    draw, uniform = rng.choices, rng.random
    closed = set(workflow.CLOSED_STATUSES)
    statuses = draw([s for s, w in STATUS_MIX for _ in range(w)], k=n)
    resolutions = draw(workflow.RESOLUTIONS, k=n)
    severities = draw([s for s, w in zip(workflow.SEVERITIES, SEVERITY_MIX, strict=True)
                       for _ in range(w)], k=n)
    catalogue, reporters, ages = draw(spec.catalogue, k=n), draw(everyone, k=n), \
        draw(range(3600, 730 * 86400 + 1), k=n)
    summaries, priorities = draw(range(len(pools.summaries)), k=n), draw(PRIORITIES, k=n)
    platforms, systems = draw(workflow.PLATFORMS, k=n), draw(workflow.OP_SYSES, k=n)
    sentence_picks = iter(draw(range(len(pools.sentences)), k=n * (3 + 2 * replies)))
    delays = iter(draw(range(60, 30 * 86400 + 1), k=n * replies))
    authors = iter(draw(everyone, k=n * replies))
    sentences, rare, rare_p, private_p = pools.sentences, rare_sentence(spec.rare_word), \
        spec.rare_p, spec.private_p
    bugs, comments, ccs, searches = [], [], [], []
    for i, bug_id in enumerate(ids):
        product_id, component_id, versions, default_assignee = catalogue[i]
        status, reporter, summary = statuses[i], reporters[i], summaries[i]
        assignee = None if uniform() < 0.1 else (
            default_assignee if uniform() < 0.7 else employees[int(uniform() * len(employees))])
        created = moment = now - ages[i] * second
        is_private = uniform() < 0.02
        described = [next(sentence_picks), next(sentence_picks), next(sentence_picks)]
        description = " ".join([sentences[d] for d in described])
        with_rare = uniform() < rare_p
        if with_rare:
            description += " " + rare
        comments.append((bug_id, 0, reporter, description, False, False, created, 1))
        public, private = [], []
        for number in range(1, replies + 1):
            moment += next(delays) * second
            said = (next(sentence_picks), next(sentence_picks))
            hidden_from_most = uniform() < private_p
            comments.append((bug_id, number, next(authors),
                             sentences[said[0]] + " " + sentences[said[1]],
                             hidden_from_most, False, moment, number + 1))
            (private if hidden_from_most else public).extend(said)
        bugs.append((bug_id, product_id, component_id, versions[int(uniform() * len(versions))],
                     pools.summaries[summary], status,
                     resolutions[i] if status in closed else None, severities[i], priorities[i],
                     platforms[i], systems[i], reporter, assignee, is_private, created,
                     spec.comments_per_bug, min(moment, now)))
        if uniform() < 0.2:
            ccs.append((bug_id, everyone[int(uniform() * len(everyone))]))
        if vectors:
            pieces = vectors.sentences
            texts = [([vectors.summaries[summary]], A),
                     ([pieces[d] for d in described] + ([vectors.rare] if with_rare else []), B),
                     ([pieces[d] for d in public], D)]
            searches.append((bug_id, *vectors.row(texts, [pieces[d] for d in private]),
                             status, is_private, reporter, product_id))
    return (bugs, comments, ccs, searches) if vectors else (bugs, comments, ccs)


@click.command("seed")
@with_appcontext
@click.option("--bugs", "bug_count", type=click.IntRange(min=0), default=1000, show_default=True,
              help="How many bugs to add.")
@click.option("--comments-per-bug", type=click.IntRange(min=1), default=3, show_default=True,
              help="Comments per bug, the description (comment 0) included.")
@click.option("--rare-word", default="quuxolotl", show_default=True,
              help="A word put into --rare-percent of the descriptions (search benchmarks).")
@click.option("--rare-percent", type=click.FloatRange(0, 100), default=1.0, show_default=True)
@click.option("--batch-size", type=click.IntRange(min=1), default=10_000, show_default=True)
@click.option("--random-seed", type=int, default=1, show_default=True)
@click.option("--rebuild-indexes/--keep-indexes", default=None,
              help="PostgreSQL: drop foreign keys and non-unique indexes during the load and "
                   "re-create them (default: when the seed at least doubles the bugs).")
@click.option("--password", default="seed-password", show_default=True,
              help="Password of the generated users (seed0001...).")
@click.option("--workers", type=click.IntRange(min=0), default=None,
              help="Processes generating batches (0: one thread; default: one per CPU, at "
                   "most 4, when there are more than two batches).")
def seed_command(bug_count: int, comments_per_bug: int, rare_word: str, rare_percent: float,
                 batch_size: int, random_seed: int, rebuild_indexes: bool | None,
                 password: str, workers: int | None) -> None:
    """Add synthetic products, users, bugs and comments quickly (COPY on PostgreSQL)."""
    def progress(done: int) -> None:
        click.echo(f"  {done:,} / {bug_count:,} bugs", err=True)

    try:
        result = seed(bug_count, comments_per_bug, rare_word=rare_word, rare_percent=rare_percent,
                      batch_size=batch_size, random_seed=random_seed, password=password,
                      rebuild_indexes=rebuild_indexes, workers=workers,
                      progress=progress if bug_count > batch_size else None)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Added {result.bugs:,} bugs and {result.comments:,} comments in "
               f"{result.seconds:.1f} s ({result.bugs_per_second:,.0f} bugs/s).")
    for role, username in sorted(result.logins.items()):
        click.echo(f"  {role:<11} {username}  password: {password}")
