"""Fast synthetic data for benchmarks and demos: ``flask --app bugzot seed``.

Rows are generated in Python from small pre-built text pools (a helper thread
builds the next batch while the database writes this one) and written in batches:
``COPY ... FROM STDIN`` on PostgreSQL, ``executemany`` on SQLite. The whole seed
is one transaction: if it fails, nothing of it remains.

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

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import select, text

from bugzot import permissions, workflow
from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.models import Classification, Component, Product, User, Version
from bugzot.seed.storage import bulk_mode, copy_buffer, id_blocks, stamp, write
from bugzot.seed.texts import Pools, Vectors, rare_sentence
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


def seed(bugs: int, comments_per_bug: int, *, rare_word: str = "quuxolotl",
         rare_percent: float = 1.0, private_percent: float = 5.0, random_seed: int = 1,
         batch_size: int = 10_000, users: int = 200, password: str = "seed-password",
         rebuild_indexes: bool | None = None,
         progress: Callable[[int], None] | None = None) -> SeedResult:
    """Add ``bugs`` bugs with ``comments_per_bug`` comments each (the first is the description).

    ``rare_percent`` of the descriptions contain ``rare_word`` (for search benchmarks);
    ``private_percent`` of the other comments are private. The bugs are one transaction.
    ``rebuild_indexes`` (PostgreSQL): drop the foreign keys and non-unique indexes of the
    filled tables for the load and re-create them at the end; by default when the seed
    at least doubles the bugs, since re-creating costs as much as the tables hold.
    """
    if bugs < 0 or comments_per_bug < 1 or batch_size < 1:
        raise ServiceError("Give at least 0 bugs, 1 comment per bug (the description) and "
                           "a batch size of 1 or more.")
    started = time.perf_counter()
    rng = random.Random(random_seed)
    catalogue, people, logins = _ensure_catalogue_and_users(users, password, rng)
    dialect = db.session.get_bind().dialect.name
    postgres = dialect == "postgresql"
    pools = Pools(rng)
    vectors = None
    if postgres and bugs:
        vectors = Vectors(db.session.connection(), pools, rare_sentence(rare_word))
        vectors = vectors if vectors.fit(comments_per_bug) else None
    spec = _Spec(comments_per_bug, catalogue, people, pools, rare_word, rare_percent / 100,
                 private_percent / 100, random_seed, dialect, vectors)
    sizes = [min(batch_size, bugs - start) for start in range(0, bugs, batch_size)]
    done = comments = 0
    # The session's connection: one transaction, committed once at the end.
    try:
        with ThreadPoolExecutor(max_workers=1) as helper:
            conn = db.session.connection()
            restore = bulk_mode(conn, bugs, rebuild_indexes) if postgres else None
            blocks = id_blocks(conn, sizes)
            pending = helper.submit(_batch, next(blocks), spec, 0) if sizes else None
            for number in range(len(sizes)):
                ids, written_comments, tables = pending.result()
                if number + 1 < len(sizes):  # the helper builds the next batch meanwhile
                    pending = helper.submit(_batch, next(blocks), spec, number + 1)
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
        for product in db.session.scalars(select(Product).where(Product.name.in_(PRODUCTS))):
            versions = [v.id for v in product.versions]
            for comp in product.components:
                catalogue.append((product.id, comp.id, versions, comp.default_assignee_id))
        # One login per role, to try the site (or benchmark it) as that kind of user.
        logins = {u.role.name: u.username for u in reversed(people)}
        everyone = [u.id for u in people]
    return catalogue, (everyone, employees), logins


def _batch(ids: list[int], spec: _Spec, number: int) -> tuple[list[int], int, tuple]:
    """Batch ``number`` ready to write: (bug ids, comment count, rows or COPY text per table)."""
    tables = _generate(ids, spec, random.Random(f"{spec.random_seed}:{number}"))
    comments = len(tables[1])
    if spec.dialect == "postgresql":
        tables = tuple(copy_buffer(rows) for rows in tables)
    return ids, comments, tables


def _generate(ids: list[int], spec: _Spec, rng: random.Random):
    """Rows (tuples of str/int/bool/None) for the bugs, comments and CC of one batch."""
    dialect, pools, catalogue = spec.dialect, spec.pools, spec.catalogue
    everyone, employees = spec.people
    replies = spec.comments_per_bug - 1
    now = datetime.now(UTC)
    statuses = [s for s, w in STATUS_MIX for _ in range(w)]
    severities = [s for s, w in zip(workflow.SEVERITIES, SEVERITY_MIX, strict=True) for _ in range(w)]
    platforms, systems = workflow.PLATFORMS, workflow.OP_SYSES
    vectors = spec.vectors
    sentences, rare = pools.sentences, rare_sentence(spec.rare_word)
    summary_indexes, sentence_indexes = range(len(pools.summaries)), range(len(sentences))
    bugs, comments, ccs, searches = [], [], [], []
    for bug_id in ids:
        product_id, component_id, versions, default_assignee = rng.choice(catalogue)
        status = rng.choice(statuses)
        resolution = rng.choice(workflow.RESOLUTIONS) if status in workflow.CLOSED_STATUSES else None
        reporter = rng.choice(everyone)
        assignee = None if rng.random() < 0.1 else (
            default_assignee if rng.random() < 0.7 else rng.choice(employees))
        created = now - timedelta(seconds=rng.randint(3600, 730 * 86400))
        # Pool texts are drawn by index: the same random numbers as drawing the texts.
        version, summary = rng.choice(versions), rng.choice(summary_indexes)
        bug = (bug_id, product_id, component_id, version, pools.summaries[summary], status,
               resolution, rng.choice(severities), f"P{rng.randint(1, 5)}", rng.choice(platforms),
               rng.choice(systems), reporter, assignee)
        is_private = rng.random() < 0.02
        bugs.append((*bug, is_private, stamp(created, dialect), spec.comments_per_bug))
        described = rng.choices(sentence_indexes, k=3)
        description = " ".join(sentences[i] for i in described)
        with_rare = rng.random() < spec.rare_p
        if with_rare:
            description += " " + rare
        moment = created
        comments.append((bug_id, 0, reporter, description, False, False, stamp(moment, dialect), 1))
        public, private = [], []
        for number in range(1, replies + 1):
            moment += timedelta(seconds=rng.randint(60, 30 * 86400))
            author, said = rng.choice(everyone), rng.choices(sentence_indexes, k=2)
            hidden_from_most = rng.random() < spec.private_p
            comments.append((bug_id, number, author, " ".join(sentences[i] for i in said),
                             hidden_from_most, False, stamp(moment, dialect), number + 1))
            (private if hidden_from_most else public).extend(said)
        bugs[-1] += (stamp(min(moment, now), dialect),)
        if rng.random() < 0.2:
            ccs.append((bug_id, rng.choice(everyone)))
        if vectors:
            texts = [([vectors.summaries[summary]], "A"),
                     ([vectors.sentences[i] for i in described] + ([vectors.rare] if with_rare else []),
                      "B"),
                     ([vectors.sentences[i] for i in public], "")]
            searches.append((bug_id, *vectors.row(texts, [vectors.sentences[i] for i in private]),
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
def seed_command(bug_count: int, comments_per_bug: int, rare_word: str, rare_percent: float,
                 batch_size: int, random_seed: int, rebuild_indexes: bool | None,
                 password: str) -> None:
    """Add synthetic products, users, bugs and comments quickly (COPY on PostgreSQL)."""
    def progress(done: int) -> None:
        click.echo(f"  {done:,} / {bug_count:,} bugs", err=True)

    try:
        result = seed(bug_count, comments_per_bug, rare_word=rare_word, rare_percent=rare_percent,
                      batch_size=batch_size, random_seed=random_seed, password=password,
                      rebuild_indexes=rebuild_indexes,
                      progress=progress if bug_count > batch_size else None)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Added {result.bugs:,} bugs and {result.comments:,} comments in "
               f"{result.seconds:.1f} s ({result.bugs_per_second:,.0f} bugs/s).")
    for role, username in sorted(result.logins.items()):
        click.echo(f"  {role:<11} {username}  password: {password}")
