"""Sign-in through Apache for ``apache-config --auth``: the module, its settings, the checks.

Apache authenticates and mod_wsgi hands the user's name to BugZot as REMOTE_USER
(services/sso.py; TRUST_REMOTE_USER = True in the instance config):

- ``gssapi`` (Linux): Kerberos/SPNEGO with mod_auth_gssapi and a keytab: the browser of
  a signed-in domain user never sees a prompt;
- ``ldap`` (Linux): mod_authnz_ldap, a Basic password prompt checked against the
  directory (ldaps://, or ldap:// with STARTTLS);
- ``sspi`` (Windows): mod_authnz_sspi, Windows integrated sign-in for httpd.exe.

``--auth-scope site`` protects every page except the REST API (its own API keys),
``/_health`` and ``/static/``; ``login`` protects only ``/login/sso``, the "Sign in with
your company account" button, and leaves the password form for everyone else. The
templates are apache/_auth_modules.j2 (server level), _auth.j2 (the Location blocks),
_auth_linux.j2 and _auth_windows.j2 (each module's directives).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bugzot.deploy.apache import DeployError, checked_path

MODES = {"linux": ("gssapi", "ldap"), "windows": ("sspi",)}
SCOPES = ("site", "login")
_DN_RE = re.compile(r'^[^"\x00-\x1f]+=[^"\x00-\x1f]+$')
_DOMAIN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$")


@dataclass
class AuthSettings:
    """What the _auth*.j2 templates render; build with ``build_auth``."""

    mode: str
    scope: str
    keytab: str | None = None
    ldap_url: str | None = None
    ldap_starttls: bool = False
    ldap_bind_dn: str | None = None
    ldap_bind_password_file: str | None = None
    ldap_ca_file: str | None = None
    ldap_groups: list[str] = field(default_factory=list)
    sspi_domain: str | None = None
    notes: list[str] = field(default_factory=list)


def build_auth(*, platform: str, https: bool, local: bool, mode: str | None, scope: str,
               keytab: str | None, ldap_url: str | None, ldap_bind_dn: str | None,
               ldap_bind_password_file: str | None, ldap_ca_file: str | None,
               ldap_groups: tuple[str, ...], sspi_domain: str | None) -> AuthSettings | None:
    """Check the --auth options against each other; None when --auth is not given."""
    given = {"--keytab": keytab, "--ldap-url": ldap_url, "--ldap-bind-dn": ldap_bind_dn,
             "--ldap-bind-password-file": ldap_bind_password_file, "--ldap-ca-file": ldap_ca_file,
             "--ldap-group": ldap_groups, "--sspi-domain": sspi_domain}
    if mode is None:
        stray = [option for option, value in given.items() if value]
        if stray or scope != "site":
            raise DeployError(f"{', '.join(stray) or '--auth-scope'} only applies with --auth.")
        return None
    if mode not in MODES[platform]:
        other = next(p for p, modes in MODES.items() if mode in modes)
        raise DeployError(f"--auth {mode} is for {other}; on {platform} use "
                          f"{' or '.join(MODES[platform])}.")
    belongs = {"gssapi": {"--keytab"}, "sspi": {"--sspi-domain"},
               "ldap": {"--ldap-url", "--ldap-bind-dn", "--ldap-bind-password-file",
                        "--ldap-ca-file", "--ldap-group"}}[mode]
    stray = [option for option, value in given.items() if value and option not in belongs]
    if stray:
        raise DeployError(f"{', '.join(stray)} does not apply to --auth {mode}.")
    auth = AuthSettings(mode=mode, scope=scope)
    if mode == "gssapi":
        if not keytab:
            raise DeployError("--auth gssapi needs --keytab FILE (the HTTP/<host> service key).")
        auth.keytab = _existing(keytab, "--keytab", platform, local)
    elif mode == "ldap":
        _ldap(auth, platform, local, ldap_url, ldap_bind_dn, ldap_bind_password_file,
              ldap_ca_file, ldap_groups)
        if not https:
            auth.notes.append("--auth ldap asks for passwords (HTTP Basic): serve it with --https "
                              "outside a test bench.")
    else:
        if sspi_domain is not None and not _DOMAIN_RE.match(sspi_domain):
            raise DeployError(f"--sspi-domain {sspi_domain!r} is not a Windows domain name.")
        auth.sspi_domain = sspi_domain
    auth.notes.append("Set TRUST_REMOTE_USER = True and REMOTE_USER_REALMS in the instance "
                      "config.py, or BugZot ignores the sign-in Apache did.")
    return auth


def _existing(path: str, option: str, platform: str, local: bool) -> str:
    path = checked_path(path, option, platform)
    if local and not os.path.isfile(path):
        raise DeployError(f"{option} {path}: no such file.")
    return path


def _ldap(auth: AuthSettings, platform: str, local: bool, url: str | None, bind_dn: str | None,
          password_file: str | None, ca_file: str | None, groups: tuple[str, ...]) -> None:
    if not url:
        raise DeployError("--auth ldap needs --ldap-url, e.g. "
                          "'ldaps://ldap.example.com/ou=People,dc=example,dc=com?uid?sub'.")
    parts = urlsplit(url)
    if parts.scheme not in ("ldap", "ldaps") or not parts.hostname or '"' in url or " " in url:
        raise DeployError(f"--ldap-url {url!r} is not an ldaps:// or ldap:// URL.")
    if bool(bind_dn) != bool(password_file):
        raise DeployError("give both --ldap-bind-dn and --ldap-bind-password-file, or neither.")
    for value in (bind_dn, *groups):
        if value is not None and not _DN_RE.match(value):
            raise DeployError(f"{value!r} is not a distinguished name such as "
                              "'cn=bugzot-users,ou=Groups,dc=example,dc=com'.")
    auth.ldap_url = url
    auth.ldap_starttls = parts.scheme == "ldap"  # passwords never travel in clear
    auth.ldap_bind_dn = bind_dn
    if password_file:
        auth.ldap_bind_password_file = _existing(password_file, "--ldap-bind-password-file",
                                                 platform, local)
    if ca_file:
        auth.ldap_ca_file = _existing(ca_file, "--ldap-ca-file", platform, local)
    auth.ldap_groups = list(groups)
