"""A real OpenLDAP ``slapd`` for the directory and SSO tests, on loopback ports.

``running_slapd(folder)`` makes a throwaway CA and server certificate (openssl), a
slapd.conf with an mdb database and the ppolicy overlay, loads the test tree with
slapadd and starts slapd on ``ldap://127.0.0.1:P`` (StartTLS) and ``ldaps://127.0.0.1:Q``;
it always stops it again. Debian's ``slapd`` and ``ldap-utils`` packages
(scripts/test.sh installs them) provide the binaries and schemas.

The tree (dc=bugzot,dc=test):
  ou=People   alice (in bugzot-admins), bob (in staff), erin (in backend, which is in
              developers: a nested group), carol (locked by ppolicy: a disabled user),
              nomail (no mail attribute)
  ou=Groups   bugzot-admins, developers > backend, staff
  ou=Services cn=bugzot-svc, the service account (anonymous users may not search)
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ldap3 import MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE, Connection, Server
from livehttp import free_port

SUFFIX = "dc=bugzot,dc=test"
ROOT_DN, ROOT_PW = f"cn=admin,{SUFFIX}", "root-secret"
SERVICE_DN, SERVICE_PW = f"cn=bugzot-svc,ou=Services,{SUFFIX}", "service-secret"
PEOPLE, GROUPS = f"ou=People,{SUFFIX}", f"ou=Groups,{SUFFIX}"
PASSWORDS = {"alice": "alice-password", "bob": "bob-password", "erin": "erin-password",
             "carol": "carol-password", "nomail": "nomail-password"}
ADMINS, DEVELOPERS, BACKEND, STAFF = (f"cn={name},{GROUPS}" for name in
                                      ("bugzot-admins", "developers", "backend", "staff"))
SCHEMAS = ("core", "cosine", "inetorgperson")


def user_dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


def _person(uid: str, name: str, mail: str | None, extra: str = "") -> str:
    surname = name.split()[-1]
    lines = [f"dn: {user_dn(uid)}", "objectClass: inetOrgPerson", f"uid: {uid}", f"cn: {name}",
             f"sn: {surname}", f"userPassword: {PASSWORDS[uid]}"]
    if mail:
        lines.append(f"mail: {mail}")
    return "\n".join(lines) + extra + "\n"


def _group(dn: str, *members: str) -> str:
    cn = dn.split(",", 1)[0].split("=", 1)[1]
    return "\n".join([f"dn: {dn}", "objectClass: groupOfNames", f"cn: {cn}",
                      *(f"member: {m}" for m in members)]) + "\n"


TREE = "\n".join([
    f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: bugzot\no: BugZot tests\n",
    *(f"dn: ou={ou},{SUFFIX}\nobjectClass: organizationalUnit\nou: {ou}\n"
      for ou in ("People", "Groups", "Services", "Policies")),
    f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
    f"cn: bugzot-svc\nuserPassword: {SERVICE_PW}\n",
    f"dn: cn=default,ou=Policies,{SUFFIX}\nobjectClass: device\nobjectClass: pwdPolicy\n"
    "cn: default\npwdAttribute: userPassword\npwdLockout: TRUE\n",
    _person("alice", "Alice Adams", "alice@bugzot.test"),
    _person("bob", "Bob Brown", "Bob.Brown@Bugzot.test"),
    _person("erin", "Erin Evans", "erin@bugzot.test"),
    # Locked for good ("000001010000Z"): OpenLDAP's way of disabling an account.
    _person("carol", "Carol Clark", "carol@bugzot.test", "\npwdAccountLockedTime: 000001010000Z"),
    _person("nomail", "No Mail", None),
    _group(ADMINS, user_dn("alice")),
    _group(BACKEND, user_dn("erin")),
    _group(DEVELOPERS, BACKEND),
    _group(STAFF, user_dn("bob")),
])


@dataclass
class Slapd:
    """A running slapd: its URLs, CA certificate and folder."""

    folder: Path
    ldap_url: str  # plain LDAP port: StartTLS only (the app refuses it without)
    ldaps_url: str
    ca_file: Path
    process: subprocess.Popen

    def config(self, **overrides) -> dict:
        """App settings for this directory (ldaps, service account, OpenLDAP attributes)."""
        return {
            "DIRECTORY_URL": self.ldaps_url, "DIRECTORY_CA_FILE": str(self.ca_file),
            "DIRECTORY_BIND_DN": SERVICE_DN, "DIRECTORY_BIND_PASSWORD": SERVICE_PW,
            "DIRECTORY_USER_BASE": PEOPLE, "DIRECTORY_GROUP_BASE": GROUPS,
            "DIRECTORY_GROUP_ROLES": {ADMINS: "Admin", DEVELOPERS: "Employee"},
            "DIRECTORY_TIMEOUT": 3, **overrides}

    def admin(self) -> Connection:
        """A connection bound as the root DN, to change the tree during a test."""
        return Connection(Server(self.ldap_url), ROOT_DN, ROOT_PW,
                          auto_bind=True)

    def add_member(self, group: str, member: str) -> None:
        with self.admin() as conn:
            assert conn.modify(group, {"member": [(MODIFY_ADD, [member])]}), conn.result

    def remove_member(self, group: str, member: str) -> None:
        with self.admin() as conn:
            assert conn.modify(group, {"member": [(MODIFY_DELETE, [member])]}), conn.result

    def set_attribute(self, dn: str, name: str, value: str) -> None:
        with self.admin() as conn:
            assert conn.modify(dn, {name: [(MODIFY_REPLACE, [value])]}), conn.result

    def stop(self) -> None:
        """SIGTERM (slapd flushes and exits), SIGKILL after 10 s."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) for the name localhost (and this host's)."""
    ca_key, ca, key, csr, cert = (folder / n for n in ("ca.key", "ca.pem", "server.key",
                                                        "server.csr", "server.pem"))
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             "/CN=BugZot test CA", "-keyout", str(ca_key), "-out", str(ca))
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
             "-keyout", str(key), "-out", str(csr))
    ext = folder / "san.cnf"
    # Not the IP: tests check names. libldap (Apache's mod_ldap) checks "localhost" as
    # this machine's own name, so that is in too.
    names = dict.fromkeys(["localhost", socket.gethostname(), socket.getfqdn()])
    ext.write_text("subjectAltName = " + ", ".join(f"DNS:{name}" for name in names) + "\n")
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
             "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(cert))
    for path in (ca, cert, key):
        path.chmod(0o644)  # slapd runs as root here; Apache's user must read the CA
    return ca, cert, key


@contextmanager
def running_slapd(folder: Path):
    """Start slapd with the test tree in ``folder``; yield a Slapd; always stop it."""
    slapd = shutil.which("slapd") or "/usr/sbin/slapd"
    slapadd = shutil.which("slapadd") or "/usr/sbin/slapadd"
    assert Path(slapd).exists(), "slapd is not installed: apt-get install slapd ldap-utils"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    ca, cert, key = make_certificates(folder)
    (folder / "db").mkdir()
    conf = folder / "slapd.conf"
    conf.write_text("\n".join([
        *(f"include /etc/ldap/schema/{name}.schema" for name in SCHEMAS),
        "modulepath /usr/lib/ldap", "moduleload back_mdb", "moduleload ppolicy",
        f"pidfile {folder}/slapd.pid", f"argsfile {folder}/slapd.args",
        f"TLSCACertificateFile {ca}", f"TLSCertificateFile {cert}", f"TLSCertificateKeyFile {key}",
        "database mdb", f'suffix "{SUFFIX}"', f'rootdn "{ROOT_DN}"', f"rootpw {ROOT_PW}",
        f"directory {folder}/db", "maxsize 10485760",
        "overlay ppolicy", f'ppolicy_default "cn=default,ou=Policies,{SUFFIX}"',
        "access to attrs=userPassword by self write by anonymous auth by * none",
        "access to * by users read by * none", ""]))
    (folder / "tree.ldif").write_text(TREE)
    subprocess.run([slapadd, "-f", str(conf), "-l", str(folder / "tree.ldif")], check=True,
                   capture_output=True, timeout=60)
    plain, secure = free_port(), free_port()
    ldap_url, ldaps_url = f"ldap://localhost:{plain}", f"ldaps://localhost:{secure}"
    log = open(folder / "slapd.log", "wb")  # noqa: SIM115  (closed below)
    process = subprocess.Popen([slapd, "-f", str(conf), "-h", f"ldap://127.0.0.1:{plain}/ ldaps://127.0.0.1:{secure}/",
                                "-d", "stats"], stdout=log, stderr=subprocess.STDOUT)
    server = Slapd(folder, ldap_url, ldaps_url, ca, process)
    try:
        _wait_until_bindable(server)
        yield server
    finally:
        server.stop()
        log.close()


def _wait_until_bindable(server: Slapd, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            with server.admin():
                return
        except Exception:  # noqa: BLE001  (not listening yet)
            time.sleep(0.1)
    log = (server.folder / "slapd.log").read_text(errors="replace")[-3000:]
    raise AssertionError(f"slapd did not start (exit {server.process.poll()}):\n{log}")
