"""The start page of a logged-in user: "My bugs".

Four sections: open bugs assigned to the user, open bugs they reported, open bugs they
are CC'd on, and bugs they are involved in (reporter, assignee, QA contact or CC) that
changed in the last seven days. Each section *is* a bug list query (``BugQuery``), run
by the search layer under ``visible_bugs_clause``: its count, its first rows and its
"show all" link are those of ``/bugs`` with the same filters, so they cannot disagree.
A constant number of statements (two per section), whatever the number of bugs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bugzot.models import User
from bugzot.search import BugQuery, fetch_page
from bugzot.search.params import DEFAULT_PAGE_SIZE

SECTION_ROWS = 10  # bugs shown per section; the link leads to the rest
RECENT = "7d"  # "recently changed": the bug list's changed= filter


@dataclass(frozen=True)
class Section:
    """One section of the dashboard: which bugs, how many, the first few."""

    kind: str  # assigned | reported | cc | recent (the markup's data-kind)
    title: str
    query: BugQuery
    rows: list[Any]
    total: int
    capped: bool  # more than the search layer counts (COUNT_CAP)

    @property
    def list_query(self) -> str:
        """The query string of the full list (the bug list's own page size)."""
        return self.query.query_string(limit=DEFAULT_PAGE_SIZE)


def section_queries(user: User) -> list[tuple[str, str, BugQuery]]:
    """(kind, title, query) of each section, for ``user``."""
    me = (user.username,)
    return [
        (kind, title, BugQuery(filters=filters, sort="-updated", limit=SECTION_ROWS))
        for kind, title, filters in (
            ("assigned", "Assigned to me", {"assignee": me}),
            ("reported", "Reported by me", {"reporter": me}),
            ("cc", "I am CC'd on", {"cc": me}),
            ("recent", "Changed in the last 7 days",
             {"involves": me, "status": ("all",), "changed": (RECENT,)}),
        )]


def sections(user: User) -> list[Section]:
    """The dashboard of ``user``; empty when none of its sections has a bug (the start
    page then shows only the product overview)."""
    out = []
    for kind, title, query in section_queries(user):
        page = fetch_page(query, user)
        out.append(Section(kind, title, query, page.rows, page.total, page.total_capped))
    return out if any(s.total for s in out) else []
