"""Fast synthetic data for benchmarks and demos: ``flask --app bugzot seed``.

Rows are generated in Python from small pre-built text pools and written in
batches: ``COPY ... FROM STDIN`` on PostgreSQL, ``executemany`` on SQLite. The
full-text index is kept current by the database triggers of migration 0003
(statement-level on PostgreSQL, so one COPY costs one index refresh).
Each batch is one transaction. Bug ids are reserved from the sequence on
PostgreSQL, so seeding can run next to a live site.
"""

from __future__ import annotations

import io
import os
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import Connection, Engine, select, text

from bugzot import permissions, workflow
from bugzot.extensions import db
from bugzot.models import Classification, Component, Product, User, Version
from bugzot.services import ServiceError, unit_of_work
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
_WORDS = (
    "crash freeze timeout login export import upload download sync render layout button menu "
    "dialog window cache index query report chart printer font locale unicode password token "
    "session cookie proxy socket certificate memory leak thread deadlock race startup shutdown "
    "config setting migration backup restore search filter sort column table field value error "
    "warning message notification email attachment image preview scroll keyboard shortcut mouse "
    "screen resolution theme icon toolbar status progress spinner update install uninstall "
    "permission role account profile avatar calendar timezone date format number currency"
).split()
_VERBS = ("saving", "opening", "closing", "editing", "deleting", "sorting", "filtering",
          "printing", "exporting", "importing", "syncing", "resizing", "searching", "loading")
_PROBLEMS = ("crashes", "hangs", "is slow", "shows garbage", "loses data", "fails silently",
             "throws an error", "looks wrong", "ignores the setting", "leaks memory")


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


class _Pools:
    """Pre-generated summaries and comment sentences; rows pick from them cheaply."""

    def __init__(self, rng: random.Random):
        self.summaries = [
            f"{rng.choice(_WORDS).capitalize()} {rng.choice(_PROBLEMS)} when "
            f"{rng.choice(_VERBS)} the {rng.choice(_WORDS)} {rng.choice(_WORDS)}"
            for _ in range(4000)]
        self.sentences = [
            " ".join(rng.choice(_WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."
            for _ in range(4000)]


@dataclass(frozen=True)
class _Spec:
    """What every batch needs to generate its rows (shared read-only by the workers)."""

    comments_per_bug: int
    catalogue: list[tuple[int, int, list[int], int | None]]
    people: tuple[list[int], list[int]]
    pools: _Pools
    rare_word: str
    rare_p: float
    private_p: float
    random_seed: int
    dialect: str


def seed(bugs: int, comments_per_bug: int, *, rare_word: str = "quuxolotl",
         rare_percent: float = 1.0, private_percent: float = 5.0, random_seed: int = 1,
         batch_size: int = 10_000, users: int = 200, password: str = "seed-password",
         workers: int | None = None, progress: Callable[[int], None] | None = None) -> SeedResult:
    """Add ``bugs`` bugs with ``comments_per_bug`` comments each (the first is the description).

    ``rare_percent`` of the descriptions contain ``rare_word`` (for search benchmarks);
    ``private_percent`` of the other comments are private. On PostgreSQL ``workers``
    connections (default: one per CPU) write batches in parallel: most of the cost is
    the database's own work (foreign keys, indexes, to_tsvector), which then runs on
    every core. Each batch is one transaction.
    """
    if bugs < 0 or comments_per_bug < 1 or batch_size < 1:
        raise ServiceError("Give at least 0 bugs, 1 comment per bug (the description) and "
                           "a batch size of 1 or more.")
    started = time.perf_counter()
    rng = random.Random(random_seed)
    catalogue, people, logins = _ensure_catalogue_and_users(users, password, rng)
    engine = db.engine
    spec = _Spec(comments_per_bug, catalogue, people, _Pools(rng), rare_word, rare_percent / 100,
                 private_percent / 100, random_seed, engine.dialect.name)
    sizes = [min(batch_size, bugs - start) for start in range(0, bugs, batch_size)]
    if spec.dialect != "postgresql":
        workers = 1  # SQLite has one writer at a time
    workers = max(1, min(workers or os.cpu_count() or 1, len(sizes) or 1))
    done = comments = 0
    with ThreadPoolExecutor(max_workers=workers) as pool:
        jobs = [pool.submit(_write_batch, engine, spec, number, size)
                for number, size in enumerate(sizes)]
        for job in as_completed(jobs):
            written_bugs, written_comments = job.result()
            done += written_bugs
            comments += written_comments
            if progress:
                progress(done)
    if spec.dialect == "postgresql":
        # Fresh planner statistics, or the first queries plan for empty tables.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE bugs, comments, bug_cc, bug_search"))
    return SeedResult(done, comments, time.perf_counter() - started, logins)


def _write_batch(engine: Engine, spec: _Spec, number: int, size: int) -> tuple[int, int]:
    """Generate and insert batch ``number`` in its own transaction; (bugs, comments) written."""
    rng = random.Random(f"{spec.random_seed}:{number}")
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL synchronous_commit = off"))  # regenerable data
        ids = _reserve_ids(conn, size)
        bug_rows, comment_rows, cc_rows = _generate(ids, spec, rng)
        _write(conn, bug_rows, comment_rows, cc_rows)
    return len(bug_rows), len(comment_rows)


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
    employees = [u.id for u in people if u.role.name != permissions.REPORTER]
    catalogue = []
    for product in db.session.scalars(select(Product).where(Product.name.in_(PRODUCTS))):
        versions = [v.id for v in product.versions]
        for comp in product.components:
            catalogue.append((product.id, comp.id, versions, comp.default_assignee_id))
    # One login per role, to try the site (or benchmark it) as that kind of user.
    logins = {u.role.name: u.username for u in reversed(people)}
    return catalogue, ([u.id for u in people], employees), logins


def _reserve_ids(conn: Connection, n: int) -> list[int]:
    """``n`` fresh bug ids (from the sequence on PostgreSQL, after max(id) on SQLite)."""
    if conn.dialect.name == "postgresql":
        return list(conn.scalars(text(
            "SELECT nextval(pg_get_serial_sequence('bugs', 'id')) FROM generate_series(1, :n)"),
            {"n": n}))
    start = (conn.scalar(text("SELECT max(id) FROM bugs")) or 0) + 1
    return list(range(start, start + n))


def _stamp(moment: datetime, dialect: str) -> str:
    if dialect == "postgresql":
        return moment.isoformat()
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite format (UTC)


def _generate(ids: list[int], spec: _Spec, rng: random.Random):
    """Rows (tuples of str/int/bool/None) for the bugs, comments and CC of one batch."""
    dialect, pools, catalogue = spec.dialect, spec.pools, spec.catalogue
    everyone, employees = spec.people
    replies = spec.comments_per_bug - 1
    now = datetime.now(UTC)
    statuses = [s for s, w in STATUS_MIX for _ in range(w)]
    severities = [s for s, w in zip(workflow.SEVERITIES, SEVERITY_MIX, strict=True) for _ in range(w)]
    platforms, systems = workflow.PLATFORMS, workflow.OP_SYSES
    bugs, comments, ccs = [], [], []
    for bug_id in ids:
        product_id, component_id, versions, default_assignee = rng.choice(catalogue)
        status = rng.choice(statuses)
        resolution = rng.choice(workflow.RESOLUTIONS) if status in workflow.CLOSED_STATUSES else None
        reporter = rng.choice(everyone)
        assignee = None if rng.random() < 0.1 else (
            default_assignee if rng.random() < 0.7 else rng.choice(employees))
        created = now - timedelta(seconds=rng.randint(3600, 730 * 86400))
        bugs.append((bug_id, product_id, component_id, rng.choice(versions), rng.choice(pools.summaries),
                     status, resolution, rng.choice(severities), f"P{rng.randint(1, 5)}",
                     rng.choice(platforms), rng.choice(systems), reporter, assignee,
                     rng.random() < 0.02, _stamp(created, dialect), spec.comments_per_bug))
        description = " ".join(rng.choices(pools.sentences, k=3))
        if rng.random() < spec.rare_p:
            description += f" Seen together with {spec.rare_word} again."
        moment = created
        comments.append((bug_id, 0, reporter, description, False, False, _stamp(moment, dialect), 1))
        for number in range(1, replies + 1):
            moment += timedelta(seconds=rng.randint(60, 30 * 86400))
            comments.append((bug_id, number, rng.choice(everyone),
                             " ".join(rng.choices(pools.sentences, k=2)),
                             rng.random() < spec.private_p, False, _stamp(moment, dialect), number + 1))
        bugs[-1] += (_stamp(min(moment, now), dialect),)
        if rng.random() < 0.2:
            ccs.append((bug_id, rng.choice(everyone)))
    return bugs, comments, ccs


BUG_COLUMNS = ("id", "product_id", "component_id", "version_id", "summary", "status", "resolution",
               "severity", "priority", "platform", "op_sys", "reporter_id", "assignee_id",
               "is_private", "created_at", "revision", "updated_at")
COMMENT_COLUMNS = ("bug_id", "number", "author_id", "body", "is_private", "is_hidden", "created_at",
                   "revision")
CC_COLUMNS = ("bug_id", "user_id")


def _write(conn: Connection, bugs: list[tuple], comments: list[tuple], ccs: list[tuple]) -> None:
    """Insert one batch in ``conn``'s transaction (COPY on PostgreSQL)."""
    tables = (("bugs", BUG_COLUMNS, bugs), ("comments", COMMENT_COLUMNS, comments),
              ("bug_cc", CC_COLUMNS, ccs))
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.cursor()
        for table, columns, rows in tables:
            cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", _copy_buffer(rows))
        cursor.close()
        return
    raw = conn.connection.cursor()
    for table, columns, rows in tables:
        marks = ", ".join("?" for _ in columns)
        raw.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    raw.close()


def _copy_buffer(rows: list[tuple]) -> io.StringIO:
    """Rows in COPY text format (the generated text holds no tabs, newlines or backslashes)."""
    def cell(value) -> str:
        if value is None:
            return "\\N"
        if value is True:
            return "t"
        if value is False:
            return "f"
        return str(value)

    return io.StringIO("".join("\t".join(map(cell, row)) + "\n" for row in rows))


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
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Parallel connections on PostgreSQL (default: one per CPU).")
@click.option("--password", default="seed-password", show_default=True,
              help="Password of the generated users (seed0001...).")
def seed_command(bug_count: int, comments_per_bug: int, rare_word: str, rare_percent: float,
                 batch_size: int, random_seed: int, workers: int | None, password: str) -> None:
    """Add synthetic products, users, bugs and comments quickly (COPY on PostgreSQL)."""
    def progress(done: int) -> None:
        click.echo(f"  {done:,} / {bug_count:,} bugs", err=True)

    try:
        result = seed(bug_count, comments_per_bug, rare_word=rare_word, rare_percent=rare_percent,
                      batch_size=batch_size, random_seed=random_seed, password=password,
                      workers=workers,
                      progress=progress if bug_count > batch_size else None)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Added {result.bugs:,} bugs and {result.comments:,} comments in "
               f"{result.seconds:.1f} s ({result.bugs_per_second:,.0f} bugs/s).")
    for role, username in sorted(result.logins.items()):
        click.echo(f"  {role:<11} {username}  password: {password}")
