"""Attachment downloads handed to Apache (``ATTACHMENT_INTERNAL_REDIRECT``, Linux daemon mode).

The view checks permission and builds its usual ``send_file`` response; ``apache_handoff``
then swaps it for ``200`` + ``Location: <prefix><file>?type=...&disposition=...``.
mod_wsgi (daemon mode) turns a 200 with a local ``Location`` into an internal
redirect: Apache sends the file itself and the Python thread is free at once. The
app's own response headers do not survive that redirect, so the two that depend on
the attachment travel in the query string and ``apache/_site.j2`` sets them again;
the fixed ones (nosniff, sandbox CSP, Cache-Control) are set there too. Clients
cannot fetch ``<prefix>`` URLs themselves (403).
"""

from __future__ import annotations

import os
from urllib.parse import quote

from flask import Response, current_app


def apache_handoff(response: Response, path: str) -> Response:
    """An internal-redirect response that makes Apache send ``path`` with ``response``'s headers."""
    response.close()  # send_file opened the file; Apache reads it instead
    relative = os.path.relpath(path, current_app.config["ATTACHMENT_FOLDER"]).replace(os.sep, "/")
    # "/" stays literal: Apache's unescape leaves "%2F" encoded.
    query = "&".join(f"{name}={quote(response.headers.get(header, ''), safe='/')}" for name, header in (
        ("type", "Content-Type"), ("disposition", "Content-Disposition")))
    prefix = current_app.config["ATTACHMENT_INTERNAL_REDIRECT"]
    return Response(status=200, headers={"Location": f"{prefix}{quote(relative)}?{query}"})
