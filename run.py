"""Development server: ``python run.py [--init] [--mail-worker] [--host H] [--port N]``.

On first run it writes ``instance/config.py`` with a random SECRET_KEY and
ENV = "development". ``--init`` also applies migrations and loads the demo data;
``--mail-worker`` sends queued mail from this process too (to instance/outbox/).
Links in mail name the address this server actually listens on unless BASE_URL is
set to a public (non-loopback) address. Production runs under Apache + mod_wsgi
(wsgi/conf.wsgi), never this.
"""

from __future__ import annotations

import argparse
import os
import secrets
import threading
from urllib.parse import urlsplit

ROOT = os.path.dirname(os.path.abspath(__file__))
INSTANCE = os.path.join(ROOT, "instance")


LOOPBACK = ("127.0.0.1", "localhost", "::1", "0.0.0.0")


def ensure_instance_config() -> None:
    """Write a development instance/config.py with a fresh secret if there is none."""
    path = os.path.join(INSTANCE, "config.py")
    if os.path.exists(path):
        return
    os.makedirs(INSTANCE, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(
            "# Written by run.py for development; see instance/config.example.py.\n"
            'ENV = "development"\n'
            f"SECRET_KEY = {secrets.token_hex(32)!r}\n"
            "# Links in mail follow the address run.py serves; a public one goes here:\n"
            '# BASE_URL = "https://bugs.example.com"\n'
        )
    print(f"Wrote {path} (development settings, new SECRET_KEY).")


def served_base_url(configured: str, host: str, port: int) -> str:
    """BASE_URL for this development server: the configured one if it is a public
    address, else the address actually served (a loopback BASE_URL, like the default
    or one an older run.py wrote, would send links to a port nobody listens on)."""
    if (urlsplit(configured).hostname or "127.0.0.1") not in LOOPBACK:
        return configured
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}"


def start_mail_worker(app) -> threading.Event:
    """Send queued mail from a thread of this process (``flask send-mail --loop``'s
    loop), so that it uses this server's BASE_URL; set the event to stop it."""
    from bugzot.notify import worker

    stop = threading.Event()

    def run() -> None:
        with app.app_context():
            worker.run_forever(stop)

    threading.Thread(target=run, name="bugzot-mail-worker", daemon=True).start()
    return stop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--init", action="store_true", help="migrate and load demo data first")
    parser.add_argument("--mail-worker", action="store_true",
                        help="also send queued mail from this process")
    args = parser.parse_args()
    if not 0 < args.port < 65536:
        parser.error("--port must be between 1 and 65535")
    ensure_instance_config()

    from bugzot import create_app

    app = create_app(instance_path=INSTANCE)
    app.config["BASE_URL"] = base_url = served_base_url(app.config["BASE_URL"], args.host,
                                                       args.port)
    if args.init and not os.environ.get("WERKZEUG_RUN_MAIN"):  # not again in the reloader
        runner = app.test_cli_runner()
        for command in (["init-db"], ["seed-demo"]):
            result = runner.invoke(args=command)
            print(result.output, end="")
            if result.exit_code != 0:
                raise SystemExit(result.exit_code)
    debug = app.config["ENV"] == "development"
    if not os.environ.get("WERKZEUG_RUN_MAIN"):
        print(f"BugZot runs at {base_url}/  (mail goes to {app.config['MAIL_OUTBOX']})")
    if args.mail_worker and (not debug or os.environ.get("WERKZEUG_RUN_MAIN")):
        start_mail_worker(app)  # in the process that serves (the reloader's child)
    app.run(host=args.host, port=args.port, debug=debug)


if __name__ == "__main__":
    main()
