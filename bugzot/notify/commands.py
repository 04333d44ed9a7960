"""The mail worker's commands: ``flask --app bugzot send-mail [--loop]`` and
``flask --app bugzot send-test-mail ADDRESS``."""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from bugzot.notify import worker
from bugzot.notify.transport import Mailer, PermanentError, TransientError, new_message


def _log_sends(quiet: bool) -> None:
    """One line per send, whatever LOG_LEVEL says (to the app's log handler: stderr,
    which journald or the task's log keeps)."""
    worker.log().setLevel(logging.WARNING if quiet else logging.INFO)


@click.command("send-mail")
@click.option("--loop", is_flag=True,
              help="Keep running and send new mail as it comes (a service); without it, "
                   "send what is due and exit (cron, a scheduled task).")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Send at most this many messages, then exit (not with --loop).")
@click.option("--quiet", is_flag=True, help="Log failures only, not every message sent.")
@with_appcontext
def send_mail(loop: bool, limit: int | None, quiet: bool) -> None:
    """Send the bug mail, account mail and webhook deliveries that are due."""
    _log_sends(quiet)
    if loop and limit:
        raise click.UsageError("--limit and --loop do not go together.")
    if not loop:
        tally = worker.run_once(limit)
        click.echo(f"Mail: {tally}.")
        return
    stop = threading.Event()

    def stop_soon(signum, frame) -> None:
        worker.log().info("mail worker: stopping after the current message")
        stop.set()

    for name in ("SIGTERM", "SIGINT", "SIGBREAK"):  # SIGBREAK: Ctrl+Break, Windows services
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop_soon)
    worker.log().info("mail worker: started, sending through %s",
                      Mailer(current_app.config).describe())
    worker.run_forever(stop)
    worker.log().info("mail worker: stopped")


@click.command("send-test-mail")
@click.argument("address")
@with_appcontext
def send_test_mail(address: str) -> None:
    """Send one message to ADDRESS now, past the queue, to check the SMTP settings."""
    cfg = current_app.config
    msg = new_message(cfg, address, "BugZot test message",
                      f"This is a test message from BugZot at {cfg['BASE_URL']}.\n"
                      "If you can read it, its mail settings work.\n")
    with Mailer(cfg) as mailer:
        try:
            mailer.send(msg)
        except (TransientError, PermanentError) as exc:
            raise click.ClickException(f"Could not send the test message: {exc.args[0]}") from exc
    click.echo(f"Sent a test message to {address} through {mailer.describe()}.")
