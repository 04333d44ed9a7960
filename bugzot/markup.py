"""Comment rendering: a small, safe Markdown.

markdown-it-py (CommonMark, raw HTML disabled so it is escaped) turns text into
HTML; ``bug 123``, ``comment 4`` and ``attachment 5`` in plain text become links;
nh3 then removes anything outside a short allow-list, so even a renderer bug
cannot let a script or an event handler through.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from flask import has_request_context, request
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup

ALLOWED_TAGS = {"a", "p", "br", "code", "pre", "em", "strong", "ul", "ol", "li", "blockquote",
                "h1", "h2", "h3", "h4", "h5", "h6", "hr", "del", "table", "thead", "tbody",
                "tr", "th", "td"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title", "class"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}

REFERENCE_RE = re.compile(r"\b(bug|comment|attachment)\s+#?(\d{1,9})\b", re.IGNORECASE)


def _reference_href(kind: str, number: str, bug_id: int | None) -> str:
    # The app may be mounted below the site root (mod_wsgi WSGIScriptAlias /bugzot).
    root = request.script_root if has_request_context() else ""
    kind = kind.lower()
    if kind == "bug":
        return f"{root}/bugs/{number}"
    if kind == "attachment":
        return f"{root}/attachments/{number}"
    return f"{root}/bugs/{bug_id}#c{number}" if bug_id else f"#c{number}"


def _autolink_references(state: StateCore) -> None:
    """Core rule: split text tokens (outside links and code) at bug/comment references."""
    bug_id = state.env.get("bug_id")
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children, in_link = [], 0
        for token in block.children:
            if token.type == "link_open":
                in_link += 1
            elif token.type == "link_close":
                in_link -= 1
            if token.type != "text" or in_link or not REFERENCE_RE.search(token.content):
                children.append(token)
                continue
            pos = 0
            for match in REFERENCE_RE.finditer(token.content):
                if match.start() > pos:
                    children.append(_text(token.content[pos:match.start()]))
                link = Token("link_open", "a", 1)
                link.attrs = {"href": _reference_href(match[1], match[2], bug_id),
                              "class": "ref"}
                children += [link, _text(match[0]), Token("link_close", "a", -1)]
                pos = match.end()
            if pos < len(token.content):
                children.append(_text(token.content[pos:]))
        block.children = children


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    """The configured parser (built once; it holds no per-request state)."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
    md.enable("table").enable("strikethrough")
    md.core.ruler.push("bugzot_references", _autolink_references)
    return md


def render_comment(text: str, bug_id: int | None = None) -> Markup:
    """Safe HTML for a comment body; references link within bug ``bug_id``."""
    html = _renderer().render(text or "", {"bug_id": bug_id})
    clean = nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                      url_schemes=URL_SCHEMES, link_rel="nofollow noopener noreferrer")
    return Markup(clean)  # noqa: S704  # nosec B704 - sanitised by nh3 just above
