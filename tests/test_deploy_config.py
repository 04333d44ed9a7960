"""``flask apache-config``: every Linux variant passes ``apache2 -t``, the Windows config
matches a committed golden file, and bad arguments are clear errors.

Standalone configs are checked with ``apache2 -t -f``; VirtualHost files are checked
inside Debian's own /etc/apache2/apache2.conf with the modules ``a2enmod rewrite headers
ssl`` would enable, as docs/DEPLOY-LINUX.md tells admins to do. Set
``BUGZOT_REGEN_GOLDEN=1`` to rewrite tests/data/expected-windows.conf after an
intended template change (then review the diff).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bugzot import create_app

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
DAEMON_DIRECTIVES = ("WSGIDaemonProcess", "WSGIProcessGroup", "WSGIRestrictEmbedded",
                     "WSGISocketPrefix", "WSGIRestrictProcess", "process-group=bugzot")
WINDOWS_ARGS = ["--platform", "windows", "--root", "C:\\BugZot", "--host", "bugs.example.com",
                "--module-config", str(DATA / "windows-module-config.txt")]


@pytest.fixture
def instance(tmp_path, monkeypatch) -> Path:
    """The instance folder the generator reads (as conf.wsgi would), with a 2 MB upload limit."""
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "config.py").write_text(
        "SECRET_KEY = 'generator-test'\nMAX_CONTENT_LENGTH = 2 * 1024 * 1024\n"
        "ATTACHMENT_INTERNAL_REDIRECT = '/_att/'\nBASE_URL = 'https://bugs.example.com'\n")
    monkeypatch.setenv("BUGZOT_INSTANCE_PATH", str(folder))
    return folder


@pytest.fixture
def generate(instance):
    """Run ``flask apache-config ARGS``; return the result (output, exit code)."""
    runner = create_app({"TESTING": True}).test_cli_runner()

    def run(*args: str):
        return runner.invoke(args=["apache-config", *args])

    return run


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    """A self-signed certificate and key made by openssl."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "bugs.crt", folder / "bugs.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=bugs.example.com", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return str(cert), str(key)


def has_backslash_path(text: str) -> bool:
    """True if a backslash appears other than as a line continuation or an escaped quote."""
    return "\\" in text.replace("\\\n", "").replace('\\"', "")


def _apache2() -> str:
    path = shutil.which("apache2")
    assert path, "apache2 is not installed: run scripts/install-apache.sh"
    return path


def _debian_check(snippet: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    """``apache2 -t`` on Debian's stock config plus ``snippet``, like a2ensite would add it."""
    env = dict(os.environ)
    exported = subprocess.run(["bash", "-c", ". /etc/apache2/envvars && env -0"],
                              capture_output=True, check=True, timeout=30).stdout
    env.update(line.split("=", 1) for line in exported.decode().split("\0") if "=" in line)
    # Runtime/lock/log folders of our own, so checking touches nothing of the system's.
    for name in ("APACHE_RUN_DIR", "APACHE_LOCK_DIR", "APACHE_LOG_DIR"):
        env[name] = str(tmp_path)
    env["APACHE_PID_FILE"] = str(tmp_path / "apache2.pid")
    args = [_apache2(), "-t", "-d", "/etc/apache2", "-f", "/etc/apache2/apache2.conf"]
    enabled = os.listdir("/etc/apache2/mods-enabled")
    for module in ("rewrite", "headers", "socache_shmcb", "ssl"):  # a2enmod rewrite headers ssl
        if f"{module}.load" not in enabled:
            args += ["-c", f"LoadModule {module}_module /usr/lib/apache2/modules/mod_{module}.so"]
    args += ["-c", f"Include {snippet}"]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)


# -- Linux: every variant is valid Apache config ---------------------------------------
@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
@pytest.mark.parametrize("listen", [None, "127.0.0.1:8080"], ids=["no-listen", "listen"])
@pytest.mark.parametrize("standalone", [False, True], ids=["vhost", "standalone"])
def test_linux_config_passes_apache_configtest(generate, certificate, tmp_path, https, listen, standalone):
    out = tmp_path / "bugzot.conf"
    args = ["--platform", "linux", "--host", "bugs.example.com", "--output", str(out)]
    args += ["--https", "--cert", certificate[0], "--key", certificate[1]] if https else []
    args += ["--listen", listen] if listen else []
    args += ["--standalone"] if standalone else []
    result = generate(*args)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    if standalone:
        check = subprocess.run([_apache2(), "-t", "-f", str(out)], capture_output=True, text=True,
                               timeout=60)
    else:
        check = _debian_check(out, tmp_path)
    assert check.returncode == 0, f"{check.stderr}\n{text}"
    assert "Syntax OK" in check.stderr

    assert not has_backslash_path(text)
    assert (f'WSGIScriptAlias / "{ROOT}/wsgi/conf.wsgi" process-group=bugzot '
            "application-group=%{GLOBAL}") in text
    assert f'python-home="{sys.prefix}"' in text and "WSGIRestrictEmbedded On" in text
    assert "LimitRequestBody 2097152" in text  # the instance's MAX_CONTENT_LENGTH
    assert "ServerTokens Prod" in text and "ServerSignature Off" in text
    assert ("Listen 127.0.0.1:8080" in text) == bool(listen)
    assert ("<VirtualHost *:8080>" if listen else f"<VirtualHost *:{443 if https else 80}>") in text
    if https:
        assert "Redirect permanent / https://bugs.example.com" in text and "SSLEngine on" in text
    else:
        assert "SSLEngine" not in text and "Redirect" not in text


@pytest.mark.parametrize("standalone", [False, True], ids=["vhost", "standalone"])
@pytest.mark.parametrize("method", ["rotatelogs", "logrotate", "none"])
def test_every_log_rotation_passes_apache_configtest(generate, tmp_path, method, standalone):
    out, snippet = tmp_path / "bugzot.conf", tmp_path / "bugzot.logrotate"
    args = ["--platform", "linux", "--output", str(out), "--log-rotation", method]
    args += ["--standalone"] if standalone else []
    args += ["--logrotate-output", str(snippet)] if method == "logrotate" else []
    args += ["--log-period", "hourly", "--log-keep", "48"] if method != "none" else []
    own_folder = method == "logrotate" and not standalone  # /var/log/apache2/bugzot is not ours to make
    args += ["--log-dir", str(tmp_path / "logs")] if own_folder else []
    result = generate(*args)
    assert result.exit_code == 0, result.output
    assert ("Apache does not create" in result.output) == own_folder
    (tmp_path / "logs").mkdir()
    text = out.read_text()
    check = (subprocess.run([_apache2(), "-t", "-f", str(out)], capture_output=True, text=True, timeout=60)
             if standalone else _debian_check(out, tmp_path))
    assert check.returncode == 0 and "Syntax OK" in check.stderr, f"{check.stderr}\n{text}"

    folder = tmp_path if standalone else "/var/log/apache2" + ("" if method == "none" else "/bugzot")
    folder = tmp_path / "logs" if own_folder else folder
    names = ["bugzot-error", "bugzot-access"] + (["bugzot-httpd-error", "bugzot-httpd-access"]
                                                 if standalone else [])
    for name in names:
        if method == "rotatelogs":
            assert (f"\"|/usr/bin/env BUGZOT_LOG_KEEP=48 '/usr/bin/rotatelogs' -l -f -D "
                    f"-L '{folder}/{name}.log' -p '{ROOT}/apache/prune-logs' "
                    f"'{folder}/{name}.%Y-%m-%d-%H.log' 3600\"") in text
        else:
            assert f'"{folder}/{name}.log"' in text
    if method == "logrotate":
        lines = snippet.read_text().splitlines()
        assert lines[2] == " ".join(f'"{folder}/{name}.log"' for name in names) + " {"
        assert "    hourly" in lines and "    rotate 48" in lines
        reopen = (f'[ -s "{tmp_path}/bugzot-httpd.pid" ] && kill -USR1 "$(cat "{tmp_path}/bugzot-httpd.pid")"'
                  if standalone else "systemctl reload apache2.service")
        assert any(reopen in line for line in lines)
        debug = subprocess.run(["logrotate", "-d", "-s", str(tmp_path / "state"), str(snippet)],
                               capture_output=True, text=True, timeout=60)
        assert debug.returncode == 0 and "error:" not in debug.stderr, debug.stderr
    else:
        assert not snippet.exists()


def test_prune_logs_keeps_the_newest_files_of_its_series(tmp_path):
    """apache/prune-logs as rotatelogs runs it: gzip the closed file, keep the newest N."""
    names = [f"bugzot-access.2025-03-0{day}.log" for day in range(1, 6)]
    for name in [*names, "bugzot-error.2025-03-01.log", "notes.txt"]:
        (tmp_path / name).write_text(f"{name}\n")
    os.link(tmp_path / names[-1], tmp_path / "bugzot-access.log")  # rotatelogs' -L link
    run = subprocess.run([str(ROOT / "apache" / "prune-logs"), str(tmp_path / names[-1]),
                          str(tmp_path / names[-2])], env={**os.environ, "BUGZOT_LOG_KEEP": "3"},
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bugzot-access.2025-03-03.log", "bugzot-access.2025-03-04.log.gz", "bugzot-access.2025-03-05.log",
        "bugzot-access.log", "bugzot-error.2025-03-01.log", "notes.txt"]
    again = subprocess.run([str(ROOT / "apache" / "prune-logs"), str(tmp_path / names[-1])],
                           capture_output=True, text=True, timeout=30)  # no BUGZOT_LOG_KEEP: keep all
    assert again.returncode == 0 and len(list(tmp_path.iterdir())) == 6


def test_windows_rotatelogs_lines_and_cleanup_task(generate):
    result = generate(*WINDOWS_ARGS, "--log-period", "weekly", "--log-keep", "8")
    assert result.exit_code == 0, result.output
    assert ("ErrorLog \"|'C:/Apache24/bin/rotatelogs.exe' -l -f -D 'logs/bugzot-error.%Y-%m-%d.log' "
            "604800\"") in result.output
    assert "-L " not in result.output and "prune-logs" not in result.output
    assert "/m bugzot-*.log /d -56 " in result.output  # 8 weeks, in the clean-up task's note
    assert "Register-ScheduledTask -TaskName 'BugZot log clean-up'" in result.output


def test_linux_standalone_holds_a_whole_server(generate, tmp_path):
    out = tmp_path / "httpd.conf"
    assert generate("--platform", "linux", "--standalone", "--output", str(out)).exit_code == 0
    text = out.read_text()
    for line in (f'ServerRoot "{tmp_path}"', f'PidFile "{tmp_path}/bugzot-httpd.pid"',
                 "User www-data", "Group www-data", f"-L '{tmp_path}/bugzot-httpd-error.log'",
                 "LoadModule mpm_event_module", "Listen 80", 'WSGISocketPrefix "' + str(tmp_path)):
        assert line in text, line


def test_module_config_file_replaces_running_mod_wsgi_express(generate, tmp_path):
    module_config = tmp_path / "module-config.txt"
    module_config.write_text(
        'LoadModule wsgi_module "/opt/venv/lib/mod_wsgi.so"\nWSGIPythonHome "/opt/venv"\n')
    result = generate("--platform", "linux", "--module-config", str(module_config))
    assert result.exit_code == 0, result.output
    assert 'LoadModule wsgi_module "/opt/venv/lib/mod_wsgi.so"' in result.output
    assert 'python-home="/opt/venv"' in result.output


# -- Windows: golden file -----------------------------------------------------------------
def test_windows_config_matches_golden_file(generate):
    result = generate(*WINDOWS_ARGS, "--standalone", "--server-root", "C:/Apache24", "--https", "--cert",
                      "C:\\BugZot\\ssl\\bugs.example.com.crt", "--key", "C:/BugZot/ssl/bugs.example.com.key")
    assert result.exit_code == 0, result.output
    expected = DATA / "expected-windows.conf"
    if os.environ.get("BUGZOT_REGEN_GOLDEN"):
        expected.write_text(result.stdout, encoding="utf-8", newline="\n")
    assert result.stdout == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("extra", [
    [], ["--standalone"], ["--https", "--cert", "C:/c.pem", "--key", "C:/k.pem"]])
def test_windows_config_is_embedded_mode_with_forward_slashes(generate, extra):
    result = generate(*WINDOWS_ARGS, *extra)
    assert result.exit_code == 0, result.output
    text = result.stdout  # the config; the clean-up task's note (stderr) is PowerShell
    for directive in DAEMON_DIRECTIVES:
        assert directive not in text
    assert not has_backslash_path(text) and "C:/BugZot/wsgi/conf.wsgi" in text
    assert 'WSGIPythonHome "C:/Program Files/Python311"' in text  # the base Python, not the venv
    assert "process-group=%{GLOBAL} application-group=%{GLOBAL}" in text
    assert "ThreadsPerChild 64" in text
    assert "/_att/" not in text  # downloads stream through Python on Windows
    assert "LimitRequestBody 10485760" in text  # bugzot.config's default: no instance to read


# -- output handling and bad arguments -------------------------------------------------------
def test_output_is_never_overwritten_without_force(generate, tmp_path):
    out = tmp_path / "bugzot.conf"
    out.write_text("keep me")
    refused = generate("--output", str(out))
    assert refused.exit_code != 0 and "exists; add --force" in refused.output
    assert out.read_text() == "keep me"
    assert generate("--output", str(out), "--force").exit_code == 0
    assert "WSGIScriptAlias" in out.read_text()


@pytest.mark.parametrize("args, message", [
    (["--platform", "bsd"], "'bsd' is not one of 'linux', 'windows'"),
    (["--port", "0"], "0 is not in the range 1<=x<=65535"),
    (["--processes", "0"], "0 is not in the range 1<=x<=64"),
    (["--host", "bugs example"], "is not a host name"),
    (["--listen", "127.0.0.1:99999"], "is not PORT or ADDRESS:PORT"),
    (["--https"], "--https needs --cert FILE and --key FILE"),
    (["--cert", "/etc/hostname"], "--cert/--key only apply with --https"),
    (["--https", "--cert", "/no/cert.pem", "--key", "/no/key.pem"], "--cert /no/cert.pem: no such file"),
    (["--root", "/tmp"], "is not a BugZot checkout"),
    (["--root", 'x"y'], "contains a quote"),
    (["--server-root", "/tmp"], "--server-root only applies with --standalone"),
    (["--standalone"], "--standalone on Linux needs --server-root DIR"),
    (["--user", "root"], "never root"),
    (["--python-home", "/nonexistent"], "mod_wsgi-express is not in /nonexistent/bin"),
    (["--module-config", "/no/such/file"], "'/no/such/file': No such file or directory"),
    (["--log-rotation", "syslog"], "'syslog' is not one of 'rotatelogs', 'logrotate', 'none'"),
    (["--log-period", "monthly"], "give hourly, daily, weekly or a number of seconds"),
    (["--log-period", "0"], "give hourly, daily, weekly or a number of seconds"),
    (["--log-keep", "0"], "0 is not in the range 1<=x<=3650"),
    (["--log-rotation", "none", "--log-keep", "5"], "--log-period/--log-keep need --log-rotation"),
    (["--log-rotation", "logrotate"], "--log-rotation logrotate and --logrotate-output FILE go together"),
    (["--logrotate-output", "/no/x"], "--log-rotation logrotate and --logrotate-output FILE go together"),
    (["--log-rotation", "logrotate", "--logrotate-output", "/no/such/x", "--log-period", "60"],
     "--log-period is hourly, daily or weekly"),
    (["--log-rotation", "logrotate", "--logrotate-output", "/no/such/x", "--log-dir", "/var/log/apache2"],
     "the distribution's logrotate already rotates that folder"),
    (["--log-dir", "relative/logs"], "--log-dir must be an absolute path"),
    (["--log-dir", "/var/log/it's"], "cannot contain a single quote"),
    ([*WINDOWS_ARGS, "--log-rotation", "logrotate", "--logrotate-output", "C:/x"],
     "--log-rotation logrotate is for Linux"),
    (["--platform", "windows", "--root", "C:/BugZot"], "needs --module-config FILE"),
    ([*WINDOWS_ARGS, "--processes", "2"], "--processes is for Linux daemon mode"),
    ([*WINDOWS_ARGS, "--user", "bugzot"], "--user/--group are for Linux"),
    (["--platform", "windows", "--root", "relative/path", "--module-config",
      str(DATA / "windows-module-config.txt")], "--root must be an absolute path"),
    (["--platform", "windows", "--root", "D:/Other", "--module-config",
      str(DATA / "windows-module-config.txt")], "the virtualenv must be D:/Other/.venv or D:/Other/venv"),
])
def test_bad_arguments_are_clear_errors(generate, args, message):
    result = generate(*args)
    assert result.exit_code == 2  # click's usage error
    assert message in result.output, result.output
    assert "Traceback" not in result.output


def test_module_config_that_is_not_mod_wsgi_express_output(generate, tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text("Hello\n")
    result = generate("--module-config", str(junk))
    assert result.exit_code != 0
    assert "this is not the output of `mod_wsgi-express module-config`" in result.output


def test_windows_module_config_needs_the_python_dll(generate, tmp_path):
    linux_output = tmp_path / "linux.txt"
    linux_output.write_text('LoadModule wsgi_module "C:/BugZot/.venv/mod_wsgi.pyd"\n'
                            'WSGIPythonHome "C:/BugZot/.venv"\n')
    result = generate("--platform", "windows", "--root", "C:/BugZot", "--module-config", str(linux_output))
    assert result.exit_code != 0 and "no 'LoadFile .../python3XY.dll' line" in result.output


def test_windows_python_home_comes_from_module_config_or_option(generate, tmp_path):
    lines = (DATA / "windows-module-config.txt").read_text().splitlines()
    without_home = tmp_path / "module-config.txt"
    without_home.write_text("\n".join(line for line in lines if "WSGIPythonHome" not in line))
    args = ["--platform", "windows", "--root", "C:/BugZot", "--module-config", str(without_home)]
    result = generate(*args)
    assert result.exit_code != 0 and "give --python-home" in result.output
    result = generate(*args, "--python-home", "C:\\BugZot\\.venv")
    assert result.exit_code == 0, result.output
    assert "conf.wsgi adds C:/BugZot/.venv itself" in result.output


def test_unready_instance_is_reported_before_apache_would_fail(generate, instance):
    (instance / "config.py").write_text("ENV = 'production'\n")  # no SECRET_KEY
    result = generate()
    assert result.exit_code != 0 and "SECRET_KEY is not set" in result.output


def test_generator_reminds_to_enable_the_internal_redirect(generate, instance):
    (instance / "config.py").write_text("SECRET_KEY = 'x'\n")
    result = generate()
    assert result.exit_code == 0
    assert 'Set ATTACHMENT_INTERNAL_REDIRECT = "/_att/"' in result.output


def test_config_example_documents_only_real_keys():
    """Every key instance/config.example.py sets or mentions is one BugZot reads."""
    from bugzot import config

    example = (ROOT / "instance" / "config.example.py").read_text()
    keys = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+) = ", example, re.M))
    source = "\n".join(p.read_text() for p in (ROOT / "bugzot").rglob("*.py"))
    unknown = {k for k in keys if not hasattr(config, k) and f'"{k}"' not in source}
    assert not unknown
    assert {"SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "ATTACHMENT_INTERNAL_REDIRECT",
            "MAX_CONTENT_LENGTH", "BASE_URL"} <= keys


def _documented_flags(text: str, command: str) -> set[str]:
    """The flags in a doc's "All options of `flask --app bugzot COMMAND`" table."""
    table = text[text.index(f"### All options of `flask --app bugzot {command}`"):]
    table = table[:table.index("\n\n", table.index("| option |"))]
    return set(re.findall(r"`(--?[a-z][a-z-]*)", table))


@pytest.mark.parametrize(("doc", "command"), [
    (doc, command) for doc in ("DEPLOY-LINUX.md", "DEPLOY-WINDOWS.md")
    for command in ("apache-config", "upgrade")] + [("DEPLOY-LINUX.md", "send-mail")])
def test_deployment_docs_list_exactly_the_commands_options(doc, command):
    from bugzot.deploy import commands
    from bugzot.notify.commands import send_mail

    cli = {"apache-config": commands.apache_config, "upgrade": commands.upgrade_command,
           "send-mail": send_mail}[command]
    flags = {flag for param in cli.params
             for flag in (*param.opts, *param.secondary_opts) if flag != "--help"}
    assert _documented_flags((ROOT / "docs" / doc).read_text(), command) == flags


@pytest.mark.parametrize("doc", ["DEPLOY-LINUX.md", "DEPLOY-WINDOWS.md"])
def test_every_documented_command_and_option_exists(doc):
    """Each `flask --app bugzot NAME ...` in the guide is a command of the CLI, and each
    --option written after it is one of that command's."""
    app = create_app({"TESTING": True})
    text = (ROOT / "docs" / doc).read_text()
    text = re.sub(r"\s*(\\|`)\n\s*", " ", text)  # join continued shell/PowerShell lines
    uses = re.findall(r"flask(?:\.exe)? --app bugzot ([a-z][a-z-]*)([^\n`|]*)", text)
    # A scheduled task's -Argument and a service wrapper's <arguments> name the command
    # apart from flask.exe.
    uses += re.findall(r"(?:-Argument \"|<arguments>)--app bugzot ([a-z][a-z-]*)([^\n\"<]*)", text)
    assert len(uses) >= 8
    assert {"send-mail", "send-test-mail", "backup", "restore", "upgrade"} <= {
        name for name, _ in uses}
    for name, rest in uses:
        command = app.cli.get_command(None, name)
        assert command is not None, f"{doc}: `flask --app bugzot {name}` is not a command"
        known = {flag for param in command.params for flag in (*param.opts, *param.secondary_opts)}
        for flag in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", rest):
            assert flag in known, f"{doc}: `{name} ... {flag}` is not an option of {name}"
    assert "<mail worker command>" not in text and "<!-- pending" not in text


def test_windows_golden_config_is_valid_apache_syntax(certificate, tmp_path):
    """Linux's apache2 cannot run httpd.exe's config as is, but with the Windows paths
    swapped for this machine's (and an MPM, which Windows builds in) it must parse."""
    apache_root = tmp_path / "Apache24"
    (apache_root / "conf").mkdir(parents=True)
    (apache_root / "logs").mkdir()
    (apache_root / "modules").symlink_to("/usr/lib/apache2/modules")
    (apache_root / "conf" / "mime.types").symlink_to("/etc/mime.types")
    package = importlib.util.find_spec("mod_wsgi").submodule_search_locations[0]
    module = next(Path(package, "server").glob("mod_wsgi*.so"))
    text = (DATA / "expected-windows.conf").read_text()
    text = re.sub(r"^LoadFile .*\n", "", text, flags=re.M)  # this Python may be static
    for windows, here in (
        ("C:/BugZot/.venv/Lib/site-packages/mod_wsgi/server/mod_wsgi.cp311-win_amd64.pyd", str(module)),
        ("C:/BugZot/ssl/bugs.example.com.crt", certificate[0]),
        ("C:/BugZot/ssl/bugs.example.com.key", certificate[1]),
        ("C:/Apache24", str(apache_root)), ("C:/BugZot", str(ROOT)),
        ("C:/Program Files/Python311", sys.base_prefix)):
        assert windows in text
        text = text.replace(windows, here)
    conf = tmp_path / "windows-on-linux.conf"
    conf.write_text(text)
    check = subprocess.run(
        [_apache2(), "-t", "-f", str(conf),
         "-C", "LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so"],
        capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "Syntax OK" in check.stderr, f"{check.stderr}\n{text}"
