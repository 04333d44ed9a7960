"""The bug-mail preferences page: the role x change matrix with its defaults, digests,
own changes, watching components, the list of ignored bugs; bad input is a form error."""

from __future__ import annotations

import re

from conftest import post_form

from bugzot.services import notifications
from bugzot.services.read import notifications as settings


def test_the_page_shows_the_defaults_and_saves_the_matrix(app, client, login_as):
    user = login_as("Reporter")
    prefs = client.get("/prefs").get_data(as_text=True)
    assert "<title>Preferences – BugZot</title>" in prefs and 'href="/prefs/notifications"' in prefs
    page = client.get("/prefs/notifications").get_data(as_text=True)
    assert 'value="cc:comment" id="enabled-cc-comment" aria-label="CC: New comment" checked' in page
    assert 'value="watcher:fields" id="enabled-watcher-fields" aria-label="Component watcher: ' \
           'Other fields">' in page
    response = post_form(client, "/prefs/notifications", {
        "enabled": ["reporter:comment", "assignee:status"], "digest": "hourly", "own_changes": "y"})
    assert response.status_code == 302
    saved = settings.prefs_of([user.id])[user.id]
    assert saved == settings.Prefs(frozenset({"reporter:comment", "assignee:status"}), "hourly", True)
    page = client.get("/prefs/notifications").get_data(as_text=True)
    assert 'value="reporter:comment" id="enabled-reporter-comment" aria-label="Reporter: New comment" ' \
           'checked' in page and re.search(r'<input checked [^>]*value="hourly"', page)


def test_unknown_settings_are_a_form_error(app, client, login_as):
    user = login_as("Reporter")
    response = post_form(client, "/prefs/notifications", {"enabled": ["boss:everything"],
                                                          "digest": "weekly"})
    assert response.status_code == 400
    assert settings.prefs_of([user.id])[user.id] == settings.DEFAULTS


def test_watching_and_unwatching_components(app, client, login_as, make_product):
    product = make_product("Widget", components=("General", "UI"))
    user = login_as("Reporter")
    ui = next(c for c in product.components if c.name == "UI")
    page = client.get("/prefs/notifications").get_data(as_text=True)
    assert "Widget (every component)" in page and "Widget / UI" in page
    response = post_form(client, "/prefs/notifications/watches", {"watch-place": f"{product.id}:{ui.id}"})
    assert response.status_code == 302
    again = post_form(client, "/prefs/notifications/watches", {"watch-place": f"{product.id}:{ui.id}"},
                      follow_redirects=True)
    assert "You already watch that." in again.get_data(as_text=True)
    [watch] = settings.watches_of(user)
    assert (watch.product.name, watch.component.name) == ("Widget", "UI")
    assert settings.watchers([(product.id, ui.id)]) == {user.id}
    assert post_form(client, f"/prefs/notifications/watches/{watch.id}/delete").status_code == 302
    assert settings.watches_of(user) == []


def test_ignored_bugs_are_listed_and_can_be_heard_again(app, client, login_as, make_bug):
    user = login_as("Reporter")
    bug = make_bug(reporter=user, summary="Noisy one")
    notifications.set_ignored(user, bug, True)
    page = client.get("/prefs/notifications").get_data(as_text=True)
    assert "Noisy one" in page and "mail me again" in page
    response = post_form(client, f"/bugs/{bug.id}/ignore",
                         {"ignored": "0", "next": "/prefs/notifications"})
    assert response.headers["Location"].endswith("/prefs/notifications")
    assert not settings.is_ignored(user, bug.id)


def test_nobody_ignores_a_bug_they_may_not_see(app, client, login_as, make_bug, make_user):
    login_as("Reporter")
    secret = make_bug(reporter=make_user(role="Employee"), is_private=True)
    assert post_form(client, f"/bugs/{secret.id}/ignore", {"ignored": "1"}).status_code == 404
