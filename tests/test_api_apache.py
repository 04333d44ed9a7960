"""The REST API and the real python-bugzilla client through Apache httpd + mod_wsgi
(daemon mode, the Linux config ``flask apache-config`` renders): the API key arrives
as a parameter, as ``X-BUGZILLA-API-KEY`` and as ``Authorization: Bearer`` (which only
``WSGIPassAuthorization On`` lets through)."""

from __future__ import annotations

import json

import pytest
from test_apache import site  # noqa: F401  (the module's live Apache)
from test_api_cli import Client, _ids

pytestmark = pytest.mark.apache


@pytest.fixture(scope="module")
def key(site):  # noqa: F811
    """An API key of the site's Reporter, made in the site's own database."""
    from bugzot import create_app
    from bugzot.extensions import db
    from bugzot.models import User
    from bugzot.services import api_keys

    app = create_app(instance_path=str(site.instance))
    with app.app_context():
        reporter = db.session.scalar(db.select(User).where(User.username == "reporter"))
        secret = api_keys.create_key(reporter, "apache")[1]
        db.engine.dispose()
    return secret


def test_the_bugzilla_command_through_apache(site, key, tmp_path):  # noqa: F811
    client = Client(site.base_url, tmp_path, key)
    out = client.run("new", "--product", "Widget", "--component", "Engine", "--version", "1.0",
                     "--summary", "Filed through Apache", "--comment", "Via mod_wsgi.")
    [bug_id] = _ids(out)
    assert _ids(client.run("query", "--product", "Widget", "--summary", "Apache")) == [bug_id]
    client.run("modify", str(bug_id), "--comment", "A second word.")
    log = tmp_path / "apache.log"
    log.write_text("served by mod_wsgi\n")
    out = client.run("attach", "--file", str(log), "--description", "Log", str(bug_id),
                     stdin=log.read_text())
    assert f"on bug {bug_id}" in out
    full = client.run("query", "--bug_id", str(bug_id), "--full")
    assert "A second word." in full and "Via mod_wsgi." in full
    assert "Widget" in client.run("info", "--products").split()


@pytest.mark.parametrize("how", ["parameter", "X-BUGZILLA-API-KEY", "Authorization"])
def test_each_way_of_sending_the_key_survives_apache(site, key, how):  # noqa: F811
    browser = site.browser()
    headers = {"parameter": {}, "X-BUGZILLA-API-KEY": {"X-BUGZILLA-API-KEY": key},
               "Authorization": {"Authorization": f"Bearer {key}"}}[how]
    path = "/rest/whoami" + (f"?Bugzilla_api_key={key}" if how == "parameter" else "")
    reply = browser.request("GET", path, headers=headers)
    assert reply.status == 200, reply.text
    assert json.loads(reply.body)["name"] == "reporter@example.com"
    assert browser.get("/rest/whoami").status == 401  # and without it, nobody
