"""Comments keep the HTML they were rendered to when written (``comments.body_html``):
the bug page shows it, and shows exactly what live rendering shows, for every kind of
viewer and below a script root; what an older renderer (or a bulk seed) stored is
rendered live; the preview stays live; a GET writes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from factories import edit, new_bug, new_product, new_user
from flask import g
from flask_login import current_user
from test_migrations import fresh_db_url  # noqa: F401 - the fixture

from bugzot import markup
from bugzot.extensions import db
from bugzot.models import Comment
from bugzot.services.bugs.comments import render_stored_html
from bugzot.services.read import bug_page
from bugzot.views import bugs as views
from tests.search_support import recorded_sql

TEXTS = ["See bug 1, comment 0 and attachment 7; **bold**, `code`, a [link](/bugs/1 \"t\")",
         "<script>alert(1)</script> & \"quotes\"\n\n* one\n* two\n\n| a | b |\n|---|---|\n| 1 | 2 |",
         "a [ref-like](https://example.com/bugs/1) link, ~~gone~~, > quoted bug 2"]


@pytest.fixture(scope="module")
def world(module_db):
    with module_db.app_context():
        product = new_product("Stored")
        rita, otto = new_user("rita"), new_user("otto")
        emma, adam = new_user("emma", role="Employee"), new_user("adam", role="Admin")
        bug = new_bug(product, rita, description=TEXTS[0])
        for i, text in enumerate(TEXTS):
            edit(emma if i % 2 else otto, bug, comment=text, private=i == 1)
        secret = new_bug(product, rita, description="Secret, see bug 1")
        edit(emma, secret, {"is_private": True}, comment="private note on comment 0",
             private=True)
        db.session.flush()
        return {"bug": bug.id, "secret": secret.id, "users": {
            "reporter": otto.id, "private_reporter": rita.id, "employee": emma.id,
            "admin": adam.id}}


def _page(app, user_id, bug_id, script_root=""):
    from bugzot.models import User

    app.config["ALLOW_ANONYMOUS_BROWSE"] = True
    with app.test_request_context(f"/bugs/{bug_id}", base_url=f"http://localhost{script_root}"):
        g.pop("_login_user", None)  # (g outlives the request here: the test's app context)
        if user_id is not None:
            g._login_user = db.session.get(User, user_id)
        return views.render_bug(bug_page.bug_page(current_user, bug_id))[0]


def _forget_stored(bug_ids):
    db.session.execute(sa.update(Comment).where(Comment.bug_id.in_(bug_ids))
                       .values(body_html=None, body_html_version=None))
    db.session.expire_all()


def test_a_new_comment_stores_its_html(app, world):
    comments = db.session.scalars(sa.select(Comment).where(Comment.bug_id == world["bug"])
                                  .order_by(Comment.number)).all()
    assert [c.body for c in comments] == TEXTS[:1] + TEXTS
    for c in comments:
        assert c.body_html_version == markup.RENDER_VERSION
        assert c.body_html == markup.stored_html(c.body, c.bug_id) == str(
            markup.render_comment(c.body, c.bug_id))


@pytest.mark.parametrize("script_root", ["", "/bugzot"])
@pytest.mark.parametrize("viewer", ["anonymous", "reporter", "private_reporter", "employee",
                                    "admin"])
def test_stored_html_page_is_the_live_rendered_page(app, world, viewer, script_root):
    user_id = world["users"].get(viewer)
    bugs = [world["bug"]] + ([world["secret"]] if viewer in ("private_reporter", "employee",
                                                              "admin") else [])
    stored = {b: _page(app, user_id, b, script_root) for b in bugs}
    _forget_stored(bugs)
    for bug_id in bugs:
        live = _page(app, user_id, bug_id, script_root)
        assert stored[bug_id] == live
        assert f'href="{script_root}/bugs/1" class="ref"' in live


def test_the_page_uses_the_stored_html_of_this_renderer_only(app, world):
    comment = db.session.scalar(sa.select(Comment).where(Comment.bug_id == world["bug"],
                                                         Comment.number == 1))
    comment.body_html = "<p>what was stored</p>"
    db.session.flush()
    assert "<p>what was stored</p>" in _page(app, world["users"]["employee"], world["bug"])
    comment.body_html_version = markup.RENDER_VERSION - 1  # an older renderer wrote it
    db.session.flush()
    page = _page(app, world["users"]["employee"], world["bug"])
    assert "what was stored" not in page and str(markup.render_comment(TEXTS[0], world["bug"])) \
        in page
    # render_stored_html brings it (and only what is stale) up to date
    assert render_stored_html(db.session.connection(), batch=1) == 1
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).body_html == markup.stored_html(
        TEXTS[0], world["bug"])
    _forget_stored([world["bug"]])
    assert render_stored_html(db.session.connection(), batch=2) == len(TEXTS) + 1
    assert render_stored_html(db.session.connection()) == 0


def test_get_of_a_page_without_stored_html_writes_nothing(app, client, auth, world):
    _forget_stored([world["bug"]])
    db.session.commit()
    auth.login("emma")
    with recorded_sql() as statements:
        page = client.get(f"/bugs/{world['bug']}").get_data(as_text=True)
    assert "<strong>bold</strong>" in page
    writes = [s for s in statements if s.split(None, 1)[0].upper() in ("INSERT", "UPDATE",
                                                                      "DELETE")]
    assert writes == []


def test_preview_renders_live(app, client, auth, world):
    from tests.conftest import post_form

    auth.login("emma")
    response = post_form(client, "/markup/preview", {"text": "bug 5 **x**",
                                                     "bug_id": world["bug"]})
    assert response.json["html"] == str(markup.render_comment("bug 5 **x**", world["bug"]))


def test_migration_0015_renders_the_comments_it_finds(fresh_db_url, tmp_path):  # noqa: F811
    from databases import base_config
    from flask_migrate import downgrade, upgrade

    from bugzot import create_app

    app = create_app(base_config(tmp_path, fresh_db_url))
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    with app.app_context():
        bug = new_bug(new_product("Migrated"), description=TEXTS[0])
        bug_id = bug.id
        db.session.commit()
        downgrade(revision="0014")
        upgrade(revision="0015")
        db.session.expire_all()
        rows = db.session.execute(sa.text(
            "SELECT body, body_html, body_html_version FROM comments WHERE bug_id = :b"),
            {"b": bug_id}).all()
        assert rows == [(TEXTS[0], markup.stored_html(TEXTS[0], bug_id), markup.RENDER_VERSION)]
        db.session.remove()
        db.engine.dispose()
