"""CSV and Atom exports: the same query and the same permissions as the HTML list."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa

from bugzot.extensions import db
from bugzot.models import Bug, User
from bugzot.search import iter_rows, parse_query
from bugzot.visibility import visible_bugs_clause
from tests.search_support import comment

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def data(make_product, make_user, make_bug):
    product = make_product("Gadget", components=("Core",))
    rita = make_user("rita")
    emma = make_user("emma", role="Employee")
    public = make_bug(product, rita, summary="=HYPERLINK(\"http://evil\") formula summary",
                      severity="major")
    other = make_bug(product, rita, summary="Plain <b>bold</b> & ampersand", severity="minor")
    secret = make_bug(product, emma, summary="Private gadget bug", is_private=True)
    comment(other, emma, "private zeppelin remark", private=True)
    return {"public": public, "other": other, "secret": secret}


def _csv(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_csv_has_the_list_columns_in_list_order(client, auth, data):
    auth.login("rita")
    rows = _csv(client.get("/bugs.csv?product=Gadget&sort=id"))
    assert [int(r["id"]) for r in rows] == [data["public"].id, data["other"].id]
    assert rows[1]["summary"] == "Plain <b>bold</b> & ampersand"
    assert rows[1]["severity"] == "minor" and rows[1]["product"] == "Gadget"
    assert rows[1]["reporter"] == "rita" and rows[1]["status"] == "NEW"
    # A cell that a spreadsheet would run as a formula is defused.
    assert rows[0]["summary"].startswith("'=HYPERLINK")
    assert _csv(client.get("/bugs.csv?severity=minor"))[0]["id"] == str(data["other"].id)


def test_csv_and_atom_honour_permissions(client, auth, data):
    auth.login("rita")
    assert str(data["secret"].id) not in [r["id"] for r in _csv(client.get("/bugs.csv?status=all"))]
    assert _csv(client.get("/bugs.csv?q=zeppelin&status=all")) == []
    feed = client.get("/bugs.atom?status=all").get_data(as_text=True)
    assert "Private gadget bug" not in feed
    auth.logout()
    auth.login("emma")
    assert str(data["secret"].id) in [r["id"] for r in _csv(client.get("/bugs.csv?status=all"))]
    assert [r["id"] for r in _csv(client.get("/bugs.csv?q=zeppelin"))] == [str(data["other"].id)]
    auth.logout()
    assert client.get("/bugs.csv").status_code == 302  # to the login page
    assert client.get("/bugs.atom").status_code == 302


def test_csv_export_walks_every_page(client, auth, app, data, make_bug):
    app.config["SEARCH_EXPORT_MAX"] = 1000
    for i in range(7):
        make_bug("Gadget", data["public"].reporter, summary=f"Extra {i}")
    auth.login("rita")
    rows = list(iter_rows(parse_query({}), data["public"].reporter, max_rows=100, chunk=3))
    assert len(rows) == 9 == len({r.id for r in rows})
    assert len(_csv(client.get("/bugs.csv"))) == 9
    app.config["SEARCH_EXPORT_MAX"] = 4
    assert len(_csv(client.get("/bugs.csv"))) == 4


@pytest.mark.parametrize("sort", ["component", "-assignee", "product"])
def test_exports_sorted_by_a_name_walk_every_chunk_like_the_list(client, auth, app, backend,
                                                                  monkeypatch, sort):
    """On PostgreSQL the name sorts take each group's first bugs (LATERAL) chunk by chunk;
    the rows must be those, in the order, that sorting every matching bug gives."""
    from bugzot.search import grouped as grouped_sorts
    from bugzot.seed.bulk import seed

    seed(90, 1, users=5, batch_size=40, random_seed=3)
    reader = db.session.scalar(sa.select(User).where(User.username == "seed0002"))
    q = parse_query({"sort": sort, "status": "all"})
    chunked = [r.id for r in iter_rows(q, reader, max_rows=1000, chunk=7)]
    monkeypatch.setattr(grouped_sorts, "groups", lambda q, dialect: None)
    assert [r.id for r in iter_rows(q, reader, max_rows=1000, chunk=7)] == chunked
    visible = db.session.scalar(sa.select(sa.func.count()).select_from(Bug).where(
        visible_bugs_clause(reader)))
    assert len(chunked) == len(set(chunked)) == visible > 7 * 10


def test_atom_feed_is_valid_and_escaped(client, auth, data):
    auth.login("rita")
    response = client.get("/bugs.atom?product=Gadget&sort=id")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert titles == [f"Bug {data['public'].id}: =HYPERLINK(\"http://evil\") formula summary",
                      f"Bug {data['other'].id}: Plain <b>bold</b> & ampersand"]
    link = entries[0].find(f"{ATOM}link").get("href")
    assert link == f"http://bugzot.test/bugs/{data['public'].id}"
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == \
        "http://bugzot.test/bugs.atom?product=Gadget&sort=id"


def test_exports_reject_bad_queries(client, auth, data):
    auth.login("rita")
    assert client.get("/bugs.csv?sort=nope").status_code == 400
    assert client.get("/bugs.atom?status=MAYBE").status_code == 400
