"""Development server: ``python run.py [--init] [--host H] [--port N]``.

On first run it writes ``instance/config.py`` with a random SECRET_KEY and
ENV = "development". ``--init`` also applies migrations and loads the demo data.
Production runs under Apache + mod_wsgi (wsgi/conf.wsgi), never this.
"""

from __future__ import annotations

import argparse
import os
import secrets

ROOT = os.path.dirname(os.path.abspath(__file__))
INSTANCE = os.path.join(ROOT, "instance")


def ensure_instance_config(base_url: str) -> None:
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
            f"BASE_URL = {base_url!r}\n"
        )
    print(f"Wrote {path} (development settings, new SECRET_KEY).")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--init", action="store_true", help="migrate and load demo data first")
    args = parser.parse_args()
    base_url = f"http://{args.host}:{args.port}"
    ensure_instance_config(base_url)

    from bugzot import create_app

    app = create_app(instance_path=INSTANCE)
    if args.init and not os.environ.get("WERKZEUG_RUN_MAIN"):  # not again in the reloader
        runner = app.test_cli_runner()
        for command in (["init-db"], ["seed-demo"]):
            result = runner.invoke(args=command)
            print(result.output, end="")
            if result.exit_code != 0:
                raise SystemExit(result.exit_code)
    if not os.environ.get("WERKZEUG_RUN_MAIN"):
        print(f"BugZot runs at {base_url}/  (mail goes to {app.config['MAIL_OUTBOX']})")
    app.run(host=args.host, port=args.port, debug=app.config["ENV"] == "development")


if __name__ == "__main__":
    main()
