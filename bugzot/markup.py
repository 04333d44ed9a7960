"""Comment rendering: a small, safe Markdown.

markdown-it-py (CommonMark, raw HTML disabled so it is escaped) turns text into
HTML; ``bug 123``, ``comment 4`` and ``attachment 5`` in plain text become links;
nh3 then removes anything outside a short allow-list, so even a renderer bug
cannot let a script or an event handler through.

Comments are rendered once, when they are written (``stored_html``, kept in
``comments.body_html`` with the ``RENDER_VERSION`` that wrote it); pages show that
(``comment_html``) and render live only what an older renderer (or none: bulk seeds)
stored. The Markdown preview renders live, with the same code.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

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

# Bump when what ``render_comment`` writes changes: stored HTML of an older version is
# rendered live until ``services.bugs.comments.render_stored_html`` (run by a migration
# next to the bump) has stored the new one.
RENDER_VERSION = 1
REFERENCE_RE = re.compile(r"\b(bug|comment|attachment)\s+#?(\d{1,9})\b", re.IGNORECASE)


def _script_root() -> str:
    # The app may be mounted below the site root (mod_wsgi WSGIScriptAlias /bugzot).
    return request.script_root if has_request_context() else ""


def _reference_href(kind: str, number: str, bug_id: int | None, root: str) -> str:
    kind = kind.lower()
    if kind == "bug":
        return f"{root}/bugs/{number}"
    if kind == "attachment":
        return f"{root}/attachments/{number}"
    return f"{root}/bugs/{bug_id}#c{number}" if bug_id else f"#c{number}"


def _autolink_references(state: StateCore) -> None:
    """Core rule: split text tokens (outside links and code) at bug/comment references."""
    bug_id, root = state.env.get("bug_id"), state.env.get("root", "")
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
                link.attrs = {"href": _reference_href(match[1], match[2], bug_id, root),
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


def _render(text: str, bug_id: int | None, root: str) -> str:
    html = _renderer().render(text or "", {"bug_id": bug_id, "root": root})
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes=URL_SCHEMES, link_rel="nofollow noopener noreferrer")


def render_comment(text: str, bug_id: int | None = None) -> Markup:
    """Safe HTML for a comment body; references link within bug ``bug_id``."""
    return Markup(_render(text, bug_id, _script_root()))  # noqa: S704  # nosec B704 - nh3


def stored_html(text: str, bug_id: int) -> str:
    """What ``comments.body_html`` holds: the comment rendered for an app at the site
    root (``comment_html`` puts the script root into the reference links)."""
    return _render(text, bug_id, "")


# The reference links (only they have class="ref" right after href: Markdown links get
# no class, raw HTML is escaped) and the script roots written into them as they are.
_REF_LINK_RE = re.compile(r'<a href="/(?=[^"]*" class="ref")')
_PLAIN_ROOT_RE = re.compile(r"[A-Za-z0-9/_.~-]*\Z")


def comment_html(comment: Any) -> Markup:
    """The HTML of ``comment`` (a ``Comment``): its stored rendering when the current
    renderer wrote it, else rendered now (the same text either way)."""
    stored = comment.body_html
    if stored is None or comment.body_html_version != RENDER_VERSION:
        return render_comment(comment.body, comment.bug_id)
    root = _script_root()
    if root:
        if not _PLAIN_ROOT_RE.match(root):
            return render_comment(comment.body, comment.bug_id)
        stored = _REF_LINK_RE.sub(f'<a href="{root}/', stored)
    return Markup(stored)  # noqa: S704  # nosec B704 - nh3 cleaned it before it was stored
