"""Full-text search on both databases: summaries, comments, ranking, the
private-comment rule, index maintenance by triggers, and the quick-search box."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bugzot.extensions import db
from bugzot.models import Bug, Comment
from tests.search_support import NEXT_RE, comment, link, listed_ids


@pytest.fixture
def world(make_product, make_user, make_bug):
    """A product, a reporter, an employee and a few bugs with distinctive words."""
    product = make_product("Widget", components=("Core", "UI"))
    reporter = make_user("rita", role="Reporter")
    employee = make_user("emil", role="Employee")
    bugs = {
        "summary": make_bug(product, reporter, summary="Frobnicator explodes on startup",
                            description="It just does."),
        "description": make_bug(product, reporter, summary="Something odd",
                                description="The frobnicator makes a noise"),
        "other": make_bug(product, reporter, summary="Unrelated paint issue",
                          description="Colours are wrong"),
    }
    return product, reporter, employee, bugs


def test_words_find_summaries_and_comments_ranked_by_relevance(client, login_as, world):
    product, reporter, employee, bugs = world
    comment(bugs["other"], employee, "Maybe the frobnicators are involved after all.")
    login_as("Reporter")
    ids = listed_ids(client.get("/bugs?q=frobnicator&status=all"))
    # Summary match (weight A) before description (B) before a later comment (D); stemming
    # finds "frobnicators" too.
    assert ids == [bugs["summary"].id, bugs["description"].id, bugs["other"].id]
    assert listed_ids(client.get("/bugs?q=paint&status=all")) == [bugs["other"].id]
    assert listed_ids(client.get("/bugs?q=zebra&status=all")) == []


def test_all_words_must_match(client, login_as, world):
    _, _, _, bugs = world
    login_as("Reporter")
    assert listed_ids(client.get("/bugs?q=frobnicator+startup&status=all")) == [bugs["summary"].id]
    assert listed_ids(client.get("/bugs?q=frobnicator+paint&status=all")) == []


def test_punctuation_and_query_syntax_are_just_text(client, login_as, world):
    _, _, _, bugs = world
    login_as("Reporter")
    for text in ('"frobnicator', "frobnicator AND", "frobnicator*", "summary:frobnicator",
                 "frobnicator)", "NEAR(frobnicator", "{summary} : frobnicator", "!!!"):
        response = client.get("/bugs", query_string={"q": text, "status": "all"})
        assert response.status_code == 200, text
    assert bugs["summary"].id in listed_ids(
        client.get("/bugs", query_string={"q": "frobnicator)", "status": "all"}))


def test_private_comment_words_do_not_find_the_bug_for_reporters(client, auth, login_as, world,
                                                                  make_user):
    _, reporter, employee, bugs = world
    comment(bugs["other"], employee, "Internal: customer xylophonist escalated", private=True)
    comment(bugs["other"], employee, "Public note about paint")
    login_as("Reporter")
    assert listed_ids(client.get("/bugs?q=xylophonist&status=all")) == []
    # Mixing a public and a private word does not find it either.
    assert listed_ids(client.get("/bugs?q=paint+xylophonist&status=all")) == []
    assert listed_ids(client.get("/bugs.csv?q=xylophonist&status=all")) == []
    assert b"<entry>" not in client.get("/bugs.atom?q=xylophonist&status=all").data
    auth.logout()
    login_as("Employee")
    assert listed_ids(client.get("/bugs?q=xylophonist&status=all")) == [bugs["other"].id]
    assert listed_ids(client.get("/bugs?q=paint+xylophonist&status=all")) == [bugs["other"].id]


def test_index_follows_privacy_hiding_summary_edits_and_deletes(client, login_as, world):
    """Every writer goes through the triggers, even raw SQL."""
    _, reporter, employee, bugs = world
    note = comment(bugs["other"], employee, "The quokka module is to blame")
    login_as("Reporter")
    assert listed_ids(client.get("/bugs?q=quokka&status=all")) == [bugs["other"].id]
    db.session.execute(sa.update(Comment).where(Comment.id == note.id).values(is_private=True))
    db.session.commit()
    assert listed_ids(client.get("/bugs?q=quokka&status=all")) == []
    db.session.execute(sa.update(Comment).where(Comment.id == note.id)
                       .values(is_private=False, is_hidden=True))
    db.session.commit()
    assert listed_ids(client.get("/bugs?q=quokka&status=all")) == []
    db.session.execute(sa.update(Comment).where(Comment.id == note.id).values(is_hidden=False))
    db.session.commit()
    assert listed_ids(client.get("/bugs?q=quokka&status=all")) == [bugs["other"].id]
    db.session.execute(sa.delete(Comment).where(Comment.id == note.id))
    db.session.commit()
    assert listed_ids(client.get("/bugs?q=quokka&status=all")) == []

    db.session.execute(sa.update(Bug).where(Bug.id == bugs["other"].id)
                       .values(summary="Wombat colour issue"))
    db.session.commit()
    assert listed_ids(client.get("/bugs?q=wombat&status=all")) == [bugs["other"].id]
    assert listed_ids(client.get("/bugs?q=unrelated&status=all")) == []
    db.session.execute(sa.delete(Bug).where(Bug.id == bugs["other"].id))
    db.session.commit()
    assert listed_ids(client.get("/bugs?q=wombat&status=all")) == []


def test_text_search_filters_follow_raw_edits_of_the_bug(client, login_as, world, make_product):
    """Status, privacy and product of a text search are checked in the index table on
    PostgreSQL (copies kept by triggers and by bugzot_fts_refresh); edits bypassing the
    services must still show."""
    product, reporter, employee, bugs = world
    bug = bugs["description"]
    gadget = make_product("Gadget", components=("Core",))
    login_as("Reporter")
    both = sorted([bugs["summary"].id, bug.id])
    assert sorted(listed_ids(client.get("/bugs?q=frobnicator"))) == both

    def edit(**values):
        db.session.execute(sa.update(Bug).where(Bug.id == bug.id).values(**values))
        db.session.commit()

    edit(status="RESOLVED", resolution="FIXED")
    assert listed_ids(client.get("/bugs?q=frobnicator")) == [bugs["summary"].id]
    assert sorted(listed_ids(client.get("/bugs?q=frobnicator&status=all"))) == both
    edit(is_private=True)
    assert listed_ids(client.get("/bugs?q=frobnicator&status=all")) == [bugs["summary"].id]
    edit(is_private=False, product_id=gadget.id)
    assert listed_ids(client.get("/bugs?q=frobnicator&status=all&product=Gadget")) == [bug.id]
    page = client.get("/bugs?q=frobnicator&status=all&product=Widget").get_data(as_text=True)
    assert "<strong>1</strong>" in page
    if db.engine.dialect.name == "postgresql":  # the refresh function rewrites the copies too
        db.session.execute(sa.text("UPDATE bug_search SET status = 'NEW', product_id = :p "
                                   "WHERE bug_id = :id"), {"p": product.id, "id": bug.id})
        db.session.execute(sa.text("SELECT bugzot_fts_refresh(ARRAY[:id])"), {"id": bug.id})
        db.session.commit()
        row = db.session.execute(sa.text("SELECT status, product_id FROM bug_search "
                                         "WHERE bug_id = :id"), {"id": bug.id}).one()
        assert tuple(row) == ("RESOLVED", gadget.id)


def test_summary_edit_through_the_service_is_indexed(client, login_as, world):
    from conftest import edit as update

    _, reporter, employee, bugs = world
    bug = bugs["other"]
    update(employee, bug, {"summary": "Platypus rendering glitch"})
    login_as("Reporter")
    assert listed_ids(client.get("/bugs?q=platypus&status=all")) == [bug.id]


def test_text_search_respects_private_bugs(client, auth, login_as, world, make_bug, make_user):
    product, reporter, employee, _ = world
    secret = make_bug(product, employee, summary="Narwhal security hole", is_private=True)
    login_as("Reporter")
    assert listed_ids(client.get("/bugs?q=narwhal&status=all")) == []
    auth.logout()
    login_as("Employee")
    assert listed_ids(client.get("/bugs?q=narwhal&status=all")) == [secret.id]


def test_relevance_sort_needs_words_and_pages_by_keyset(client, login_as, make_product, make_user,
                                                        make_bug):
    product = make_product("Paged")
    reporter = make_user("pat")
    made = [make_bug(product, reporter, summary=f"Gizmo failure number {i}",
                     description="gizmo " * (i % 4 + 1)) for i in range(30)]
    login_as("Reporter")
    assert client.get("/bugs?sort=relevance").status_code == 400
    seen, query = [], "q=gizmo&status=all&limit=25"
    while query:
        response = client.get("/bugs?" + query)
        seen += listed_ids(response)
        query = link(NEXT_RE, response)
    assert sorted(seen) == sorted(b.id for b in made) and len(seen) == len(set(seen))


@pytest.mark.parametrize("text, location", [
    ("42", "/bugs/42"), ("#42", "/bugs/42"), ("bug 42", "/bugs/42"), (" 7 ", "/bugs/7"),
    ("", "/bugs"), ("crash on save", "/bugs?status=all&q=crash+on+save"),
])
def test_quick_search_jumps_to_numbers_and_searches_words(client, login_as, text, location):
    login_as("Reporter")
    response = client.get("/quicksearch", query_string={"quicksearch": text})
    assert response.status_code == 302
    assert response.headers["Location"] == location


def test_quick_search_box_is_on_every_page(client, login_as):
    login_as("Reporter")
    page = client.get("/").get_data(as_text=True)
    assert 'action="/quicksearch"' in page and 'id="quicksearch" name="q"' in page


def test_search_needs_login(client, app):
    assert client.get("/bugs?q=x").status_code == 302
    assert client.get("/quicksearch?quicksearch=1").status_code == 302


def test_anonymous_browsing_searches_public_text_only(client, app, world):
    _, _, employee, bugs = world
    comment(bugs["other"], employee, "hidden meaning: ocelot", private=True)
    app.config["ALLOW_ANONYMOUS_BROWSE"] = True
    assert listed_ids(client.get("/bugs?q=frobnicator&status=all"))[0] == bugs["summary"].id
    assert listed_ids(client.get("/bugs?q=ocelot&status=all")) == []
    assert client.get("/bugs.csv?q=ocelot&status=all").get_data(as_text=True).count("\n") == 1


@pytest.mark.parametrize("query", ["q=crash&status=all&limit=25", "q=crash&status=all&limit=25&product=Atlas",
                                   "q=crash+menu&status=open&limit=25&severity=normal"])
def test_ranking_window_gives_the_same_pages_as_ranking_everything(client, auth, app, query,
                                                                    monkeypatch):
    """The page query ranks only the best matches before joining; with filters that
    reject most of them it must fall back, never skip or reorder a bug."""
    from bugzot.search import query as search_query
    from bugzot.seed.bulk import seed
    from tests.conftest import PASSWORD

    seed(300, 3, users=6, password=PASSWORD, random_seed=11)
    auth.login("seed0002")

    def walk():
        pages, qs = [], query
        while qs:
            response = client.get("/bugs?" + qs)
            pages.append(listed_ids(response))
            qs = link(NEXT_RE, response)
        return pages

    windowed = walk()
    monkeypatch.setattr(search_query, "RANK_WINDOW", 100_000)  # ranks every match at once
    assert walk() == windowed
    assert windowed[0]
    if "product" not in query and "severity" not in query:
        assert len(windowed) > 1  # several pages, so cursors went through the window too
