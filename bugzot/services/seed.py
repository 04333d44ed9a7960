"""Fast synthetic data for benchmarks and demos: ``flask --app bugzot seed``.

Rows are generated in Python from small pre-built text pools (a helper thread
builds the next batch while the database writes this one) and written in batches:
``COPY ... FROM STDIN`` on PostgreSQL, ``executemany`` on SQLite. The whole seed
is one transaction: if it fails, nothing of it remains.

On SQLite the row triggers of migration 0003 keep the full-text index current.
On PostgreSQL the seed puts its tables in bulk mode inside that transaction: the
full-text insert triggers are disabled and the seed writes the index rows itself,
by COPY. PostgreSQL computes the vector of each pool text once (``_Vectors``); a
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

import io
import random
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import Connection, select, text

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
# PostgreSQL bulk mode: the triggers that bugzot_fts_refresh stands in for, and the
# tables whose foreign keys and non-unique indexes a large seed re-creates at the end.
FTS_INSERT_TRIGGERS = (("bugs", "bug_search_bugs_ins"), ("comments", "bug_search_comments_ins"))
FILLED_TABLES = ("bugs", "comments", "bug_cc", "bug_search")
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


# A tsvector as PostgreSQL prints it: 'lexeme':1,4 'other':2 (no weights in to_tsvector's).
_ENTRY = re.compile(r"'((?:[^']|'')*)'(?::([0-9,]+))?")
_MARKER = "9876543210"  # a number: its own lexeme, at the position after the text's last word


@dataclass(frozen=True)
class _Piece:
    """``to_tsvector('english', text)`` of one pool text, ready to be placed after others."""

    entries: tuple[tuple[str, int], ...]  # ("'lexeme':", position), one per position
    width: int  # positions the text takes (stop words count, though they leave no lexeme)
    top: int  # its highest lexeme position, 0 when it has none


class _Vectors:
    """The pool texts' vectors, computed by PostgreSQL once per seed, and a bug's index row
    put together from them as ``bugzot_fts_refresh`` computes it:

    ``public_tsv = setweight(summary, 'A') || setweight(description, 'B') || public comments``,
    ``all_tsv = public_tsv || private comments`` (NULL without private comments).

    Inside one text (a description of several sentences, comments joined by newlines)
    each text's positions follow the words before it; across ``||`` PostgreSQL moves the
    right vector's positions up by the left one's highest position. The literal lists a
    lexeme once per position; PostgreSQL merges them when it reads the literal.
    """

    def __init__(self, conn: Connection, pools: _Pools, rare: str):
        texts = [*pools.summaries, *pools.sentences, rare]
        rows = conn.execute(text(
            "SELECT to_tsvector('english', t)::text, to_tsvector('english', t || ' ' || :marker)::text "
            "FROM unnest(CAST(:texts AS text[])) WITH ORDINALITY AS u(t, n) ORDER BY n"),
            {"texts": texts, "marker": _MARKER}).all()
        pieces = [self._piece(alone, marked) for alone, marked in rows]
        self.summaries = pieces[:len(pools.summaries)]
        self.sentences = pieces[len(pools.summaries):-1]
        self.rare = pieces[-1]

    def fit(self, comments_per_bug: int) -> bool:
        """Whether every bug's vectors stay under 256 positions. Past that, PostgreSQL
        keeps only 256 positions of a lexeme and none past 16,383, which the sums here do
        not model: longer bugs are indexed by ``bugzot_fts_refresh`` itself."""
        widest = max(p.width for p in self.sentences)
        words = (max(p.width for p in self.summaries) + 3 * widest + self.rare.width
                 + 2 * (comments_per_bug - 1) * widest)
        return words < 256

    @staticmethod
    def _piece(alone: str, marked: str) -> _Piece:
        # PostgreSQL prints ' and \\ in a lexeme doubled: the form a literal needs again.
        entries = tuple((f"'{lexeme}':", int(p)) for lexeme, positions in _ENTRY.findall(alone)
                        for p in positions.split(","))
        width = int(dict(_ENTRY.findall(marked))[_MARKER].split(",")[-1]) - 1
        return _Piece(entries, width, max((p for _, p in entries), default=0))

    @staticmethod
    def row(texts: list[tuple[list[_Piece], str]], private: list[_Piece]) -> tuple[str, str | None]:
        """``public_tsv`` and ``all_tsv`` literals of a bug whose public texts are ``texts``
        (the pieces of each, and its weight: "A", "B" or "" for D) and whose private comments
        are ``private`` (their pieces, in comment order)."""
        out: list[str] = []
        shift = 0  # the highest position so far: where the next vector of the || starts

        def add(pieces: list[_Piece], weight: str) -> None:
            nonlocal shift
            offset = top = 0
            for piece in pieces:
                base = shift + offset
                out.extend([f"{lexeme}{base + p}{weight}" for lexeme, p in piece.entries])
                if piece.top:
                    top = offset + piece.top
                offset += piece.width
            shift += top

        for pieces, weight in texts:
            add(pieces, weight)
        public = " ".join(out)
        if not private:
            return public, None
        add(private, "")
        return public, " ".join(out)


@dataclass(frozen=True)
class _Spec:
    """What every batch needs to generate its rows."""

    comments_per_bug: int
    catalogue: list[tuple[int, int, list[int], int | None]]
    people: tuple[list[int], list[int]]
    pools: _Pools
    rare_word: str
    rare_p: float
    private_p: float
    random_seed: int
    dialect: str
    vectors: _Vectors | None  # PostgreSQL: the index rows are written by the seed


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
    engine = db.engine
    postgres = engine.dialect.name == "postgresql"
    pools = _Pools(rng)
    vectors = None
    if postgres and bugs:
        with engine.connect() as conn:
            vectors = _Vectors(conn, pools, _rare_sentence(rare_word))
        vectors = vectors if vectors.fit(comments_per_bug) else None
    spec = _Spec(comments_per_bug, catalogue, people, pools, rare_word, rare_percent / 100,
                 private_percent / 100, random_seed, engine.dialect.name, vectors)
    sizes = [min(batch_size, bugs - start) for start in range(0, bugs, batch_size)]
    done = comments = 0
    with engine.begin() as conn, ThreadPoolExecutor(max_workers=1) as helper:
        restore = _bulk_mode(conn, bugs, rebuild_indexes) if postgres else None
        blocks = _id_blocks(conn, sizes)
        pending = helper.submit(_batch, next(blocks), spec, 0) if sizes else None
        for number in range(len(sizes)):
            ids, written_comments, tables = pending.result()
            if number + 1 < len(sizes):  # the helper builds the next batch meanwhile
                pending = helper.submit(_batch, next(blocks), spec, number + 1)
            _write(conn, tables)
            if postgres and not vectors:
                conn.execute(text("SELECT bugzot_fts_refresh(:ids)"), {"ids": ids})
            done += len(ids)
            comments += written_comments
            if progress:
                progress(done)
        if restore:
            restore()
    if postgres:
        # Fresh planner statistics, or the first queries plan for empty tables.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE bugs, comments, bug_cc, bug_search"))
    return SeedResult(done, comments, time.perf_counter() - started, logins)


def _bulk_mode(conn: Connection, bugs: int, rebuild: bool | None) -> Callable[[], None]:
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
    if rebuild:
        tables = {"tables": list(FILLED_TABLES)}
        filled = "(SELECT to_regclass(name) FROM unnest(CAST(:tables AS text[])) AS name)"
        keys = conn.execute(text(
            "SELECT conrelid::regclass::text, quote_ident(conname), pg_get_constraintdef(oid) "
            f"FROM pg_constraint WHERE contype = 'f' AND conrelid IN {filled} ORDER BY oid"),
            tables).all()
        indexes = conn.execute(text(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            f"WHERE indrelid IN {filled} AND NOT indisunique AND NOT EXISTS "
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


def _id_blocks(conn: Connection, sizes: list[int]) -> Iterator[list[int]]:
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


def _batch(ids: list[int], spec: _Spec, number: int) -> tuple[list[int], int, tuple]:
    """Batch ``number`` ready to write: (bug ids, comment count, rows or COPY text per table)."""
    tables = _generate(ids, spec, random.Random(f"{spec.random_seed}:{number}"))
    comments = len(tables[1])
    if spec.dialect == "postgresql":
        tables = tuple(_copy_buffer(rows) for rows in tables)
    return ids, comments, tables


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
    vectors = spec.vectors
    sentences, rare = pools.sentences, _rare_sentence(spec.rare_word)
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
        bugs.append((*bug, is_private, _stamp(created, dialect), spec.comments_per_bug))
        described = rng.choices(sentence_indexes, k=3)
        description = " ".join(sentences[i] for i in described)
        with_rare = rng.random() < spec.rare_p
        if with_rare:
            description += " " + rare
        moment = created
        comments.append((bug_id, 0, reporter, description, False, False, _stamp(moment, dialect), 1))
        public, private = [], []
        for number in range(1, replies + 1):
            moment += timedelta(seconds=rng.randint(60, 30 * 86400))
            author, said = rng.choice(everyone), rng.choices(sentence_indexes, k=2)
            hidden_from_most = rng.random() < spec.private_p
            comments.append((bug_id, number, author, " ".join(sentences[i] for i in said),
                             hidden_from_most, False, _stamp(moment, dialect), number + 1))
            (private if hidden_from_most else public).extend(said)
        bugs[-1] += (_stamp(min(moment, now), dialect),)
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


def _rare_sentence(word: str) -> str:
    return f"Seen together with {word} again."


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


def _write(conn: Connection, tables: tuple) -> None:
    """Insert one batch from ``_batch`` in ``conn``'s transaction (COPY on PostgreSQL)."""
    cursor = conn.connection.cursor()
    for (table, columns), data in zip(TABLES[:len(tables)], tables, strict=True):
        if conn.dialect.name == "postgresql":
            cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", data,
                               size=1 << 20)
        else:
            marks = ", ".join("?" for _ in columns)
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", data)
    cursor.close()


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_buffer(rows: list[tuple]) -> io.StringIO:
    """Rows in COPY text format (only a --rare-word can bring characters to escape)."""
    def cell(value) -> str:
        if value is None:
            return "\\N"
        if value is True:
            return "t"
        if value is False:
            return "f"
        if isinstance(value, str) and ("\\" in value or "\t" in value or "\n" in value
                                       or "\r" in value):
            return value.translate(_COPY_ESCAPES)
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
