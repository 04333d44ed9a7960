"""Times as people read them: "3 hours ago", with the exact time in the viewer's zone.

The zone is the user's preference (``users.time_zone``); until they choose one, the
zone their browser reports (the ``tz`` cookie, set by ``static/js/timezone.js``); else
UTC. Templates call ``when(dt)``, which renders a ``<time>`` element whose text is the
relative time and whose ``title`` (shown on hover) is the exact local time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from flask import request
from flask_login import current_user
from markupsafe import Markup, escape

COOKIE = "tz"
RECORDING = "bugzot.when_expiry"  # request.environ: [earliest moment a text goes out of date]
_UNITS = ((365 * 86400, "year"), (30 * 86400, "month"), (7 * 86400, "week"),
          (86400, "day"), (3600, "hour"), (60, "minute"))


def zone_or_none(name: str) -> ZoneInfo | None:
    """The zone called ``name`` (an IANA name), or None when there is no such zone."""
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_names() -> list[str]:
    """Every IANA zone name, sorted (the preference's choices)."""
    return sorted(available_timezones())


def viewer_zone() -> ZoneInfo:
    """The zone this request's times are shown in (memoized per request)."""
    zone = request.environ.get("bugzot.viewer_zone")
    if zone is None:
        chosen = current_user.time_zone if current_user.is_authenticated else ""
        zone = zone_or_none(chosen) or zone_or_none(request.cookies.get(COOKIE, "")) \
            or ZoneInfo("UTC")
        request.environ["bugzot.viewer_zone"] = zone
    return zone


def relative(dt: datetime, now: datetime | None = None) -> str:
    """``dt`` relative to ``now``: "just now", "5 minutes ago", "in 2 days"."""
    now = now or datetime.now(UTC)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    seconds = int((now - dt).total_seconds())
    future, seconds = seconds < 0, abs(seconds)
    if seconds < 45:
        return "just now"
    for size, unit in _UNITS:
        if seconds >= size:
            count = max(1, round(seconds / size)) if size >= 86400 else seconds // size
            text = f"{count} {unit}{'' if count == 1 else 's'}"
            return f"in {text}" if future else f"{text} ago"
    return "in 1 minute" if future else "1 minute ago"


def next_change(dt: datetime, now: datetime) -> float:
    """Seconds until ``relative(dt, now)`` may read differently (at least 1)."""
    seconds = (now - dt).total_seconds()
    if seconds < 0:
        return 1.0  # a time to come counts down: kept for a second at most
    if seconds < 45:
        return max(1.0, 45 - seconds)
    larger = None
    for size, _unit in _UNITS:
        if seconds >= size:
            if size >= 86400:  # rounded: changes half-way to the next count
                count = max(1, round(seconds / size))
                at = (count + 0.5) * size
            else:
                at = (seconds // size + 1) * size
            if larger is not None:
                at = min(at, larger)
            return max(1.0, at - seconds)
        larger = size
    return max(1.0, 60 - seconds)


def keep_at_most(seconds: float) -> None:
    """While a cached body renders: what it shows depends on the clock (a "changed in
    the last day" list), so keep it at most ``seconds`` (0: not at all)."""
    recording = request.environ.get(RECORDING)
    if recording is not None:
        recording[0] = min(recording[0], datetime.now(UTC).timestamp() + seconds)


def _note(dt: datetime, now: datetime) -> None:
    """While a cached body renders, keep the moment its first relative time goes stale."""
    recording = request.environ.get(RECORDING)
    if recording is not None:
        recording[0] = min(recording[0], now.timestamp() + next_change(dt, now))


def exact(dt: datetime) -> str:
    """``dt`` in the viewer's zone: "2026-12-01 12:30 CET"."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(viewer_zone()).strftime("%Y-%m-%d %H:%M %Z")


def when(dt: datetime | None) -> Markup:
    """A ``<time>`` element: relative text, exact local time on hover."""
    if dt is None:
        return Markup("")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    stamp = exact(dt)
    now = datetime.now(UTC)
    _note(dt, now)
    return Markup('<time datetime="{0}" title="{1}">{2}</time>').format(
        dt.astimezone(UTC).isoformat(timespec="seconds"), escape(stamp), relative(dt, now))
