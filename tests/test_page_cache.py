"""The page cache (views/page_cache.py): a kept body is the body built from the data, for
every kind of viewer; every change is seen at the next request (the bug, a related bug, a
person's name, a role, the catalogue, a preference, another connection's commit); relative
times expire; CSRF tokens stay per session; and the cached templates read nothing that the
key does not cover."""

from __future__ import annotations

import re
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from factories import edit, new_bug, new_product, new_user, users_named
from jinja2 import meta

from bugzot import permissions, timefmt
from bugzot.extensions import db
from bugzot.models import Bug, Product, User
from bugzot.services import accounts, time_zone
from bugzot.services.read import freshness
from bugzot.views import page_cache
from tests.conftest import PASSWORD, csrf_token
from tests.search_support import comment, page_cache_off

VIEWERS = ["anonymous", "reporter", "private_reporter", "employee", "admin"]
NAMES = {"reporter": "otto", "private_reporter": "rita", "employee": "emma", "admin": "adam"}
CACHED = ("bugs/_page.html", "search/_list.html")
TOKEN_RE = re.compile(r'(<(?:input|meta) [^>]*csrf[-_]token[^>]*?(?:value|content)=")[^"]+')
TEMPLATES = Path(__file__).resolve().parents[1] / "bugzot" / "templates"


@pytest.fixture(scope="module")
def world(module_db):
    with module_db.app_context():
        product = new_product("Cached", components=("General", "UI"))
        rita, otto = new_user("rita"), new_user("otto")
        emma = new_user("emma", role="Employee")
        new_user("adam", role="Admin")
        new_user("carl")
        other = new_bug(product, otto, summary="The blocker")
        bug = new_bug(product, rita, summary="Kept <page> & co")
        edit(emma, bug, {"dependson": frozenset({other.id}), "priority": "P1"},
             comment="See bug 1, **bold**", cc_add=users_named("carl"))
        edit(emma, bug, comment="internal words", private=True)
        secret = new_bug(product, rita, summary="Rita's private one")
        edit(emma, secret, {"is_private": True})
        db.session.flush()
        return {"bug": bug.id, "other": other.id, "secret": secret.id, "product": product.id}


def _client(app, viewer: str):
    client = app.test_client()
    if viewer != "anonymous":
        response = client.post("/login", data={"login": NAMES[viewer], "password": PASSWORD,
                                               "csrf_token": csrf_token(client)})
        assert response.status_code == 302
        client.get("/")  # (the login's flash)
    return client


def _html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code in (200, 404), response.status_code
    return TOKEN_RE.sub(r"\1<token>", response.get_data(as_text=True))


def _cache(app) -> page_cache.PageCache:
    return app.extensions[page_cache.EXTENSION]


def _urls(world) -> list[str]:
    return [f"/bugs/{world['bug']}", f"/bugs/{world['secret']}", f"/bugs/{world['other']}",
            "/bugs", "/bugs?status=all&sort=-priority", "/bugs?q=kept&status=all"]


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_kept_body_is_the_built_body(app, world, viewer):
    """Rendered before and after: with no cache, the first (built and kept) and the second
    (served from the cache) request write the same page, for every kind of viewer."""
    app.config["ALLOW_ANONYMOUS_BROWSE"] = True
    client = _client(app, viewer)
    cache = _cache(app)
    for url in _urls(world):
        with page_cache_off(app):
            built = _html(client, url)
        cache.clear()
        first = _html(client, url)
        assert first == built, url
        # What was kept is that page (PostgreSQL: another worker's commit anywhere in the
        # cluster may move the token before the next request, so the kept entry itself is
        # compared, and then the next answer, kept or built again).
        whole = [body for key, body in cache._items.items() if isinstance(key[-1], str)]
        if "does not exist" in built:
            assert whole == []  # a 404 is never kept
        else:
            assert [TOKEN_RE.sub(r"\1<token>", body.html) for body in whole] == [built], url
        assert _html(client, url) == built, url
    private = _html(client, f"/bugs/{world['bug']}")
    assert ("internal words" in private) == (viewer in ("employee", "admin"))


def test_viewers_never_share_a_body(app, world):
    app.config["ALLOW_ANONYMOUS_BROWSE"] = True
    url = f"/bugs/{world['bug']}"
    emma, otto = _client(app, "employee"), _client(app, "reporter")
    assert "internal words" in _html(emma, url)
    assert "internal words" not in _html(otto, url)
    assert "internal words" not in _html(_client(app, "anonymous"), url)
    assert "does not exist" in _html(otto, f"/bugs/{world['secret']}")


def test_each_session_gets_its_own_token_and_can_post_with_it(app, world):
    """Two sessions of one user share a kept body, each with its own CSRF token in it; a
    comment posted with that token is saved and seen at once."""
    url = f"/bugs/{world['bug']}"
    one, two = _client(app, "reporter"), _client(app, "reporter")
    first, second = one.get(url).get_data(as_text=True), two.get(url).get_data(as_text=True)
    cache = _cache(app)
    assert cache.placeholder not in first + second
    tokens = {s: set(re.findall(r'csrf[-_]token[^>]*?(?:value|content)="([^"]+)"', page))
              for s, page in (("one", first), ("two", second))}
    assert len(tokens["one"]) == len(tokens["two"]) == 1  # every form: the session's token
    assert tokens["one"] != tokens["two"]
    (token,) = tokens["two"]
    revision = re.search(r'name="revision" value="(\d+)"', second).group(1)
    response = two.post(url, data={"csrf_token": token, "revision": revision, "form": "comment",
                                   "comment": "posted from a kept page"})
    assert response.status_code == 302
    assert "posted from a kept page" in _html(one, url)


def _seen_after(app, client, url: str, change, expect: str) -> None:
    """``change()`` shows at the next request: the page matches ``expect`` (a regular
    expression) and is the page built without the cache."""
    before = _html(client, url)
    assert _html(client, url) == before  # kept
    assert not re.search(expect, before)
    change()
    after = _html(client, url)
    assert re.search(expect, after), expect
    with page_cache_off(app):
        assert _html(client, url) == after


def test_every_change_is_seen_at_the_next_request(app, world):
    """Each input the page shows, changed once: nothing stale, not for one request."""
    app.config["ALLOW_ANONYMOUS_BROWSE"] = True
    url = f"/bugs/{world['bug']}"
    emma, carl = (db.session.scalar(sa.select(User).where(User.username == n))
                  for n in ("emma", "carl"))
    client = _client(app, "employee")

    def bug(bug_id):
        return db.session.get(Bug, bug_id)

    _seen_after(app, client, url, lambda: edit(emma, bug(world["bug"]), {"priority": "P4"}),
                "<dd>P4</dd>")
    _seen_after(app, client, url, lambda: comment(bug(world["bug"]), emma, "a new reply"),
                "a new reply")
    _seen_after(app, client, url, lambda: accounts.update_profile(carl, "Carl Renamed"),
                "Carl Renamed")
    _seen_after(app, client, url, lambda: edit(
        emma, bug(world["other"]), {"bug_status": "RESOLVED", "resolution": "FIXED"},
        comment="Fixed."),
        'class="closed" title="RESOLVED')
    _seen_after(app, client, url, lambda: setattr(
        db.session.get(Product, world["product"]), "name", "Renamed product")
        or db.session.flush(), "Renamed product")
    _seen_after(app, client, url, lambda: time_zone.set_time_zone(emma, emma, "Asia/Tokyo"),
                " JST")
    _seen_after(app, client, url, lambda: edit(emma, bug(world["bug"]), cc_add=[emma]),
                r'class="cc-list">[^\n]*title="emma"')  # the viewer's own CC state
    # A role change: Emma loses the private comment at her next request.
    assert "internal words" in _html(client, url)
    reporter = _role("Reporter")
    accounts.admin_update_user(permissions.SYSTEM, emma, role=reporter, is_active=True,
                               real_name=emma.real_name)
    assert "internal words" not in _html(client, url)


def _role(name: str):
    from bugzot.services.roles import role_by_name

    return role_by_name(name)


def test_a_rollback_moves_the_token_only_when_it_undid_writes(app, world):
    """A body built on a write that is then rolled back is never served again."""
    conn = db.session.connection()
    fresh = app.extensions[freshness.EXTENSION]
    start = freshness.connection_token(conn, fresh)
    savepoint = conn.begin_nested()
    conn.execute(sa.select(Bug.id)).all()
    savepoint.rollback()
    assert freshness.connection_token(conn, fresh) == start  # it read only
    savepoint = conn.begin_nested()
    conn.execute(sa.update(Bug).where(Bug.id == world["bug"]).values(summary="Never saved"))
    written = freshness.connection_token(conn, fresh)
    savepoint.rollback()
    assert written != start and freshness.connection_token(conn, fresh) not in (start, written)


# -- the freshness token ------------------------------------------------------------------
def _engines(backend: str, url: str, tmp_path):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    return [sa.create_engine(url, poolclass=sa.pool.NullPool) for _ in range(2)]


def test_another_connections_commit_changes_the_token(backend, database_urls, tmp_path):
    """What another process (here: another engine) commits changes the token read after
    it, and so does the writer's own commit on its own connection."""
    reader, writer = _engines(backend, database_urls[backend], tmp_path)
    app = types.SimpleNamespace(extensions={})
    fresh = freshness.install(app, reader)
    table = "fresh_probe" if backend == "sqlite" else "pg_temp.fresh_probe"
    with reader.connect() as conn, writer.connect() as other:
        if backend == "sqlite":
            other.exec_driver_sql("CREATE TABLE fresh_probe (a INTEGER)")
            other.commit()
        else:
            other.exec_driver_sql(f"CREATE TABLE {table} (a INTEGER)")
            other.commit()
        first = freshness.connection_token(conn, fresh)
        if backend == "sqlite":  # (on PostgreSQL, the other workers' commits move it too)
            assert freshness.connection_token(conn, fresh) == first
        other.exec_driver_sql(f"INSERT INTO {table} VALUES (1)")
        other.commit()
        second = freshness.connection_token(conn, fresh)
        assert second != first
        if backend == "sqlite":
            conn.exec_driver_sql("CREATE TABLE own_probe (a INTEGER)")
            conn.commit()
            conn.exec_driver_sql("INSERT INTO own_probe VALUES (1)")
            mid = freshness.connection_token(conn, fresh)
            assert mid != second  # its own write, before the commit
            conn.commit()
            assert freshness.connection_token(conn, fresh) != mid  # and after it
    for engine in (reader, writer):
        engine.dispose()


@pytest.mark.parametrize("statement, writes", [
    ("SELECT 1", False), ("  select * from bugs", False), ("SELECT * FROM bugs FOR UPDATE", False),
    ("WITH x AS (SELECT 1) SELECT * FROM x", False), ("WITH x AS (DELETE FROM t) SELECT 1", True),
    ("INSERT INTO t VALUES (1)", True), ("UPDATE t SET a = 1", True), ("DELETE FROM t", True),
    ("PRAGMA data_version", False), ("SAVEPOINT sa_1", False), ("ALTER TABLE t ADD b INT", True),
    ("TRUNCATE t", True), ("COPY t FROM STDIN", True), ("ANALYZE", True), ("", True),
])
def test_which_statements_count_as_writes(statement, writes):
    assert freshness.is_write(statement) is writes


# -- relative times -------------------------------------------------------------------------
@pytest.mark.parametrize("age", [0, 10, 44, 45, 59, 60, 61, 119, 3599, 3600, 7199, 86399,
                                 86400, 129600, 6 * 86400 + 50000, 13 * 86400, 40 * 86400,
                                 400 * 86400])
def test_a_relative_time_reads_the_same_until_its_next_change(age):
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    dt = now - timedelta(seconds=age)
    delta = timefmt.next_change(dt, now)
    text = timefmt.relative(dt, now)
    steps = [delta * f for f in (0.0, 0.25, 0.5, 0.75, 0.99)]
    assert all(timefmt.relative(dt, now + timedelta(seconds=s)) == text for s in steps)
    assert delta >= 1


def test_a_body_is_kept_until_its_first_relative_time_changes(app, world):
    client = _client(app, "reporter")
    cache = _cache(app)
    cache.clear()
    client.get(f"/bugs/{world['bug']}")
    kept = dict(cache._items)
    assert len(kept) == 3  # the body, the whole page around it, and that under the login
    for key, body in kept.items():  # "just now": the world's bugs are new
        assert body.expires <= datetime.now(UTC).timestamp() + 45
        cache._items[key] = page_cache.Body(body.title, body.head, "stale", 0.0, 5)
        assert cache.get(key) is None  # expired: built again
    assert "stale" not in client.get(f"/bugs/{world['bug']}").get_data(as_text=True)
    cache.clear()  # (the entries replaced above by hand kept their old sizes' count)


def test_a_list_that_depends_on_the_clock_is_never_kept(app, world):
    """"Changed in the last day": a bug leaves it as time passes, whatever is written."""
    client = _client(app, "reporter")
    cache = _cache(app)
    cache.clear()
    assert client.get("/bugs?changed=1d&status=all").status_code == 200
    assert len(cache) == 0
    assert client.get("/bugs?status=all").status_code == 200
    assert len(cache) == 3  # body, whole page, the page under the login token


def test_the_store_is_bounded_by_bytes():
    cache = page_cache.PageCache(max_bytes=1000)
    for i in range(10):
        cache.put(i, page_cache.Body("", "", "x" * 200, 1e12, 200))
    assert cache.bytes <= 1000 and len(cache) == 5
    assert cache.get(0) is None and cache.get(9) is not None
    cache.put("big", page_cache.Body("", "", "", 1e12, 600))  # over a quarter: not kept
    assert cache.get("big") is None


# -- what the key covers ----------------------------------------------------------------
def _read_names(name: str, seen: set[str]) -> tuple[set[str], set[str]]:
    """The variables ``name`` and every template it includes or imports read, and the
    settings (``config.X``) they read."""
    from bugzot import create_app

    env = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}).jinja_env
    variables, settings = set(), set()
    stack = [name]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        source = (TEMPLATES / current).read_text()
        tree = env.parse(source)
        variables |= meta.find_undeclared_variables(tree)
        settings |= {a or b for a, b in re.findall(
            r"config\.([A-Z_]+)|config\[['\"]([A-Z_]+)", source)}
        stack += [t for t in meta.find_referenced_templates(tree) if t]
    return variables, settings


@pytest.mark.parametrize("template", CACHED)
def test_cached_templates_read_only_what_the_key_covers(template):
    """A variable added to a kept body's template (or to one it includes) must be added to
    page_cache.INPUTS, saying what covers it in the key; a setting to page_cache.CONFIG."""
    seen: set[str] = set()
    variables, settings = _read_names(template, seen)
    assert len(seen) > 1 or template == "search/_list.html"
    assert variables - set(page_cache.INPUTS) == set(), "add them to page_cache.INPUTS"
    assert settings <= set(page_cache.CONFIG), "add them to page_cache.CONFIG"
    for forbidden in ("request", "session", "g", "get_flashed_messages"):
        assert forbidden not in variables  # per request or per session: never in a body


def test_the_settings_the_pages_read_are_in_the_key():
    """Code a body's content depends on reads settings that page_cache.CONFIG lists."""
    root = Path(page_cache.__file__).resolve().parents[1]
    sources = [root / "permissions.py", root / "visibility.py", root / "markup.py",
               root / "views" / "bugs.py", root / "views" / "bug_form.py"]
    read = set()
    for path in sources:
        read |= set(re.findall(r"config(?:\.get\(|\[)['\"]([A-Z_]+)['\"]", path.read_text()))
    assert read <= set(page_cache.CONFIG) | {"MAX_COMMENT"}, read - set(page_cache.CONFIG)


def test_the_views_pass_only_declared_names(app, world, monkeypatch):
    """What the views hand a kept body's template is declared (as data) in INPUTS."""
    passed: list[dict] = []
    real = page_cache.render

    def spy(template, build, store=None):
        def recording():
            values = build()
            passed.append(dict(values))
            return values
        return real(template, recording, store)

    monkeypatch.setattr(page_cache, "render", spy)
    client = _client(app, "employee")
    _cache(app).clear()
    client.get(f"/bugs/{world['bug']}")
    client.get("/bugs?status=all")
    assert len(passed) == 2
    for values in passed:
        assert set(values) <= {k for k, v in page_cache.INPUTS.items()
                               if v in ("data", "POST only")}, set(values)


SHELLS = ("bugs/show.html", "search/list.html")
@pytest.mark.parametrize("shell", SHELLS)
def test_kept_shells_read_only_what_the_key_covers(shell):
    seen: set[str] = set()
    variables, settings = _read_names(shell, seen)
    assert "base.html" in seen
    assert variables - set(page_cache.INPUTS) - set(page_cache.SHELL_INPUTS) == set()
    assert settings <= set(page_cache.CONFIG)
    used = set()
    for name in seen:
        used |= set(re.findall(r"\brequest\.(\w+)", (TEMPLATES / name).read_text()))
    assert used <= page_cache.SHELL_REQUEST, used - page_cache.SHELL_REQUEST
    assert "when" not in variables  # (a shell's times would need their own expiry)


def test_a_page_with_a_flashed_message_is_not_kept_whole(app, world):
    client = _client(app, "reporter")
    url = f"/bugs/{world['bug']}"
    client.get(url)
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Only this once")]
    assert "Only this once" in client.get(url).get_data(as_text=True)
    assert "Only this once" not in client.get(url).get_data(as_text=True)


def test_the_code_that_builds_a_kept_body_reads_only_keyed_parts_of_the_request():
    """What builds a body may read of the request only what the key holds (the query
    string, the script root) or what is fixed for a GET (the method; the posted form is
    read only on a POST, which is never kept), and nothing of the session."""
    import inspect

    from bugzot.views import bug_form, search
    from bugzot.views import bugs as bug_views

    builders = [bug_views._body_context, bug_views._form_data, bug_views._choices,
                bug_views._edit_form, bug_views._posted_from, bug_form.plain_form,
                search._list_context, search.rows_html, search._cells]
    allowed = {"args", "script_root", "method", "form"}
    for function in builders:
        source = inspect.getsource(function)
        assert set(re.findall(r"\brequest\.(\w+)", source)) <= allowed, function.__name__
        assert not re.search(r"\b(session|g)\b[.\[]", source), function.__name__


# -- pages served before the view, under the session's login ------------------------------
def _login_entries(cache) -> list:
    return [(key, body) for key, body in cache._items.items() if key[0] == "login"]


def test_a_page_kept_under_a_login_is_served_without_loading_the_user(app, world):
    """It runs the freshness token's statement only, says it must not be stored, and
    never outlives the login."""
    from bugzot.models.sessions import LoginSession
    from tests.search_support import recorded_sql

    client = _client(app, "reporter")
    url = f"/bugs/{world['bug']}"
    cache = _cache(app)
    cache.clear()
    built = _html(client, url)
    ((key, body),) = _login_entries(cache)
    otto = db.session.scalar(sa.select(User).where(User.username == "otto"))
    login = db.session.scalar(sa.select(LoginSession).where(LoginSession.user_id == otto.id)
                              .order_by(LoginSession.id.desc()))
    ends = login.expires_at.replace(tzinfo=login.expires_at.tzinfo or UTC).timestamp()
    assert body.viewer_id == otto.id and body.expires <= ends
    for _ in range(20):  # (PostgreSQL: another worker's commit may move the token)
        with recorded_sql() as statements:
            response = client.get(url)
        if len(statements) == 1:
            break
    assert len(statements) == 1 and "users" not in statements[0], statements
    assert TOKEN_RE.sub(r"\1<token>", response.get_data(as_text=True)) == built
    assert response.headers["Cache-Control"] == "private, no-store"


def test_an_ended_login_is_never_served_its_kept_page(app, world):
    from bugzot.services import sessions

    client = _client(app, "reporter")
    url = f"/bugs/{world['bug']}"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # kept
    otto = db.session.scalar(sa.select(User).where(User.username == "otto"))
    sessions.log_out_everywhere(otto)
    response = client.get(url)
    assert response.status_code in (302, 401) and "Kept &lt;page&gt;" not in response.get_data(
        as_text=True)


def test_the_cookie_from_another_browser_is_not_served_the_kept_page(app, world):
    """Flask-Login's strong protection ties a session to its browser; a kept page is
    served only to the session it was kept for, as the view would."""
    client = _client(app, "reporter")
    url = f"/bugs/{world['bug']}"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200  # kept
    stolen = client.get(url, headers={"User-Agent": "Another browser/1.0"})
    assert stolen.status_code in (302, 401)


def test_the_token_is_read_once_per_transaction_and_again_after_a_write(app, world):
    from tests.search_support import recorded_sql

    db.session.commit()  # (a transaction of its own)
    with recorded_sql() as statements:
        first = freshness.token(db.session)
        assert freshness.token(db.session) == first
    assert len(statements) == 1
    db.session.get(Bug, world["bug"]).summary = "Changed in this transaction"
    db.session.flush()
    after_write = freshness.token(db.session)
    assert after_write != first  # the write moved the epoch: read again
    db.session.rollback()
    assert freshness.token(db.session) not in (first, after_write)  # a new transaction
