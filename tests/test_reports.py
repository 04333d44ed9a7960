"""Reports: bug counts by two fields for a filter, as a table and chart data."""

from __future__ import annotations

import json
import re

import pytest

from bugzot.search import parse_query, report_counts


@pytest.fixture
def bugs(make_product, make_user, make_bug):
    alpha = make_product("Alpha", components=("Core", "UI"))
    beta = make_product("Beta", components=("Core",))
    rita, emma = make_user("rita"), make_user("emma", role="Employee")
    make_bug(alpha, rita, component="Core", severity="major")
    make_bug(alpha, rita, component="Core", severity="minor")
    make_bug(alpha, rita, component="UI", severity="major")
    make_bug(beta, rita, component="Core", severity="major", status="RESOLVED")
    make_bug(beta, emma, component="Core", severity="critical", is_private=True)
    return rita, emma


def test_counts_by_component_and_status(app, bugs):
    rita, emma = bugs
    report = report_counts(parse_query({"status": "all"}), rita, "component", "status")
    assert report.x_labels == ["Alpha / Core", "Alpha / UI", "Beta / Core"]
    assert report.y_labels == ["NEW", "RESOLVED"]  # workflow order
    assert report.cell("Alpha / Core", "NEW") == 2
    assert report.cell("Beta / Core", "RESOLVED") == 1
    assert report.cell("Beta / Core", "NEW") == 0  # the private bug is not counted for rita
    assert report.total == 4 and report.row_total("NEW") == 3 and report.column_total("Alpha / Core") == 2
    everything = report_counts(parse_query({"status": "all"}), emma, "component", "status")
    assert everything.total == 5 and everything.cell("Beta / Core", "NEW") == 1


def test_severity_by_product_with_a_filter(app, bugs):
    rita, _ = bugs
    report = report_counts(parse_query({"product": "Alpha"}), rita, "product", "severity")
    assert report.x_labels == ["Alpha"] and report.y_labels == ["major", "minor"]
    assert (report.cell("Alpha", "major"), report.cell("Alpha", "minor")) == (2, 1)
    by_assignee = report_counts(parse_query({}), rita, "assignee", "priority")
    assert by_assignee.x_labels == ["(nobody)"] and by_assignee.total == 3


def test_report_page_has_table_chart_data_and_scripts(client, auth, bugs):
    auth.login("rita")
    response = client.get("/reports?x=component&y=status&status=all")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/json" id="report-data">(.*?)</script>',
                                page, re.S).group(1))
    assert data["labels"] == ["Alpha / Core", "Alpha / UI", "Beta / Core"]
    assert {d["label"]: d["data"] for d in data["datasets"]} == {"NEW": [2, 1, 0], "RESOLVED": [0, 0, 1]}
    assert re.search(r'<script src="/static/vendor/chart.js/chart.umd.js\?v=\w+">', page)
    assert re.search(r'<script src="/static/js/reports.js\?v=\w+">', page)
    assert "<script>" not in page  # no inline JavaScript (CSP script-src 'self')
    assert client.get("/static/vendor/chart.js/chart.umd.js").status_code == 200
    assert b"new window.Chart" in client.get("/static/js/reports.js").data


def test_default_axes_and_errors(client, auth, bugs):
    auth.login("rita")
    assert "Report: Status by Component" in client.get("/reports").get_data(as_text=True)
    for query, message in (("x=password_hash", "Cannot group by"), ("x=status&y=status", "two different"),
                           ("status=nope", "Unknown status"), ("after=abc", "not allowed")):
        response = client.get("/reports?" + query, headers={"Accept": "application/json"})
        assert response.status_code == 400 and message in response.get_json()["message"], query


def test_empty_report(client, auth, bugs):
    auth.login("rita")
    page = client.get("/reports?q=nonexistentword").get_data(as_text=True)
    assert "No bugs match" in page and "chart.umd.js" not in page


@pytest.mark.parametrize("x, y", [("component", "status"), ("assignee", "severity"),
                                  ("product", "priority")])
def test_every_report_number_links_to_the_list_of_its_bugs(client, auth, bugs, x, y):
    from tests.search_support import listed_ids

    auth.login("rita")
    page = client.get(f"/reports?x={x}&y={y}&status=all").get_data(as_text=True)
    links = re.findall(r'<a href="(/bugs\?[^"]*)"[^>]*>(\d+)</a>', page)
    assert len(links) >= 4  # cells, row and column totals, the grand total
    for href, number in links:
        assert len(listed_ids(client.get(href.replace("&amp;", "&")))) == int(number), href
