"""Reports: bug counts grouped by two fields (e.g. status x component) for a filter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from bugzot.extensions import db
from bugzot.models import Bug, Component, Product
from bugzot.search.params import NOBODY, BugQuery, SearchError
from bugzot.search.query import Assignee, filtered, with_names
from bugzot.workflow import PRIORITIES, SEVERITIES, STATUSES

NOBODY_LABEL = "(nobody)"
# Axis name -> (label, columns grouped by, vocabulary giving the display order or None).
AXES: dict[str, tuple[str, tuple[Any, ...], Sequence[str] | None]] = {
    "product": ("Product", (Product.name,), None),
    "component": ("Component", (Product.name, Component.name), None),
    "status": ("Status", (Bug.status,), STATUSES),
    "severity": ("Severity", (Bug.severity,), SEVERITIES),
    "priority": ("Priority", (Bug.priority,), PRIORITIES),
    "assignee": ("Assignee", (Assignee.username,), None),
}
# Axis -> the bug list parameters its grouped values are (the report's cells link there).
AXIS_FILTERS: dict[str, tuple[str, ...]] = {
    "product": ("product",), "component": ("product", "component"), "status": ("status",),
    "severity": ("severity",), "priority": ("priority",), "assignee": ("assignee",)}


@dataclass
class Report:
    """Counts of bugs per (x value, y value), with labels in display order."""

    x: str
    y: str
    x_labels: list[str] = field(default_factory=list)
    y_labels: list[str] = field(default_factory=list)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    values: dict[tuple[str, str], tuple[Any, ...]] = field(default_factory=dict)  # (axis, label)

    def list_query(self, q: BugQuery, x_label: str | None = None,
                   y_label: str | None = None) -> str:
        """The bug list query string of one cell (or a row's or column's total): the
        report's filter, narrowed to the cell's values."""
        filters = dict(q.filters)
        for axis, label in ((self.x, x_label), (self.y, y_label)):
            if label is None:
                continue
            for name, value in zip(AXIS_FILTERS[axis], self.values[(axis, label)], strict=True):
                filters[name] = (NOBODY if value is None else str(value),)
        return q.query_string(filters=filters)

    def cell(self, x_label: str, y_label: str) -> int:
        return self.counts.get((x_label, y_label), 0)

    def row_total(self, y_label: str) -> int:
        return sum(self.cell(x, y_label) for x in self.x_labels)

    def column_total(self, x_label: str) -> int:
        return sum(self.cell(x_label, y) for y in self.y_labels)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _label(values: Sequence[Any]) -> str:
    if values[-1] is None:
        return NOBODY_LABEL
    return " / ".join(str(v) for v in values)


def _ordered(labels: set[str], vocabulary: Sequence[str] | None) -> list[str]:
    if vocabulary:
        return [v for v in vocabulary if v in labels] + sorted(labels - set(vocabulary))
    return sorted(labels, key=lambda label: (label == NOBODY_LABEL, label.lower()))


def report_counts(q: BugQuery, user: Any, x: str, y: str) -> Report:
    """Count the bugs of ``q`` visible to ``user`` by the axes ``x`` and ``y``."""
    for name, value in (("x", x), ("y", y)):
        if value not in AXES:
            raise SearchError(f"Cannot group by {value[:40]!r}. Use one of: {', '.join(AXES)}.", name)
    if x == y:
        raise SearchError("Choose two different fields to group by.", "y")
    x_cols, y_cols = AXES[x][1], AXES[y][1]
    stmt, _ = filtered(q, user, (*x_cols, *y_cols, sa.func.count(Bug.id)))
    stmt = with_names(stmt, reporter=False).group_by(*x_cols, *y_cols)
    report = Report(x, y)
    n = len(x_cols)
    for row in db.session.execute(stmt):
        key = (_label(row[:n]), _label(row[n:-1]))
        report.counts[key] = report.counts.get(key, 0) + row[-1]
        report.values[(x, key[0])], report.values[(y, key[1])] = tuple(row[:n]), tuple(row[n:-1])
    report.x_labels = _ordered({k[0] for k in report.counts}, AXES[x][2])
    report.y_labels = _ordered({k[1] for k in report.counts}, AXES[y][2])
    return report
