"""The header's quick search: a bug number, words, and ``field:value`` terms.

``parse_quick("crash product:Portal assignee:me is:open", "ann")`` gives the bug list
query of those terms (a ``BugQuery``; the view redirects to its canonical URL), or
the number of the bug to open when the text is just a number ("42", "#42", "bug 42").
Values may be quoted (``product:"Web Portal"``) and hold comma lists (``status:NEW,
ASSIGNED``); ``me`` is the searching user. Without ``is:`` or ``status:`` words search
every bug (what people look for by its words is often fixed already) and terms alone
the open ones, as the bug list does. Unknown terms and bad values are a
``SearchError`` that says what is allowed.
"""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

from bugzot.search.params import MAX_TEXT, BugQuery, SearchError, parse_query

BUG_NUMBER_RE = re.compile(r"^\s*(?:bug\s*)?#?(\d{1,9})\s*$", re.IGNORECASE)
TERM_RE = re.compile(r'(?:(?P<name>[A-Za-z_]+):(?:"(?P<quoted>[^"]*)"?|(?P<plain>\S*)))'
                     r'|(?P<word>"[^"]*"?|\S+)')
# term -> the bug list parameter it sets (the ``is:`` term is handled apart)
TERMS: dict[str, str] = {
    "product": "product", "component": "component", "version": "version",
    "status": "status", "resolution": "resolution", "severity": "severity",
    "priority": "priority", "assignee": "assignee", "reporter": "reporter", "cc": "cc",
    "involves": "involves", "changed": "changed",
}
PEOPLE = frozenset({"assignee", "reporter", "cc", "involves"})
IS_VALUES = ("open", "closed", "all")
# Enumerated values in the case the bug list knows them, whatever case was typed.
CASE = {
    "status": lambda v: v.lower() if v.lower() in IS_VALUES else v.upper(),
    "resolution": str.upper, "priority": str.upper, "severity": str.lower,
}
# What the help popover lists: (term, what it finds).
HELP: tuple[tuple[str, str], ...] = (
    ("42", "opens bug 42"),
    ("crash on save", "bugs with these words (all bugs, open or closed)"),
    ("product:Portal", 'bugs of a product; quote names with spaces: product:"Web Portal"'),
    ("component:Login", "bugs of a component"),
    ("assignee:me", "bugs assigned to you (or assignee:<username>, assignee:nobody)"),
    ("reporter:me", "bugs you reported (or reporter:<username>)"),
    ("cc:me", "bugs you are CC'd on"),
    ("status:NEW,ASSIGNED", "bugs with these statuses"),
    ("is:open / is:closed", "only open or only closed bugs (is:all: both)"),
    ("severity:critical", "also priority:P1, resolution:FIXED, changed:7d"),
)


def bug_number(text: str) -> int | None:
    """The bug number the text is, if it is just one."""
    match = BUG_NUMBER_RE.match(text or "")
    return int(match.group(1)) if match else None


def parse_quick(text: str, username: str | None) -> BugQuery:
    """The bug list query of a quick search ``text`` by ``username`` (None: a visitor)."""
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise SearchError(f"The search text is too long (at most {MAX_TEXT} characters).", "q")
    args: MultiDict = MultiDict()
    words: list[str] = []
    for match in TERM_RE.finditer(text):
        if match.group("word") is not None:
            words.append(match.group("word").strip('"'))
            continue
        name = match.group("name").lower()
        value = (match.group("quoted") if match.group("quoted") is not None
                 else match.group("plain")).strip()
        if name != "is" and name not in TERMS:
            raise SearchError(
                f"Unknown search term {name + ':'!r}. Use one of: "
                f"{', '.join(t + ':' for t in ('is', *TERMS))} (see the help next to the "
                "search box).", "q")
        if not value:
            raise SearchError(f"Give a value after {name + ':'!r}, e.g. {_example(name)}.", "q")
        if name == "is":
            if value.lower() not in IS_VALUES:
                raise SearchError(f"Use is:open, is:closed or is:all, not is:{value}.", "q")
            args.add("status", value.lower())
            continue
        for part in value.split(","):
            part = part.strip()
            if name in PEOPLE and part.lower() == "me":
                if not username:
                    raise SearchError(f"Log in to search with {name}:me.", "q")
                part = username
            elif name in CASE:
                part = CASE[name](part)
            if part:
                args.add(TERMS[name], part)
    if words:
        args["q"] = " ".join(words)
        if "status" not in args:
            args["status"] = "all"
    return parse_query(args, allow_cursor=False)


def _example(name: str) -> str:
    for term, _ in HELP:
        if term.startswith(name + ":"):
            return term.split(" ")[0]
    return f"{name}:value"
