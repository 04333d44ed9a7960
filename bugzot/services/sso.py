"""Single sign-on through Apache: the REMOTE_USER it vouches for, as a BugZot username.

Apache authenticates (mod_auth_gssapi: Kerberos/SPNEGO, mod_authnz_sspi: Windows,
mod_authnz_ldap: a password checked against the directory) and mod_wsgi puts the
user's name into the WSGI environ as ``REMOTE_USER``. That is the only thing trusted:

- only with TRUST_REMOTE_USER = True (off by default);
- only under mod_wsgi: Flask's development server (run.py), gunicorn and others are
  ignored, so nothing outside Apache can claim a user;
- never a request header: a client's ``Remote-User`` or ``X-Remote-User`` header is
  ``HTTP_REMOTE_USER``/``HTTP_X_REMOTE_USER`` in the environ, which nothing here reads.

``username_for`` strips the realms and domains REMOTE_USER_REALMS lists
(``EXAMPLE\\alice``, ``alice@EXAMPLE.COM`` -> ``alice``); a name from any other realm
is refused, so a trusted foreign realm cannot claim a local user's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bugzot.exceptions import ServiceError
from bugzot.services.identity import USERNAME_RE


def remote_user(environ: Mapping[str, Any], config: Mapping[str, Any]) -> str | None:
    """The name Apache authenticated for this request, or None if it does not count."""
    if not config.get("TRUST_REMOTE_USER"):
        return None
    if "mod_wsgi.version" not in environ:  # set by mod_wsgi only; clients cannot add it
        return None
    return environ.get("REMOTE_USER") or None


def username_for(remote: str, realms: Iterable[str]) -> str:
    """The BugZot username of the Apache user ``remote``; ServiceError if it has none."""
    allowed = {realm.lower() for realm in realms}
    name, realm = remote.strip(), None
    if "\\" in name:
        realm, _, name = name.partition("\\")
    elif "@" in name:
        name, _, realm = name.rpartition("@")
    if realm is not None and realm.lower() not in allowed:
        raise ServiceError(f"You are signed in to the intranet as {remote!r}, but BugZot does not "
                           f"accept users of {realm!r} (REMOTE_USER_REALMS).", status=403)
    name = name.lower()
    if not USERNAME_RE.match(name):  # e.g. a Kerberos "alice/admin" principal
        raise ServiceError(f"The intranet user name {remote!r} cannot be a BugZot username.",
                           status=403)
    return name
