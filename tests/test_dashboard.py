"""The logged-in start page, "My bugs": assigned, reported, CC'd (open) and recently
changed sections, each with its count and a link to the same bug list; visitors and
users with nothing see the product overview only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from factories import edit, new_bug, new_product, new_user, users_named

from bugzot.extensions import db
from bugzot.models import Bug
from tests.search_support import listed_ids, recorded_sql

SECTION_RE = re.compile(
    r'<section class="card dashboard-section" data-kind="(\w+)".*?<span class="count">([\d,]+)'
    r'(.*?)</section>', re.S)


@pytest.fixture(scope="module")
def world(module_db):
    with module_db.app_context():
        portal = new_product("Portal", components=("Login", "Search"))
        ann, bob = new_user("ann"), new_user("bob")
        eve = new_user("eve", role="Employee")
        new_user("nina")  # involved in nothing
        assigned = new_bug(portal, bob, summary="Assigned to ann")
        edit(eve, assigned, {"assigned_to": ann})
        reported = new_bug(portal, ann, summary="Reported by ann")
        closed = new_bug(portal, ann, summary="Closed one of ann", status="RESOLVED")
        cc = new_bug(portal, bob, summary="ann is CC")
        edit(eve, cc, cc_add=[ann])
        secret = new_bug(portal, eve, summary="Private, ann on CC", is_private=True)
        edit(eve, secret, cc_add=[ann])
        old = new_bug(portal, ann, summary="Old report of ann", status="RESOLVED")
        db.session.execute(sa.update(Bug).where(Bug.id == old.id).values(
            updated_at=datetime.now(UTC) - timedelta(days=30)))
        new_bug(portal, bob, summary="Nothing to do with ann")
        db.session.flush()
        return {"assigned": assigned.id, "reported": reported.id, "closed": closed.id,
                "cc": cc.id, "secret": secret.id, "old": old.id}


def _sections(page: str) -> dict[str, tuple[int, list[int], str]]:
    return {kind: (int(count.replace(",", "")),
                   [int(i) for i in re.findall(r'class="bug-link" href="/bugs/(\d+)"', body)], body)
            for kind, count, body in SECTION_RE.findall(page)}


def test_my_bugs_sections(client, auth, world):
    assert auth.login("ann").status_code == 302
    page = client.get("/").get_data(as_text=True)
    sections = _sections(page)
    assert list(sections) == ["assigned", "reported", "cc", "recent"]
    assert sections["assigned"][:2] == (1, [world["assigned"]])
    assert sections["reported"][:2] == (1, [world["reported"]])  # open ones only
    assert sections["cc"][:2] == (1, [world["cc"]])  # not the private bug ann cannot see
    recent = sections["recent"][1]
    assert set(recent) == {world[k] for k in ("assigned", "reported", "closed", "cc")}
    assert sections["recent"][0] == 4  # the bug changed 30 days ago is not recent
    assert "Portal" in page and "<h2 class=\"overview-title\">Products</h2>" in page


@pytest.mark.parametrize("kind", ["assigned", "reported", "cc", "recent"])
def test_each_section_links_to_its_full_list(client, auth, world, kind):
    assert auth.login("ann").status_code == 302
    count, ids, body = _sections(client.get("/").get_data(as_text=True))[kind]
    href = re.search(r'<a href="(/bugs\?[^"]+)">', body).group(1).replace("&amp;", "&")
    assert sorted(listed_ids(client.get(href))) == sorted(ids) and len(ids) == count


def test_someone_who_sees_private_bugs_counts_them(client, auth, world):
    assert auth.login("eve").status_code == 302
    sections = _sections(client.get("/").get_data(as_text=True))
    assert world["secret"] in sections["recent"][1]  # eve reported it


def test_users_with_nothing_and_visitors_see_the_product_overview(app, client, auth, world):
    assert auth.login("nina").status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "dashboard-section" not in page and "<h1>Products</h1>" in page and "Portal" in page
    auth.logout()
    app.config["ALLOW_ANONYMOUS_BROWSE"] = True
    page = client.get("/").get_data(as_text=True)
    assert "dashboard-section" not in page and "Portal" in page


def test_the_dashboard_costs_the_same_whatever_the_number_of_bugs(client, auth, world):
    assert auth.login("ann").status_code == 302
    with recorded_sql() as few:
        client.get("/")
    ann = users_named("ann")[0]
    for i in range(15):
        new_bug("Portal", ann, summary=f"More of ann {i}")
    with recorded_sql() as many:
        page = client.get("/").get_data(as_text=True)
    assert _sections(page)["reported"][0] == 16
    assert len(_sections(page)["reported"][1]) == 10  # the first ten, the link has the rest
    assert len(many) == len(few)
