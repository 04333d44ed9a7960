"""Relative times with the exact local time on hover (bugzot.timefmt)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import g

from bugzot import timefmt

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(seconds=10), "just now"),
    (timedelta(minutes=1), "1 minute ago"),
    (timedelta(minutes=59), "59 minutes ago"),
    (timedelta(hours=3, minutes=20), "3 hours ago"),
    (timedelta(days=1), "1 day ago"),
    (timedelta(days=16), "2 weeks ago"),
    (timedelta(days=400), "1 year ago"),
    (-timedelta(days=2), "in 2 days"),
])
def test_relative(delta, text):
    assert timefmt.relative(NOW - delta, now=NOW) == text


def test_naive_times_are_utc():
    assert timefmt.relative(NOW.replace(tzinfo=None) - timedelta(hours=2), now=NOW) == "2 hours ago"


def test_unknown_zone_names_are_refused():
    assert timefmt.zone_or_none("Europe/Paris") is not None
    for bad in ("", "Mars/Olympus", "../../etc/passwd", "x" * 80):
        assert timefmt.zone_or_none(bad) is None


def test_when_uses_the_browser_zone_then_the_preference(app, make_user):
    user = make_user("tzuser")
    stamp = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    with app.test_request_context("/", headers={"Cookie": "tz=Asia/Tokyo"}):
        html = str(timefmt.when(stamp))
        assert 'datetime="2026-07-01T10:00:00+00:00"' in html
        assert 'title="2026-07-01 19:00 JST"' in html
    with app.test_request_context("/", headers={"Cookie": "tz=Not/AZone"}):
        assert 'title="2026-07-01 10:00 UTC"' in str(timefmt.when(stamp))
    user.time_zone = "Europe/Paris"
    with app.test_request_context("/", headers={"Cookie": "tz=Asia/Tokyo"}):
        g._login_user = user  # what Flask-Login's current_user reads
        assert 'title="2026-07-01 12:00 CEST"' in str(timefmt.when(stamp))
