"""The company directory (LDAP / Active Directory) through ldap3: who a login is.

``Directory.from_config(app.config)`` reads the DIRECTORY_* settings (bugzot/config.py)
and opens a fresh connection per call, so nothing is shared between threads:

- ``authenticate(login, password)``: the service account searches the user with
  DIRECTORY_USER_FILTER, then a second connection binds as that user with the typed
  password; the answer is the user's ``Entry`` (name, mail, groups) or None.
- ``lookup(username)``: the same search by DIRECTORY_USERNAME_ATTR only, for single
  sign-on, where Apache has already checked the password.
- ``role_for(entry)``: the BugZot role of DIRECTORY_GROUP_ROLES' first group the entry
  is in, nested groups included (AD's LDAP_MATCHING_RULE_IN_CHAIN, else group by group).

Passwords never travel in clear: ldaps:// or StartTLS, certificates always checked
(DIRECTORY_CA_FILE or the system's store). A directory that cannot be reached or
refuses the service account raises ``DirectoryUnavailable``; wrong passwords, unknown
and disabled users are all just None, and the reason goes to the log only.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

log = logging.getLogger(__name__)

IN_CHAIN = "1.2.840.113556.1.4.1941"  # LDAP_MATCHING_RULE_IN_CHAIN (Active Directory)
AD_CAPABILITY = "1.2.840.113556.1.4.800"  # LDAP_CAP_ACTIVE_DIRECTORY_OID in the root DSE
NESTED_MODES = ("auto", "in-chain", "recursive", "off")
MAX_NESTING = 10  # group levels followed by the recursive search


class DirectoryError(Exception):
    """The directory settings cannot work (a message for the administrator)."""


class DirectoryUnavailable(Exception):
    """The directory cannot be reached, refused TLS, or refused the service account."""


@dataclass(frozen=True)
class Entry:
    """A user as the directory describes them."""

    dn: str
    username: str
    email: str
    real_name: str
    groups: frozenset[str]  # normalised DNs of every group the user is in, nested too


def normalise_dn(dn: str) -> str:
    """``dn`` in one spelling (lower case, no spaces around separators), for comparing."""
    try:
        parts = parse_dn(dn, escape=False, strip=True)
    except LDAPException:
        return dn.strip().lower()
    return ",".join(f"{attr}={value}" for attr, value, _sep in parts).lower()


def enabled(config: Mapping[str, Any]) -> bool:
    """True when directory login is configured (DIRECTORY_URL is set)."""
    return bool(config.get("DIRECTORY_URL"))


def check_config(config: Mapping[str, Any]) -> None:
    """Refuse directory settings that cannot work safely, at start-up (DirectoryError)."""
    if enabled(config):
        Directory.from_config(config)


@dataclass(frozen=True)
class Directory:
    """Checked directory settings; each method opens and closes its own connections."""

    urls: tuple[str, ...]
    starttls: bool
    ca_file: str | None
    bind_dn: str | None
    bind_password: str | None
    user_base: str
    user_filter: str
    username_attr: str
    name_attr: str
    email_attr: str
    group_base: str
    group_filter: str
    member_attr: str
    nested: str
    group_roles: tuple[tuple[str, str], ...]  # (normalised group DN, role name), in order
    default_role: str | None
    timeout: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Directory:
        """The settings of ``config``'s DIRECTORY_* keys, or DirectoryError."""
        urls = config["DIRECTORY_URL"]
        urls = tuple(urls.split() if isinstance(urls, str) else urls)
        starttls = bool(config["DIRECTORY_STARTTLS"])
        for url in urls:
            scheme = urlsplit(url).scheme.lower()
            if scheme not in ("ldap", "ldaps") or not urlsplit(url).hostname:
                raise DirectoryError(f"DIRECTORY_URL {url!r} is not ldaps://host[:port] or ldap://host[:port].")
            if scheme == "ldap" and not starttls:
                raise DirectoryError(f"DIRECTORY_URL {url!r} would send passwords in clear: use "
                                     "ldaps:// or set DIRECTORY_STARTTLS = True.")
        if not config["DIRECTORY_USER_BASE"]:
            raise DirectoryError("DIRECTORY_USER_BASE is not set (e.g. 'ou=People,dc=example,dc=com').")
        if "{login}" not in config["DIRECTORY_USER_FILTER"]:
            raise DirectoryError("DIRECTORY_USER_FILTER must contain {login}.")
        nested = config["DIRECTORY_NESTED_GROUPS"]
        if nested not in NESTED_MODES:
            raise DirectoryError(f"DIRECTORY_NESTED_GROUPS must be one of {', '.join(NESTED_MODES)}.")
        if bool(config["DIRECTORY_BIND_DN"]) != bool(config["DIRECTORY_BIND_PASSWORD"]):
            raise DirectoryError("Set both DIRECTORY_BIND_DN and DIRECTORY_BIND_PASSWORD, or neither.")
        roles = config["DIRECTORY_GROUP_ROLES"] or {}
        return cls(
            urls=urls, starttls=starttls, ca_file=config["DIRECTORY_CA_FILE"],
            bind_dn=config["DIRECTORY_BIND_DN"], bind_password=config["DIRECTORY_BIND_PASSWORD"],
            user_base=config["DIRECTORY_USER_BASE"], user_filter=config["DIRECTORY_USER_FILTER"],
            username_attr=config["DIRECTORY_USERNAME_ATTR"], name_attr=config["DIRECTORY_NAME_ATTR"],
            email_attr=config["DIRECTORY_EMAIL_ATTR"],
            group_base=config["DIRECTORY_GROUP_BASE"] or config["DIRECTORY_USER_BASE"],
            group_filter=config["DIRECTORY_GROUP_FILTER"],
            member_attr=config["DIRECTORY_GROUP_MEMBER_ATTR"], nested=nested,
            group_roles=tuple((normalise_dn(dn), role) for dn, role in roles.items()),
            default_role=config["DIRECTORY_DEFAULT_ROLE"],
            timeout=max(1, int(config["DIRECTORY_TIMEOUT"])))

    # -- connections ------------------------------------------------------------------
    def _servers(self) -> list[Server]:
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=self.ca_file,
                  version=ssl.PROTOCOL_TLS_CLIENT)
        servers = []
        for url in self.urls:
            parts = urlsplit(url)
            use_ssl = parts.scheme.lower() == "ldaps"
            servers.append(Server(parts.hostname, port=parts.port or (636 if use_ssl else 389),
                                  use_ssl=use_ssl, tls=tls, get_info=NONE,
                                  connect_timeout=self.timeout))
        return servers

    def _connect(self, user: str | None, password: str | None) -> tuple[Connection, bool]:
        """An open connection (TLS started) and whether the bind as ``user`` succeeded.

        The URLs are a fail-over list: one pass, the first server that opens (and starts
        TLS) wins. Not ldap3's ServerPool: when every server is down it sleeps
        POOLING_LOOP_TIMEOUT (10 s) before giving up, and a login would wait that long.
        Raises DirectoryUnavailable when no server answers or TLS fails.
        """
        problems = []
        try:  # an unreadable DIRECTORY_CA_FILE is an LDAPException too
            servers = self._servers()
        except LDAPException as exc:
            raise DirectoryUnavailable(f"{type(exc).__name__}: {exc}") from exc
        for server in servers:
            conn = Connection(server, user=user, password=password, read_only=True,
                              receive_timeout=self.timeout, auto_referrals=False,
                              raise_exceptions=False)
            try:
                conn.open()
                if self.starttls and not conn.server.ssl:
                    conn.start_tls()
                return conn, conn.bind()
            except LDAPException as exc:
                _close(conn)
                problems.append(f"{server.host}:{server.port}: {type(exc).__name__}: {exc}")
        raise DirectoryUnavailable("; ".join(problems) or "no directory server configured")

    def _service(self) -> Connection:
        """A connection bound as the service account (or anonymous)."""
        conn, bound = self._connect(self.bind_dn, self.bind_password)
        if not bound:
            result = conn.result
            _close(conn)
            raise DirectoryUnavailable(
                f"the service account {self.bind_dn or '(anonymous)'} cannot bind: "
                f"{result.get('description')} {result.get('message', '')}".strip())
        return conn

    # -- the public questions -----------------------------------------------------------
    def authenticate(self, login: str, password: str) -> Entry | None:
        """The entry of the user ``login`` names if ``password`` is theirs, else None."""
        login = login.strip()
        if not login or not password:  # an empty password is an anonymous bind: "success"
            return None
        conn = self._service()
        try:
            found = self._find(conn, self.user_filter.replace("{login}", escape_filter_chars(login)))
            if found is None:
                log.info("directory: no single user matches %r", login)
                return None
            dn, attributes = found
            user_conn, bound = self._connect(dn, password)
            reason = user_conn.result
            _close(user_conn)
            if not bound:  # wrong password, disabled, locked or expired (AD: "data 52e/533/775")
                log.info("directory: bind as %s refused: %s %s", dn, reason.get("description"),
                         reason.get("message", ""))
                return None
            return self._entry(conn, dn, attributes)
        finally:
            _close(conn)

    def lookup(self, username: str) -> Entry | None:
        """The entry whose DIRECTORY_USERNAME_ATTR is ``username`` (no password: SSO)."""
        conn = self._service()
        try:
            # The configured filter with {login} matching the username attribute only.
            exact = f"({self.username_attr}={escape_filter_chars(username)})"
            user_filter = f"(&{self.user_filter.replace('{login}', escape_filter_chars(username))}{exact})"
            found = self._find(conn, user_filter)
            return None if found is None else self._entry(conn, *found)
        finally:
            _close(conn)

    def role_for(self, entry: Entry) -> str | None:
        """The role of the first mapped group ``entry`` is in, else DIRECTORY_DEFAULT_ROLE."""
        return next((role for dn, role in self.group_roles if dn in entry.groups), self.default_role)

    # -- searching --------------------------------------------------------------------
    def _search(self, conn: Connection, base: str, search_filter: str, attributes: list[str],
                scope=SUBTREE, size_limit: int = 0) -> list[dict]:
        try:
            conn.search(base, search_filter, search_scope=scope, attributes=attributes,
                        size_limit=size_limit)
        except LDAPException as exc:
            raise DirectoryUnavailable(f"search failed: {exc}") from exc
        if conn.result.get("result") not in (0, 4):  # success, sizeLimitExceeded
            raise DirectoryUnavailable(f"search {search_filter} under {base} failed: "
                                       f"{conn.result.get('description')} {conn.result.get('message', '')}")
        return [item for item in conn.response or () if item.get("type") == "searchResEntry"]

    def _find(self, conn: Connection, search_filter: str) -> tuple[str, dict] | None:
        """(dn, attributes) of the one user ``search_filter`` matches; None for 0 or 2+."""
        found = self._search(conn, self.user_base, search_filter,
                             [self.username_attr, self.name_attr, self.email_attr], size_limit=2)
        if len(found) != 1:
            return None
        return found[0]["dn"], found[0]["attributes"]

    def _entry(self, conn: Connection, dn: str, attributes: dict) -> Entry:
        def first(name: str) -> str:
            value = attributes.get(name)
            if isinstance(value, list):
                value = value[0] if value else ""
            return str(value or "").strip()

        return Entry(dn=dn, username=first(self.username_attr).lower(),
                     email=first(self.email_attr).lower(), real_name=first(self.name_attr),
                     groups=self._groups(conn, dn) if self.group_roles else frozenset())

    def _groups(self, conn: Connection, user_dn: str) -> frozenset[str]:
        """Normalised DNs of the groups ``user_dn`` is in, nested ones included."""
        mode = self.nested
        if mode == "auto":
            mode = "in-chain" if self._is_active_directory(conn) else "recursive"
        member = self.member_attr
        if mode == "in-chain":
            in_chain = f"({member}:{IN_CHAIN}:={escape_filter_chars(user_dn)})"
            found = self._search(conn, self.group_base, f"(&{self.group_filter}{in_chain})", [])
            return frozenset(normalise_dn(item["dn"]) for item in found)
        groups: set[str] = set()
        frontier = [user_dn]
        for _level in range(MAX_NESTING if mode == "recursive" else 1):
            members = "".join(f"({member}={escape_filter_chars(dn)})" for dn in frontier)
            found = self._search(conn, self.group_base, f"(&{self.group_filter}(|{members}))", [])
            frontier = [item["dn"] for item in found if normalise_dn(item["dn"]) not in groups]
            groups.update(normalise_dn(dn) for dn in frontier)
            if not frontier:
                break
        return frozenset(groups)

    def _is_active_directory(self, conn: Connection) -> bool:
        found = self._search(conn, "", "(objectClass=*)", ["supportedCapabilities"], scope=BASE)
        capabilities = found[0]["attributes"].get("supportedCapabilities", []) if found else []
        return AD_CAPABILITY in capabilities



def _close(conn: Connection) -> None:
    """Unbind and close, whatever state the connection is in."""
    try:
        conn.unbind()
    except LDAPException:
        pass
