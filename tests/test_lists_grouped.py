"""Lists sorted by a name (PostgreSQL's grouped path) page exactly like sorting every
matching bug, over 700 seeded bugs built once per module."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD
from tests.search_support import NEXT_RE, PREV_RE, link, listed_ids


@pytest.fixture(scope="module")
def seven_hundred(module_db):
    """700 seeded bugs: pages for every list below."""
    from bugzot.seed.bulk import seed

    with module_db.app_context():
        seed(700, 1, users=6, batch_size=300, password=PASSWORD, random_seed=11)


def _login(auth, username):
    assert auth.login(username).status_code == 302


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite has no LATERAL
@pytest.mark.parametrize("query", [
    "status=all&sort=component", "sort=-component", "status=all&sort=-product",
    "status=all&sort=assignee", "sort=-assignee", "product=Atlas&sort=component",
    "product=Atlas&product=Borealis&sort=-component", "component=Core&status=all&sort=component",
    "product=Cobalt&sort=product", "assignee=seed0002&assignee=seed0003&status=all&sort=-assignee",
    "severity=normal&sort=component",  # a filter the groups cannot take: sorted as before
])
def test_name_sorts_page_exactly_like_sorting_every_bug(seven_hundred, client, auth, app, backend,
                                                        query, monkeypatch):
    """Every page of a grouped name sort, both ways, equals the page that sorting all the
    matching bugs gives (the path SQLite and the other filters take)."""
    from bugzot.search import grouped as grouped_sorts
    _login(auth, "seed0002")

    def walk() -> tuple[list[list[int]], list[list[int]]]:
        pages, response = [], client.get(f"/bugs?{query}&limit=25")
        pages.append(listed_ids(response))
        while (after := link(NEXT_RE, response)):
            response = client.get("/bugs?" + after)
            pages.append(listed_ids(response))
        back = [pages[-1]]
        while (before := link(PREV_RE, response)):
            response = client.get("/bugs?" + before)
            back.append(listed_ids(response))
        return pages, back[::-1]

    grouped = walk()
    monkeypatch.setattr(grouped_sorts, "groups", lambda q, dialect: None)
    assert walk() == grouped
    assert len(grouped[0]) > 1 and grouped[0] == grouped[1]
