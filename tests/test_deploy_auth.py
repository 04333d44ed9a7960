"""``flask apache-config --auth``: the sign-in Location blocks for Kerberos, LDAP and SSPI.

Every Linux variant passes ``apache2 -t`` (standalone, and inside Debian's own
apache2.conf as a site file), the Windows SSPI block says what httpd.exe needs, and
wrong combinations are clear errors. The fixtures and the Debian check come from
tests/test_deploy_config.py; the live sign-ins are in tests/test_sso_apache.py and
tests/test_sso_kerberos.py.
"""

from __future__ import annotations

import subprocess

import pytest
import test_deploy_config as deploy_config
from test_deploy_config import DATA, WINDOWS_ARGS, _apache2, _debian_check

# That module's fixtures, used here as they are.
certificate, generate, instance = deploy_config.certificate, deploy_config.generate, deploy_config.instance


@pytest.fixture
def auth_files(tmp_path) -> dict[str, str]:
    """A keytab, a password file and a CA file (contents do not matter to `apache2 -t`)."""
    names = ("bugzot.keytab", "ldap.secret", "ldap-ca.pem")
    return {name: str(tmp_path / name) for name in names if (tmp_path / name).write_text("x")}


def _auth_args(mode: str, files: dict[str, str]) -> list[str]:
    if mode == "gssapi":
        return ["--auth", "gssapi", "--keytab", files["bugzot.keytab"]]
    return ["--auth", "ldap", "--ldap-url", "ldap://ldap.example.com/ou=People,dc=example,dc=com?uid",
            "--ldap-bind-dn", "cn=bugzot,ou=Services,dc=example,dc=com",
            "--ldap-bind-password-file", files["ldap.secret"], "--ldap-ca-file", files["ldap-ca.pem"],
            "--ldap-group", "cn=bugzot-users,ou=Groups,dc=example,dc=com"]


@pytest.mark.parametrize("scope", ["site", "login"])
@pytest.mark.parametrize("mode", ["gssapi", "ldap"])
@pytest.mark.parametrize("standalone", [False, True], ids=["vhost", "standalone"])
def test_linux_auth_config_passes_apache_configtest(generate, auth_files, certificate, tmp_path,
                                                    mode, scope, standalone):
    out = tmp_path / "bugzot.conf"
    result = generate("--platform", "linux", "--host", "bugs.example.com", "--output", str(out),
                      "--https", "--cert", certificate[0], "--key", certificate[1],
                      *(["--standalone"] if standalone else []), *_auth_args(mode, auth_files),
                      "--auth-scope", scope)
    assert result.exit_code == 0 and "TRUST_REMOTE_USER = True" in result.output, result.output
    text = out.read_text()
    check = (subprocess.run([_apache2(), "-t", "-f", str(out)], capture_output=True, text=True, timeout=60)
             if standalone else _debian_check(out, tmp_path))
    assert check.returncode == 0 and "Syntax OK" in check.stderr, f"{check.stderr}\n{text}"
    protected = '<Location "/">' if scope == "site" else '<Location "/login/sso">'
    block = text[text.index(protected):text.index("</Location>", text.index(protected))]
    if mode == "gssapi":
        assert f"GssapiCredStore keytab:{auth_files['bugzot.keytab']}\n" in block
        assert "GssapiSSLonly On" in block and "Require valid-user" in block
    else:
        # An ldap:// URL gets STARTTLS: passwords never travel in clear.
        assert 'AuthLDAPURL "ldap://ldap.example.com/ou=People,dc=example,dc=com?uid" STARTTLS\n' in block
        assert f'AuthLDAPBindPassword "exec:/bin/cat {auth_files["ldap.secret"]}"' in block
        assert "Require ldap-group cn=bugzot-users,ou=Groups,dc=example,dc=com" in block
        assert f'LDAPTrustedGlobalCert CA_BASE64 "{auth_files["ldap-ca.pem"]}"' in text
        assert "service-password" not in text  # the secret itself never lands in the config
    exempt = '<LocationMatch "^/(rest|_health|static)(/|$)">'
    assert (exempt in text) == (scope == "site")
    # Site-wide sign-in must not open the attachment folder to direct requests.
    assert (text.count("Require expr \"%{reqenv:REDIRECT_STATUS} == '200'\"") == 2) == (scope == "site")


def test_windows_sspi_config(generate):
    text = generate(*WINDOWS_ARGS, "--https", "--cert", "C:/c.pem", "--key", "C:/k.pem",
                    "--auth", "sspi", "--sspi-domain", "EXAMPLE").output
    assert 'LoadModule authnz_sspi_module "modules/mod_authnz_sspi.so"' in text
    block = text[text.index('<Location "/">'):text.index("</Location>")]
    for line in ("AuthType SSPI", "SSPIAuth On", "SSPIPackage Negotiate", "SSPIOfferBasic On",
                 "SSPIDomain EXAMPLE", "SSPIOmitDomain Off", "Require valid-sspi-user",
                 'Require user "NT AUTHORITY\\ANONYMOUS LOGON" "ANONYMOUS LOGON"'):
        assert line in block, line
    assert '<LocationMatch "^/(rest|_health|static)(/|$)">' in text
    assert "/_att/" not in text  # no attachment folder alias on Windows, nothing to re-guard
    plain = generate(*WINDOWS_ARGS, "--auth", "sspi").output
    assert "SSPIOfferBasic Off" in plain and "SSPIDomain" not in plain


@pytest.mark.parametrize("args, message", [
    (["--auth", "sspi"], "--auth sspi is for windows"),
    (["--platform", "windows", "--root", "C:/BugZot", "--module-config",
      str(DATA / "windows-module-config.txt"), "--auth", "gssapi"], "--auth gssapi is for linux"),
    (["--keytab", "/etc/krb5.keytab"], "--keytab only applies with --auth"),
    (["--auth-scope", "login"], "--auth-scope only applies with --auth"),
    (["--auth", "gssapi"], "needs --keytab FILE"),
    (["--auth", "gssapi", "--keytab", "/no/such.keytab"], "--keytab /no/such.keytab: no such file"),
    (["--auth", "gssapi", "--keytab", "/etc/hostname", "--ldap-url", "ldaps://x/"],
     "--ldap-url does not apply to --auth gssapi"),
    (["--auth", "ldap"], "needs --ldap-url"),
    (["--auth", "ldap", "--ldap-url", "http://ldap.example.com/"], "is not an ldaps:// or ldap:// URL"),
    (["--auth", "ldap", "--ldap-url", "ldaps://x/", "--ldap-bind-dn", "cn=x"], "give both --ldap-bind-dn"),
    (["--auth", "ldap", "--ldap-url", "ldaps://x/", "--ldap-group", 'x"y'], "is not a distinguished name"),
])
def test_bad_auth_arguments_are_clear_errors(generate, args, message):
    result = generate(*args)
    assert result.exit_code == 2 and message in result.output, result.output
