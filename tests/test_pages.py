"""Start page, product pages, anonymous browsing, error pages and response headers."""

import pytest


def test_anonymous_visitors_must_log_in_by_default(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_anonymous_browsing_when_allowed(app, client, make_product):
    app.config["ALLOW_ANONYMOUS_BROWSE"] = True
    make_product("Gizmo", classification="Hardware")
    page = client.get("/").get_data(as_text=True)
    assert "Hardware" in page and "Gizmo" in page
    assert client.get("/products/Gizmo").status_code == 200
    assert client.get("/prefs").status_code == 302  # still needs a login


def test_home_lists_classifications_and_active_products(client, login_as, make_product):
    login_as()
    make_product("Alpha", classification="Cat A")
    make_product("Hidden", classification="Cat A", is_active=False)
    page = client.get("/").get_data(as_text=True)
    assert "Cat A" in page and "Alpha" in page
    assert "Hidden" not in page


def test_product_page_shows_components_versions_milestones(client, login_as, make_product):
    login_as()
    make_product("Alpha", components=("Engine", "Docs"), versions=("1.0", "2.0"), milestones=("M1",))
    page = client.get("/products/Alpha").get_data(as_text=True)
    for text in ("Engine", "Docs", "1.0", "2.0", "M1"):
        assert text in page


def test_unknown_product_is_a_friendly_404(client, login_as):
    login_as()
    response = client.get("/products/Nope")
    assert response.status_code == 404
    assert "There is no product called &#39;Nope&#39;." in response.get_data(as_text=True)


def test_404_answers_json_to_json_clients(client, login_as):
    login_as()
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json() == {"error": True, "code": 404, "message": "There is nothing here."}


def test_403_page_is_friendly(client, login_as):
    login_as("Reporter")
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "You are not allowed to see this page." in response.get_data(as_text=True)


def test_unexpected_error_is_a_friendly_500_and_logged(live_app, client, login_as, caplog):
    app = live_app  # a fresh app: routes cannot be added to one that served requests

    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    login_as()
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Something went wrong on our side." in response.get_data(as_text=True)
    assert "kaboom" not in response.get_data(as_text=True)
    assert any("unhandled error on GET /boom" in r.getMessage() for r in caplog.records)


def test_pages_are_private_no_cache_with_security_headers(client, login_as):
    login_as()
    response = client.get("/")
    assert response.headers["Cache-Control"] == "private, no-store"  # logged in: may be private
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_static_assets_are_fingerprinted_and_long_lived(client, login_as):
    login_as()
    page = client.get("/").get_data(as_text=True)
    href = page.split('rel="stylesheet" href="', 1)[1].split('"', 1)[0]
    assert href.startswith("/static/css/bugzot.css?v=")
    response = client.get(href)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "private" not in response.headers["Cache-Control"]


def test_no_inline_script_or_css_import_in_templates(app):
    import pathlib
    import re

    root = pathlib.Path(app.root_path)
    for path in list((root / "templates").rglob("*.html")):
        text = path.read_text()
        # External scripts and JSON data blocks only: nothing a strict CSP would block.
        inline = re.search(r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>", text)
        assert not inline, f"inline script in {path}"
        assert " on" + "click=" not in text.lower(), f"inline handler in {path}"
    for path in (root / "static").rglob("*.css"):
        assert "@import" not in path.read_text(), f"@import in {path}"


@pytest.mark.parametrize("level,slow_ms", [("INFO", 10_000), ("WARNING", 0)])
def test_each_request_logs_a_timing_line(app, client, login_as, caplog, level, slow_ms):
    user = login_as()
    app.config["SLOW_REQUEST_MS"] = slow_ms
    caplog.clear()
    with caplog.at_level("INFO", logger=app.logger.name):
        client.get("/prefs")
    lines = [r for r in caplog.records if "GET /prefs 200" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].levelname == level
    assert f"user={user.id}" in lines[0].getMessage()
