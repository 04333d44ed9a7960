"""``flask apache-config``, ``flask create-db-roles`` and ``flask upgrade``: the deployment commands."""

from __future__ import annotations

import os
import sys

import click
from flask.cli import with_appcontext

from bugzot.deploy import apache, apache_auth, logs, upgrade
from bugzot.deploy.database import RolesError, create_roles


def _write(text: str, output: str | None) -> None:
    """Write ``text`` to ``output`` or stdout."""
    if output is None:
        click.echo(text, nl=False)
        return
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise click.ClickException(f"the folder of --output ({folder}) does not exist.")
    with open(output, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    click.echo(f"Wrote {output}.", err=True)


def _auth_options(command):
    """The --auth options (sign-in through Apache; deploy/apache_auth.py)."""
    options = [
        click.option("--auth", "mode", type=click.Choice(["gssapi", "ldap", "sspi"]), default=None,
                     help="Sign users in with Apache: Kerberos (gssapi) or the directory (ldap) "
                          "on Linux, Windows integrated sign-in (sspi) on Windows.  [default: "
                          "none, BugZot's login form]"),
        click.option("--auth-scope", "scope", type=click.Choice(apache_auth.SCOPES), default="site",
                     show_default=True,
                     help="site: every page but /rest, /_health and /static; login: only "
                          "/login/sso (the 'Sign in with your company account' button)."),
        click.option("--keytab", default=None, metavar="FILE",
                     help="Keytab with the HTTP/<host> key (--auth gssapi)."),
        click.option("--ldap-url", default=None, metavar="URL",
                     help="AuthLDAPURL, e.g. ldaps://ldap.example.com/ou=People,dc=example,dc=com?uid "
                          "(--auth ldap; ldap:// URLs use STARTTLS)."),
        click.option("--ldap-bind-dn", default=None, metavar="DN",
                     help="Service account that searches users (--auth ldap)."),
        click.option("--ldap-bind-password-file", default=None, metavar="FILE",
                     help="File holding that account's password, read when Apache starts."),
        click.option("--ldap-ca-file", default=None, metavar="FILE",
                     help="CA certificate (PEM) of the directory servers (--auth ldap)."),
        click.option("--ldap-group", "ldap_groups", multiple=True, metavar="DN",
                     help="Only members of this group may sign in (repeatable; --auth ldap)."),
        click.option("--sspi-domain", default=None, metavar="NAME",
                     help="Windows domain that SSPI checks passwords against (--auth sspi)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command("apache-config")
@click.option("--root", default=str(apache.CHECKOUT), show_default="this checkout",
              help="BugZot's project root on the server (the folder holding wsgi/conf.wsgi).")
@click.option("--host", default="localhost", show_default=True,
              help="The site's host name (ServerName), e.g. bugs.example.com.")
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="Port of the VirtualHost.  "
                   "[default: 80, or 443 with --https, or the port of a single --listen]")
@click.option("--listen", multiple=True, metavar="ADDR",
              help="Add a 'Listen ADDR' line, e.g. 127.0.0.1:8080 (repeatable).")
@click.option("--python-home", default=None,
              help="The virtualenv that has BugZot's packages and mod_wsgi.  [default: the "
                   "WSGIPythonHome of --module-config, else the running sys.prefix]")
@click.option("--platform", "platform_", type=click.Choice(["linux", "windows"]),
              default=apache.current_platform(), show_default="this machine's")
@click.option("--processes", type=click.IntRange(1, 64), default=None,
              help="Daemon processes (Linux only).  [default: 2]")
@click.option("--threads", type=click.IntRange(1, 512), default=None,
              help="Threads per daemon process on Linux, ThreadsPerChild on Windows.  [default: 5 / 64]")
@click.option("--https/--no-https", default=False, show_default=True,
              help="Serve HTTPS, with a port-80 site that redirects to it.")
@click.option("--cert", default=None, metavar="FILE", help="TLS certificate (PEM) for --https.")
@click.option("--key", default=None, metavar="FILE", help="Private key of --cert.")
@click.option("--standalone", is_flag=True,
              help="A complete httpd.conf (ServerRoot, modules, User/Group, logs) for 'apache2 -f' "
                   "or 'httpd.exe -f', instead of a VirtualHost file to Include.")
@click.option("--server-root", default=None, metavar="DIR",
              help="ServerRoot of a --standalone config.  [default: Linux: the --output folder "
                   "(pid file, logs, sockets go there); "
                   "Windows: %MOD_WSGI_APACHE_ROOTDIR% or C:/Apache24]")
@click.option("--user", default=None,
              help="Account of the daemon processes (Linux).  [default: www-data or apache]")
@click.option("--group", default=None, help="Group of the daemon processes (Linux).  [default: --user]")
@click.option("--module-config", "module_config", type=click.File("r", encoding="utf-8"), default=None,
              metavar="FILE",
              help="Output of 'mod_wsgi-express module-config' saved on the server.  "
                   "[default: run it from --python-home]")
@click.option("--log-rotation", type=click.Choice(logs.METHODS), default="rotatelogs", show_default=True,
              help="rotatelogs: piped logs, a new file each --log-period; logrotate (Linux): plain "
                   "files and a logrotate snippet (--logrotate-output); none: plain files.")
@click.option("--log-period", default=None, metavar="PERIOD",
              help="hourly, daily, weekly or a number of seconds.  [default: daily]")
@click.option("--log-keep", type=click.IntRange(1, 3650), default=None, metavar="N",
              help="Files kept per log (rotatelogs: the current one included).  [default: 30]")
@click.option("--log-dir", default=None, metavar="DIR",
              help="Folder of BugZot's logs.  [default: Linux: <Apache's log folder>/bugzot, or "
                   "Apache's log folder itself with --log-rotation none, or --server-root with "
                   "--standalone; Windows: logs under ServerRoot]")
@click.option("--logrotate-output", default=None, metavar="FILE",
              help="With --log-rotation logrotate: write the logrotate snippet here, "
                   "e.g. /etc/logrotate.d/bugzot.")
@click.option("--output", "-o", default=None, metavar="FILE", help="Write here instead of stdout.")
@click.option("--force", is_flag=True, help="Overwrite an existing --output (or --logrotate-output) file.")
@_auth_options
def apache_config(root, host, port, listen, python_home, platform_, processes, threads, https, cert,
                  key, standalone, server_root, user, group, module_config, log_rotation, log_period,
                  log_keep, log_dir, logrotate_output, output, force, **auth) -> None:
    """Print BugZot's Apache httpd + mod_wsgi configuration.

    Linux: daemon mode, a VirtualHost file for sites-available/conf.d (or a whole
    server with --standalone). Windows: embedded mode for Apache Lounge's httpd.exe.
    See docs/DEPLOY-LINUX.md and docs/DEPLOY-WINDOWS.md.
    """
    for path in (output, logrotate_output):
        if path and os.path.exists(path) and not force:
            raise click.ClickException(f"{path} exists; add --force to overwrite it.")
    if (log_rotation == "logrotate") != bool(logrotate_output):
        raise click.UsageError("--log-rotation logrotate and --logrotate-output FILE go together "
                               "(the snippet goes to e.g. /etc/logrotate.d/bugzot).")
    try:
        settings = apache.build_settings(
            platform=platform_, root=root, host=host, port=port, listen=listen,
            python_home=python_home, processes=processes, threads=threads, https=https, cert=cert,
            key=key, standalone=standalone, server_root=server_root, user=user, group=group,
            module_config_text=module_config.read() if module_config else None, output=output,
            log_rotation=log_rotation, log_dir=log_dir, log_period=log_period, log_keep=log_keep)
        settings.auth = apache_auth.build_auth(
            platform=platform_, https=https, local=platform_ == apache.current_platform(), **auth)
    except apache.DeployError as exc:
        raise click.UsageError(str(exc)) from None
    settings.notes += settings.auth.notes if settings.auth else []
    _write(apache.render(settings), output)
    if logrotate_output:
        _write(logs.render_logrotate(settings.logs, standalone=settings.standalone,
                                    runtime=settings.layout["runtime"], service=settings.layout["service"]),
               logrotate_output)
    if settings.logs.method == "rotatelogs" and settings.platform == "windows":
        click.echo("Note: rotatelogs.exe keeps every file; register the clean-up task once "
                   "(docs/DEPLOY-WINDOWS.md, \"Log rotation\"):\n  "
                   + logs.windows_cleanup_command(settings.logs, settings.server_root), err=True)
    if settings.logs.method == "logrotate" and not os.path.isdir(settings.logs.folder):
        click.echo(f"Note: Apache does not create {settings.logs.folder}; create it first "
                   f"(install -d -m 0750 {settings.logs.folder}).", err=True)
    for note in settings.notes:
        click.echo(f"Note: {note}", err=True)


@click.command("create-db-roles")
@click.option("--admin-url", required=True, envvar="BUGZOT_PG_ADMIN_URL", show_envvar=True,
              help="A PostgreSQL superuser (or CREATEROLE+CREATEDB) URL, e.g. "
                   "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
@click.option("--database", default="bugzot", show_default=True, help="Database to create or reuse.")
@click.option("--owner", default="bugzot_owner", show_default=True,
              help="Role that owns the schema and runs migrations.")
@click.option("--app-role", default="bugzot_app", show_default=True,
              help="Role the web app connects as: only SELECT/INSERT/UPDATE/DELETE.")
@click.option("--owner-password", prompt=True, hide_input=True, confirmation_prompt=True,
              envvar="BUGZOT_PG_OWNER_PASSWORD", show_envvar=True)
@click.option("--app-password", prompt=True, hide_input=True, confirmation_prompt=True,
              envvar="BUGZOT_PG_APP_PASSWORD", show_envvar=True)
def create_db_roles(admin_url, database, owner, app_role, owner_password, app_password) -> None:
    """Create (or update) BugZot's PostgreSQL database, owner role and app role.

    Safe to re-run: existing roles get the new passwords, and grants are re-applied
    (run it again after migrations if tables were created by another role).
    """
    try:
        urls = create_roles(admin_url, database, owner, app_role, owner_password, app_password)
    except RolesError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Database {database}: owner {owner}, app role {app_role}.")
    click.echo("Migrations run as the owner (keep its password in ~/.pgpass, not in the URL):")
    click.echo(f"  BUGZOT_DATABASE_URL={urls['owner']} flask --app bugzot init-db")
    click.echo("instance/config.py (see instance/config.example.py):")
    click.echo(f"  SQLALCHEMY_DATABASE_URI = \"{urls['app']}\"")
    if sys.platform != "win32":
        click.echo("  (chmod 0640 instance/config.py; group = the Apache account)")


@click.command("upgrade")
@click.option("--dry-run", is_flag=True, help="Show what would be migrated and what runs; change nothing.")
@click.option("--reload/--no-reload", default=True, show_default=True,
              help="Linux: touch wsgi/conf.wsgi afterwards, so the mod_wsgi daemons restart with the "
                   "new code on their next request.")
@click.option("--service", default="BugZot", show_default=True,
              help="Windows: the Apache service's name (httpd.exe -k install -n NAME), for the advice.")
@click.option("--apache-root", default=lambda: os.environ.get("MOD_WSGI_APACHE_ROOTDIR", "C:/Apache24"),
              show_default="%MOD_WSGI_APACHE_ROOTDIR% or C:/Apache24",
              help="Windows: Apache's folder, for the advice.")
@with_appcontext
def upgrade_command(dry_run: bool, reload: bool, service: str, apache_root: str) -> None:
    """Migrate the database to this code's schema, report the revisions, then reload (Linux).

    Linux: run it from the new release, checked out beside the served one, with
    --no-reload; then put the new release in place and touch wsgi/conf.wsgi. Windows:
    stop the service first; it refuses while any process (the Apache service, a
    scheduled task) has BugZot loaded, and names them.
    See docs/DEPLOY-LINUX.md and docs/DEPLOY-WINDOWS.md, "Upgrades".
    """
    from flask import current_app

    from bugzot.services.roles import ensure_default_roles

    app, windows = current_app._get_current_object(), os.name == "nt"
    try:
        current, head, steps = upgrade.plan(app)
        running = upgrade.bugzot_processes(str(apache.CHECKOUT), upgrade.venv_of_this_python())
        upgrade.check_can_run("windows" if windows else "linux", running, apache_root, service)
        click.echo(f"Database: {current or 'empty'}; this code: {head}.")
        if running:
            click.echo(f"{len(running)} process(es) serve the old code until the reload: "
                       + ", ".join(f"{p.pid} ({p.name})" for p in running))
        if dry_run:
            for step in steps:
                click.echo(f"  would apply {step.id}  {step.title}")
            click.echo("Dry run: nothing changed." if steps else "Nothing to migrate.")
            return
        upgrade.apply(app, steps, click.echo)
        ensure_default_roles()
    except upgrade.UpgradeError as exc:
        raise click.ClickException(str(exc)) from None
    after = upgrade.database_revision(app)
    click.echo(f"Upgraded {current or 'empty'} -> {after} ({len(steps)} migration(s))." if steps
               else f"Already up to date ({after}).")
    script = apache.CHECKOUT / "wsgi" / "conf.wsgi"
    if windows:
        click.echo(f"Start the service: {apache_root}/bin/httpd.exe -k start -n {service}")
    elif reload and script.exists():
        upgrade.touch(script)
        click.echo(f"Touched {script}: the daemon processes restart with the new code on their next "
                   "request.")
