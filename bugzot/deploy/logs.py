"""Where BugZot's Apache logs go and how they rotate (``apache-config --log-rotation``).

Three ways, one ``LogSettings`` each; the templates ask it for every ``ErrorLog`` and
``CustomLog`` target:

- ``rotatelogs`` (the default, both platforms): piped logs. Apache's ``rotatelogs``
  starts a new file each period, named ``<name>.<stamp>.log`` (local time), so an
  Apache restart appends to the current period's file instead of starting over (its
  ``-n`` cycle would). On Linux ``-L`` keeps ``<name>.log`` as a hard link to the
  current file (``tail -F`` it), and ``-p apache/prune-logs`` gzips the file just
  closed and deletes all but the newest ``keep`` files; the count reaches it through
  the environment (``/usr/bin/env BUGZOT_LOG_KEEP=N``), since rotatelogs passes a
  post-rotate program nothing but file names. Windows has neither a link that is
  safe while an editor holds the file open nor a way to hand the program a value,
  so there a scheduled task deletes old files (docs/DEPLOY-WINDOWS.md).
- ``logrotate`` (Linux): plain ``<name>.log`` files and a logrotate snippet
  (``render_logrotate``) that rotates them and makes Apache reopen them.
- ``none``: plain files. In Apache's own log folder the distribution's logrotate
  rotates them (Debian: ``/var/log/apache2/*.log``, RHEL: ``/var/log/httpd/*log``).

For a Linux site file, the first two write into ``<Apache's log folder>/bugzot``: a
folder the distribution's logrotate does not also rotate.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass

PERIODS = {"hourly": 3600, "daily": 86400, "weekly": 7 * 86400}
LOGROTATE_PERIODS = ("hourly", "daily", "weekly")
METHODS = ("rotatelogs", "logrotate", "none")
ROTATELOGS_LINUX = ("/usr/bin/rotatelogs", "/usr/sbin/rotatelogs")  # Debian, RHEL
PRUNE_HELPER = "apache/prune-logs"


class LogError(ValueError):
    """A log option the generator cannot turn into working log directives."""


@dataclass
class LogSettings:
    """How and where every log of the rendered config is written."""

    method: str
    folder: str
    period: str | None  # as given: "daily", "hourly", "weekly" or seconds
    seconds: int
    keep: int
    platform: str
    rotatelogs: str | None = None
    prune: str | None = None  # the -p program (Linux)

    def stamp(self) -> str:
        """The strftime part of a file name: as fine as the period needs."""
        for unit, fmt in ((86400, "%Y-%m-%d"), (3600, "%Y-%m-%d-%H"), (60, "%Y-%m-%d-%H%M")):
            if self.seconds % unit == 0:
                return fmt
        return "%Y-%m-%d-%H%M%S"

    def every(self) -> str:
        """"day", "hour", "week" or "N seconds": how often a new file starts."""
        names = {seconds: name[:-2] if name != "daily" else "day" for name, seconds in PERIODS.items()}
        return names.get(self.seconds) or f"{self.seconds} seconds"

    def keep_days(self) -> int:
        """``keep`` periods in whole days (what a clean-up by file age needs)."""
        return max(1, -(-self.keep * self.seconds // 86400))

    def file(self, name: str) -> str:
        """The plain file a log ``name`` is (or, with rotatelogs, links to)."""
        return f"{self.folder}/{name}.log"

    def target(self, name: str) -> str:
        """The quoted argument of ``ErrorLog``/``CustomLog`` for the log ``name``."""
        if self.method != "rotatelogs":
            return f'"{self.file(name)}"'
        args = ["-l", "-f", "-D"]  # local time; open (and create the folder) at start
        if self.platform == "linux":
            args += ["-L", _quoted(self.file(name)), "-p", _quoted(self.prune)]
        args += [_quoted(f"{self.folder}/{name}.{self.stamp()}.log"), str(self.seconds)]
        command = [_quoted(self.rotatelogs), *args]
        if self.platform == "linux":
            command = ["/usr/bin/env", f"BUGZOT_LOG_KEEP={self.keep}", *command]
        return '"|' + " ".join(command) + '"'


def _quoted(path: str) -> str:
    # Apache splits a piped log's command line itself (apr_tokenize_to_argv): single
    # quotes keep a path with spaces in one piece.
    return f"'{path}'"


def parse_period(value: str | None) -> tuple[str | None, int]:
    """("daily", 86400) from ``--log-period``: hourly, daily, weekly or a number of seconds."""
    if value is None:
        return None, PERIODS["daily"]
    if value in PERIODS:
        return value, PERIODS[value]
    if re.fullmatch(r"[1-9][0-9]{0,7}", value):
        return value, int(value)
    raise LogError(f"--log-period {value!r}: give hourly, daily, weekly or a number of seconds.")


def build_log_settings(*, method: str, folder: str | None, period: str | None, keep: int | None,
                       platform: str, local: bool, standalone: bool, root: str,
                       server_root: str | None, apache_logs: str, checked_path) -> LogSettings:
    """Check the ``--log-*`` options; ``apache_logs`` is the platform's log folder."""
    if method not in METHODS:
        raise LogError(f"--log-rotation {method!r}: choose one of {', '.join(METHODS)}.")
    if platform == "windows" and method == "logrotate":
        raise LogError("--log-rotation logrotate is for Linux; on Windows use rotatelogs.")
    if method == "none" and (period is not None or keep is not None):
        raise LogError("--log-period/--log-keep need --log-rotation rotatelogs or logrotate.")
    given_period, seconds = parse_period(period)
    if method == "logrotate" and given_period not in (None, *LOGROTATE_PERIODS):
        raise LogError("with --log-rotation logrotate, --log-period is hourly, daily or weekly.")
    own_folder = platform == "linux" and not standalone and method != "none"
    default = f"{apache_logs}/bugzot" if own_folder else apache_logs
    chosen = folder or default
    if folder is not None or platform == "linux" or re.match(r"^[A-Za-z]:/|^//", chosen):
        chosen = checked_path(chosen, "--log-dir", platform)
    if method == "rotatelogs" and "'" in chosen:
        raise LogError(f"--log-dir {chosen!r}: a piped log's path cannot contain a single quote.")
    if method == "logrotate" and chosen.rstrip("/") in ("/var/log/apache2", "/var/log/httpd"):
        raise LogError(f"--log-dir {chosen}: the distribution's logrotate already rotates that folder "
                       "(use --log-rotation none there, or a folder of BugZot's own).")
    settings = LogSettings(method=method, folder=chosen, period=given_period, seconds=seconds,
                           keep=keep or 30, platform=platform)
    if method == "rotatelogs":
        settings.rotatelogs = _rotatelogs(platform, local, server_root)
        if platform == "linux":
            settings.prune = f"{root}/{PRUNE_HELPER}"
            if "'" in root:
                raise LogError("--root: a piped log's path cannot contain a single quote.")
    return settings


def _rotatelogs(platform: str, local: bool, server_root: str | None) -> str:
    """rotatelogs(.exe): Apache Lounge's (in its bin/), Debian's or RHEL's."""
    if platform == "windows":
        return f"{server_root}/bin/rotatelogs.exe"
    found = next((p for p in ROTATELOGS_LINUX if os.access(p, os.X_OK)), None) if local else None
    found = found or (shutil.which("rotatelogs") if local else None)
    if local and found is None:
        raise LogError("rotatelogs is not installed (Debian: apt-get install apache2-utils; RHEL: "
                       "dnf install httpd-tools), or choose --log-rotation logrotate.")
    if found is None:  # rendering for another Linux machine
        return ROTATELOGS_LINUX[0 if os.path.isdir("/etc/apache2") else 1]
    return found


def windows_cleanup_command(logs: LogSettings, server_root: str) -> str:
    """The PowerShell line that registers the daily clean-up of old log files (Windows)."""
    folder = logs.folder if re.match(r"^[A-Za-z]:/|^//", logs.folder) else f"{server_root}/{logs.folder}"
    folder = folder.replace("/", "\\")
    return (f"Register-ScheduledTask -TaskName 'BugZot log clean-up' -User SYSTEM "
            f"-Trigger (New-ScheduledTaskTrigger -Daily -At 3am) -Action (New-ScheduledTaskAction "
            f"-Execute forfiles.exe -Argument '/p \"{folder}\" /m bugzot-*.log /d -{logs.keep_days()} "
            f"/c \"cmd /c del @path\"')")


def log_names(standalone: bool) -> list[str]:
    """The logs a config writes: the site's, plus the server's own with --standalone."""
    names = ["bugzot-error", "bugzot-access"]
    return names + ["bugzot-httpd-error", "bugzot-httpd-access"] if standalone else names


def render_logrotate(logs: LogSettings, *, standalone: bool, runtime: str, service: str) -> str:
    """A logrotate snippet for the plain files; Apache reopens them after each rotation.

    A standalone server (its own pid file in ``runtime``) gets a graceful restart by
    signal; the system's Apache is reloaded through systemd. ``delaycompress``: Apache
    keeps writing to the renamed file until it has reopened its logs.
    """
    pid_file = f"{runtime}/bugzot-httpd.pid" if standalone else None
    files = [logs.file(name) for name in log_names(standalone)]
    period = logs.period or "daily"
    if pid_file:
        reopen = f'[ -s "{pid_file}" ] && kill -USR1 "$(cat "{pid_file}")" || true'
    else:
        reopen = f"systemctl reload {service}.service >/dev/null 2>&1 || true"
    paths = " ".join(f'"{path}"' for path in files)
    return (
        "# BugZot's Apache logs, rotated by logrotate. Generated by\n"
        "# `flask --app bugzot apache-config --log-rotation logrotate`: re-generate rather than edit.\n"
        f"{paths} {{\n"
        f"    {period}\n"
        f"    rotate {logs.keep}\n"
        "    missingok\n"
        "    notifempty\n"
        "    compress\n"
        "    delaycompress\n"
        "    sharedscripts\n"
        "    postrotate\n"
        f"        {reopen}\n"
        "    endscript\n"
        "}\n"
    )
