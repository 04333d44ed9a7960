"""How the main pages look to a phone: for each page at 390 px (and 1366 px), the page's
width (``document.documentElement.scrollWidth``), its horizontal overflow and the number
of axe-core violations, as a Markdown table. Screenshots go to
test-artifacts/screenshots/ (the same names as the browser tests').

    .venv/bin/python benchmarks/pages_at_390.py [--widths 390,1366]

Builds a throwaway SQLite database with the demo data (``flask seed-demo``), serves it
with Werkzeug on a free 127.0.0.1 port and visits the pages as the demo Admin, then
logged out. Needs Debian's chromium and ``npm ci`` (axe-core), as the browser tests do.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

PAGES = [  # (name, path, logged in)
    ("home", "/", True), ("bug-list", "/bugs", True), ("search-words", "/bugs?q=crash", True),
    ("report", "/reports", True), ("bug", "/bugs/1", True), ("new-bug", "/bugs/new", True),
    ("prefs", "/prefs", True), ("prefs-notifications", "/prefs/notifications", True),
    ("admin", "/admin/", True), ("admin-users", "/admin/users", True),
    ("admin-products", "/admin/products", True), ("admin-roles", "/admin/roles", True),
    ("login", "/login", False), ("register", "/register", False),
]
PASSWORD = "welcome-to-the-demo"


def serve(folder: Path) -> str:
    from werkzeug.serving import make_server

    from bugzot import create_app
    from bugzot.seed.demo import seed_demo

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'pages.sqlite'}",
                      "SECRET_KEY": "pages-at-390", "MAIL_BACKEND": "file",
                      "MAIL_OUTBOX": str(folder / "mail"), "RATELIMIT_ENABLED": False},
                     instance_path=str(folder / "instance"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        seed_demo(PASSWORD)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", default="390,1366")
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    from browser_support import HEIGHTS, WIDTHS, Tab
    from conftest import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        base = serve(Path(tmp))
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        print("| page | " + " | ".join(f"{w} px: width / overflow / axe" for w in widths) + " |")
        print("|---|" + "---|" * len(widths))
        rows = {name: [] for name, _, _ in PAGES}
        for width in widths:
            device = next((d for d, w in WIDTHS.items() if w == width), None)
            if device is None:
                WIDTHS[f"w{width}"], HEIGHTS[f"w{width}"] = width, 900
                device = f"w{width}"
            tab = Tab(browser, device)
            logged_in = False
            for name, path, wants_login in PAGES:
                if wants_login and not logged_in:
                    tab.goto(f"{base}/login")
                    tab.page.fill("input[name=login]", "admin")
                    tab.page.fill("input[name=password]", PASSWORD)
                    tab.page.locator("main form button[type=submit]").last.click()
                    tab.page.wait_for_load_state("load")
                    logged_in = True
                if not wants_login and logged_in:
                    tab.context.clear_cookies()
                    logged_in = False
                tab.goto(base + path)
                tab.page.wait_for_load_state("load")
                tab.screenshot(name)
                wide = tab.page.evaluate("document.documentElement.scrollWidth")
                rows[name].append(f"{wide} / {tab.overflow()} / {len(tab.axe_violations())}")
            tab.close()
        for name, cells in rows.items():
            print(f"| {name} | " + " | ".join(cells) + " |")
        browser.close()


if __name__ == "__main__":
    main()
