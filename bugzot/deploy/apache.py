"""Render BugZot's Apache httpd + mod_wsgi configuration from the templates in ``apache/``.

Linux gets mod_wsgi daemon mode (one ``bugzot`` process group); Windows, where
mpm_winnt has no daemon mode, gets embedded mode in Apache's one multi-threaded
child. ``Settings`` collects every value the templates use; ``render`` turns it into
text. Paths are written with forward slashes on both platforms, and every value that
reaches the config is checked first, so a bad argument is an error here rather than
a broken Apache later. The ``apache-config`` command (``deploy/commands.py``) parses
the options.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bugzot.deploy.logs import LogError, LogSettings, build_log_settings

if TYPE_CHECKING:
    from bugzot.deploy.apache_auth import AuthSettings

CHECKOUT = Path(__file__).resolve().parents[2]
TEMPLATES = CHECKOUT / "apache"
PROCESS_GROUP = "bugzot"
MODULE_CONFIG_HELP = "the output of `mod_wsgi-express module-config`"


class DeployError(ValueError):
    """An option or input the generator cannot turn into a working config."""


@dataclass
class ModuleConfig:
    """The ``LoadFile``/``LoadModule``/``WSGIPythonHome`` lines of ``mod_wsgi-express module-config``."""

    load_files: list[str] = field(default_factory=list)
    load_module: str = ""
    python_home: str | None = None


@dataclass
class Settings:
    """Everything the templates need; build with ``build_settings``."""

    platform: str
    root: str
    host: str
    port: int
    listen: list[str]
    python_home: str
    processes: int
    threads: int
    https: bool
    cert: str | None
    key: str | None
    standalone: bool
    server_root: str | None
    user: str | None
    group: str | None
    modules: ModuleConfig
    max_body: int
    attachments: str
    attachment_prefix: str | None
    layout: dict[str, str]
    logs: LogSettings
    notes: list[str] = field(default_factory=list)
    auth: AuthSettings | None = None  # sign-in through Apache (deploy/apache_auth.py)


# -- values ------------------------------------------------------------------------
def fwd(path: str | os.PathLike) -> str:
    """``path`` with forward slashes (Apache on Windows reads them; backslashes escape)."""
    return str(path).replace("\\", "/")


_BAD_IN_PATH = re.compile(r'["\x00-\x1f]|\$\{|%\{')


def checked_path(value: str | os.PathLike, what: str, platform: str) -> str:
    """``value`` as an absolute forward-slash path, or DeployError."""
    path = fwd(value)
    if _BAD_IN_PATH.search(path):
        raise DeployError(f"{what} {path!r} contains a quote, a control character, '${{' or '%{{'.")
    if platform == "windows":
        absolute = re.match(r"^[A-Za-z]:/", path) or path.startswith("//")
        path = path.rstrip("/") if len(path) > 3 else path
    else:
        absolute = path.startswith("/")
        path = path.rstrip("/") or "/"
    if not absolute:
        raise DeployError(f"{what} must be an absolute path, got {path!r}.")
    return path


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
HOST_RE = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
LISTEN_RE = re.compile(r"^(?:(?P<addr>\[[0-9A-Fa-f:.]+\]|[0-9.]+|[A-Za-z0-9.-]+):)?(?P<port>\d{1,5})$")
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def listen_port(value: str) -> int:
    """The port of a ``Listen`` argument such as ``8080`` or ``127.0.0.1:8080``."""
    match = LISTEN_RE.match(value)
    port = int(match.group("port")) if match else 0
    if not 1 <= port <= 65535:
        raise DeployError(f"--listen {value!r} is not PORT or ADDRESS:PORT (e.g. 127.0.0.1:8080).")
    return port


# -- mod_wsgi-express module-config ----------------------------------------------------
_DIRECTIVE_RE = re.compile(r'^\s*(LoadFile|LoadModule|WSGIPythonHome)\s+(.*?)\s*$')


def parse_module_config(text: str, platform: str) -> ModuleConfig:
    """Read the three directives ``mod_wsgi-express module-config`` prints."""
    config = ModuleConfig()
    for line in text.splitlines():
        match = _DIRECTIVE_RE.match(line)
        if not match:
            continue
        name, args = match.groups()
        if name == "LoadModule":
            module, _, path = args.partition(" ")
            if module != "wsgi_module":
                raise DeployError(f"unexpected module {module!r} in {MODULE_CONFIG_HELP}.")
            config.load_module = checked_path(path.strip().strip('"'), "LoadModule path", platform)
        elif name == "LoadFile":
            config.load_files.append(checked_path(args.strip('"'), "LoadFile path", platform))
        else:
            config.python_home = checked_path(args.strip('"'), "WSGIPythonHome", platform)
    if not config.load_module:
        raise DeployError(f"no 'LoadModule wsgi_module ...' line: this is not {MODULE_CONFIG_HELP}.")
    return config


def run_module_config(python_home: str) -> str:
    """Run ``mod_wsgi-express module-config`` from ``python_home``; return its output."""
    scripts = Path(python_home) / ("Scripts" if os.name == "nt" else "bin")
    express = shutil.which("mod_wsgi-express", path=str(scripts))
    if express is None:
        raise DeployError(
            f"mod_wsgi-express is not in {fwd(scripts)}: install mod_wsgi into that Python "
            f"(`{fwd(scripts)}/pip install mod_wsgi`), or pass --module-config FILE with "
            f"{MODULE_CONFIG_HELP} from the server.")
    done = subprocess.run([express, "module-config"], capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise DeployError(f"{express} module-config failed:\n{done.stderr.strip()}")
    return done.stdout


# -- the Apache installation on this Linux machine -------------------------------------
def _apxs(variable: str) -> str | None:
    apxs = shutil.which("apxs") or shutil.which("apxs2")
    if apxs is None:
        return None
    done = subprocess.run([apxs, "-q", variable], capture_output=True, text=True, timeout=30)
    return (done.stdout.strip() or None) if done.returncode == 0 else None


def _account_exists(name: str) -> bool:
    try:
        import pwd  # Unix only
        pwd.getpwnam(name)
    except (ImportError, KeyError):
        return False
    return True


def linux_layout() -> dict[str, str]:
    """Module, log and runtime folders and the Apache account: Debian's or RHEL's.

    ``apxs`` (from apache2-dev/httpd-devel, which mod_wsgi needs anyway) knows the
    folders; without it the distribution's defaults are used.
    """
    debian = os.path.isdir("/etc/apache2") or not os.path.isdir("/etc/httpd")
    if debian:
        defaults = {"modules": "/usr/lib/apache2/modules", "logs": "/var/log/apache2",
                    "runtime": "/var/run/apache2", "user": "www-data", "service": "apache2"}
    else:
        defaults = {"modules": "/usr/lib64/httpd/modules", "logs": "/var/log/httpd",
                    "runtime": "/run/httpd", "user": "apache", "service": "httpd"}
    layout = {
        "modules": _apxs("LIBEXECDIR") or defaults["modules"],
        "logs": _apxs("LOGFILEDIR") or defaults["logs"],
        "runtime": _apxs("RUNTIMEDIR") or defaults["runtime"],
        "user": next((u for u in ("www-data", "apache") if _account_exists(u)), defaults["user"]),
        "mime_types": "/etc/mime.types",
        "service": defaults["service"],
    }
    return {key: fwd(value) for key, value in layout.items()}


# Apache Lounge keeps modules, logs and mime.types under its ServerRoot.
WINDOWS_LAYOUT = {"modules": "modules", "logs": "logs", "runtime": "logs", "mime_types": "conf/mime.types"}


# -- the app's settings that Apache must agree with ----------------------------------
def app_settings(root: str, platform: str) -> dict:
    """MAX_CONTENT_LENGTH, ATTACHMENT_FOLDER, ATTACHMENT_INTERNAL_REDIRECT and BASE_URL
    of the app that conf.wsgi will build, read from its instance config when it is here."""
    if platform != current_platform():  # nothing to read here: bugzot.config's defaults
        from bugzot import config as defaults

        instance = f"{root}/instance"
        return {"MAX_CONTENT_LENGTH": defaults.MAX_CONTENT_LENGTH,
                "ATTACHMENT_FOLDER": fwd(instance) + "/attachments",
                "ATTACHMENT_INTERNAL_REDIRECT": None, "BASE_URL": defaults.BASE_URL,
                "_instance": instance, "_read": False}
    from bugzot import ConfigError, create_app

    # The same instance folder wsgi/conf.wsgi picks.
    instance = os.environ.get("BUGZOT_INSTANCE_PATH") or os.path.join(root, "instance")
    try:
        app = create_app(instance_path=instance)
    except ConfigError as exc:
        raise DeployError(f"the app at {fwd(root)} cannot start yet: {exc}") from None
    cfg = {key: app.config[key] for key in (
        "MAX_CONTENT_LENGTH", "ATTACHMENT_FOLDER", "ATTACHMENT_INTERNAL_REDIRECT", "BASE_URL")}
    return {**cfg, "_instance": fwd(instance), "_read": True}


def current_platform() -> str:
    return "windows" if os.name == "nt" else "linux"


# -- putting it together ----------------------------------------------------------------
def build_settings(
    *, platform: str, root: str, host: str, port: int | None, listen: tuple[str, ...],
    python_home: str | None, processes: int | None, threads: int | None, https: bool,
    cert: str | None, key: str | None, standalone: bool, server_root: str | None,
    user: str | None, group: str | None, module_config_text: str | None, output: str | None,
    log_rotation: str = "rotatelogs", log_dir: str | None = None, log_period: str | None = None,
    log_keep: int | None = None,
) -> Settings:
    """Check the options against each other and the machine; return the template values."""
    local = platform == current_platform()
    if server_root is not None and not standalone:
        raise DeployError("--server-root only applies with --standalone.")
    root = checked_path(os.path.abspath(root) if local else root, "--root", platform)
    if local and not os.path.isfile(os.path.join(root, "wsgi", "conf.wsgi")):
        raise DeployError(f"--root {root} is not a BugZot checkout (no wsgi/conf.wsgi there).")
    port = _site_port(host, port, listen, https)
    cert, key = _tls_files(https, cert, key, platform, local)
    processes, threads = _workers(platform, processes, threads, user, group)

    if module_config_text is None:
        if not local:
            raise DeployError(f"rendering for {platform} on {current_platform()} needs "
                              f"--module-config FILE with {MODULE_CONFIG_HELP} from the {platform} server.")
        module_config_text = run_module_config(python_home or sys.prefix)
    modules = parse_module_config(module_config_text, platform)
    python_home = python_home or modules.python_home or (sys.prefix if local else None)
    if python_home is None:
        raise DeployError(f"give --python-home: the virtualenv on the {platform} server "
                          "(the module config has no WSGIPythonHome line).")
    python_home = checked_path(python_home, "--python-home", platform)

    if platform == "windows":
        layout = _windows_python(root, python_home, modules)
        server_root = checked_path(
            server_root or os.environ.get("MOD_WSGI_APACHE_ROOTDIR") or "C:/Apache24",
            "--server-root", platform)
        layout.update(WINDOWS_LAYOUT)
    else:
        layout = linux_layout()
        if standalone:
            if server_root is None and output is None:
                raise DeployError("--standalone on Linux needs --server-root DIR (or --output FILE, "
                                  "whose folder is then used) for the pid file, logs and sockets.")
            server_root = checked_path(
                os.path.abspath(server_root or os.path.dirname(os.path.abspath(output))),
                "--server-root", platform)
            layout.update(logs=server_root, runtime=server_root)
        user, group = user or layout["user"], group or user or layout["user"]
        for option, name in (("--user", user), ("--group", group)):
            if not NAME_RE.match(name) or name == "root":
                raise DeployError(f"{option} {name!r}: give an unprivileged account name, never root.")

    try:
        logs = build_log_settings(
            method=log_rotation, folder=log_dir, period=log_period, keep=log_keep, platform=platform,
            local=local, standalone=standalone, root=root, server_root=server_root,
            apache_logs=layout["logs"],
            checked_path=checked_path)
    except LogError as exc:
        raise DeployError(str(exc)) from None

    app = app_settings(root, platform)
    prefix, notes = _downloads(app, platform)
    scheme = "https" if https else "http"
    if app["_read"] and not app["BASE_URL"].startswith(f"{scheme}://"):
        notes.append(f"BASE_URL is {app['BASE_URL']}; links in mails should use {scheme}://{host}.")
    return Settings(
        platform=platform, root=root, host=host, port=port, listen=list(listen),
        python_home=python_home, processes=processes, threads=threads, https=https,
        cert=cert, key=key, standalone=standalone, server_root=server_root,
        user=user, group=group, modules=modules, max_body=int(app["MAX_CONTENT_LENGTH"] or 0),
        attachments=checked_path(app["ATTACHMENT_FOLDER"], "ATTACHMENT_FOLDER", platform),
        attachment_prefix=prefix, layout=layout, logs=logs, notes=notes,
    )


def _site_port(host: str, port: int | None, listen: tuple[str, ...], https: bool) -> int:
    """The VirtualHost's port: given, else that of a single --listen, else 80/443."""
    if not HOST_RE.match(host):
        raise DeployError(f"--host {host!r} is not a host name such as bugs.example.com.")
    ports = {listen_port(value) for value in listen}
    if port is None:
        port = ports.pop() if len(ports) == 1 else (443 if https else 80)
    return port


def _tls_files(https: bool, cert: str | None, key: str | None, platform: str,
               local: bool) -> tuple[str | None, str | None]:
    if not https:
        if cert or key:
            raise DeployError("--cert/--key only apply with --https.")
        return None, None
    if not (cert and key):
        raise DeployError("--https needs --cert FILE and --key FILE (the certificate and its private key).")
    cert, key = checked_path(cert, "--cert", platform), checked_path(key, "--key", platform)
    for option, path in (("--cert", cert), ("--key", key)):
        if local and not os.path.isfile(path):
            raise DeployError(f"{option} {path}: no such file.")
    return cert, key


def _workers(platform: str, processes: int | None, threads: int | None, user: str | None,
             group: str | None) -> tuple[int, int]:
    """(processes, threads): 2 x 5 in Linux daemon mode, 1 x 64 (ThreadsPerChild) on Windows."""
    if platform == "linux":
        return processes or 2, threads or 5
    if processes is not None:
        raise DeployError("--processes is for Linux daemon mode; Windows runs one Apache "
                          "child process (use --threads for its ThreadsPerChild).")
    if user or group:
        raise DeployError("--user/--group are for Linux; on Windows the service account "
                          "runs Apache (see docs/DEPLOY-WINDOWS.md).")
    return 1, threads or 64


def _downloads(app: dict, platform: str) -> tuple[str | None, list[str]]:
    """The attachment URL prefix Apache serves (Linux only), and advice for the admin."""
    prefix, notes = app["ATTACHMENT_INTERNAL_REDIRECT"], []
    if platform == "windows":
        if prefix:
            raise DeployError("ATTACHMENT_INTERNAL_REDIRECT must stay None on Windows (embedded mode "
                              "has no internal redirects); remove it from the instance config.")
        return None, notes
    if not prefix:
        prefix = "/_att/"
        notes.append(f"Set ATTACHMENT_INTERNAL_REDIRECT = \"{prefix}\" in {app['_instance']}/config.py "
                     "so Apache, not Python, sends attachment downloads.")
    if not re.match(r"^/[A-Za-z0-9_-]+/$", prefix):
        raise DeployError(f"ATTACHMENT_INTERNAL_REDIRECT {prefix!r} must look like '/_att/'.")
    return prefix, notes


def _windows_python(root: str, venv: str, modules: ModuleConfig) -> dict[str, str]:
    """On Windows WSGIPythonHome is the base Python (the folder of the LoadFile'd DLL);
    conf.wsgi then adds ``<root>/.venv`` or ``<root>/venv`` itself."""
    dll = next((f for f in modules.load_files if re.search(r"/python3\d*\.dll$", f, re.I)), None)
    if dll is None:
        raise DeployError(f"no 'LoadFile .../python3XY.dll' line: this is not {MODULE_CONFIG_HELP} "
                          "from Windows.")
    if venv.lower() not in (f"{root}/.venv".lower(), f"{root}/venv".lower()):
        raise DeployError(f"on Windows the virtualenv must be {root}/.venv or {root}/venv "
                          f"(conf.wsgi looks there), not {venv}.")
    return {"base_python": dll.rsplit("/", 1)[0], "venv": venv}


def render(settings: Settings) -> str:
    """The configuration text for ``settings``."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                      autoescape=False)  # nosec B701 - Apache config text, not HTML
    env.filters["q"] = lambda value: f'"{value}"'
    template = env.get_template("bugzot.conf.j2")
    return template.render(s=settings, group=PROCESS_GROUP)
