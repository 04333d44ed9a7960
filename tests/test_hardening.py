"""Security hardening (issue 14): equal work for taken and free accounts, disabled
accounts stay disabled, CR/LF in saved searches, bidi controls in file names,
private text and ranking, the password policy, and the defence-in-depth headers."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from bugzot import create_app
from bugzot.exceptions import ServiceError
from bugzot.extensions import db
from bugzot.models import ActivationKey, SavedSearch, User
from bugzot.models.sessions import LoginSession
from bugzot.search import fts
from bugzot.services import accounts, attachments
from bugzot.services.commands import Upload
from bugzot.services.passwords import password_problem
from tests.conftest import PASSWORD, mail_link, post_form
from tests.search_support import comment


# -- 3: equal work -------------------------------------------------------------------
def test_registration_hashes_the_password_whether_or_not_the_name_is_taken(live_app, make_user,
                                                                          monkeypatch):
    """The same work on every path: the password is hashed (argon2, ~200 ms at a
    realistic cost) whether the name or address is taken or free; a taken name used to
    skip it (~20 ms against ~200 ms), which told an attacker which names exist. Counted,
    not timed: each registration hashes exactly once and answers the same page."""
    make_user("taken", email="taken@example.com")
    live_app.config.update(RATELIMIT_REGISTER="", RATELIMIT_REGISTER_ACCOUNT="")
    hashed = []
    real = accounts.hash_password
    monkeypatch.setattr(accounts, "hash_password", lambda password: hashed.append(1) or real(password))
    client = live_app.test_client()
    base = {"password": PASSWORD, "confirm": PASSWORD, "real_name": ""}
    pages = []
    for username, email in (("ax", "taken@example.com"), ("taken", "b@example.com"),
                            ("cx", "c@example.com")):
        hashed.clear()
        response = post_form(client, "/register", {**base, "username": username, "email": email})
        assert response.status_code == 200 and len(hashed) == 1, (username, email, hashed)
        page = response.get_data(as_text=True).split("<main", 1)[1].split("</main>", 1)[0]
        pages.append(page.replace(email, "EMAIL"))
    assert pages[0] == pages[1] == pages[2]


@pytest.mark.parametrize("service", ["request_password_reset", "resend_activation"])
def test_reset_and_resend_make_a_key_for_unknown_accounts_too(app, make_user, service, monkeypatch):
    """The same work on every path: a key is generated (and its hash computed) even
    when nothing will be stored or sent."""
    make_user("ann")
    made = []
    real = accounts._hash_key
    monkeypatch.setattr(accounts, "_hash_key", lambda key: made.append(key) or real(key))
    with app.test_request_context():
        getattr(accounts, service)("nobody-at-all")
        getattr(accounts, service)("ann")
    assert len(made) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivationKey)) <= 1


# -- 4: disabled accounts ---------------------------------------------------------------
def _admin_disable(user: User, admin: User) -> None:
    accounts.admin_update_user(admin, user, role=user.role, is_active=False, real_name=user.real_name)


def test_a_disabled_account_cannot_reenable_itself_through_resend(client, make_user, outbox):
    admin = make_user("boss", role="Admin")
    post_form(client, "/register", {"username": "newbie", "email": "newbie@example.com",
                                    "password": PASSWORD, "confirm": PASSWORD})
    first_link = mail_link(outbox()[-1], "/activate/")
    newbie = db.session.scalar(sa.select(User).where(User.username == "newbie"))
    accounts.admin_update_user(admin, newbie, role=newbie.role, is_active=True, real_name="")
    _admin_disable(newbie, admin)  # never logged in, then disabled by an admin
    mails = len(outbox())
    assert post_form(client, "/activate", {"login": "newbie"}).status_code == 200
    assert len(outbox()) == mails  # no new activation mail
    assert client.get(first_link).status_code == 400  # the old key died with the disabling
    db.session.expire_all()
    assert not db.session.get(User, newbie.id).is_active


def test_activation_refuses_an_account_an_admin_disabled(app, make_user):
    admin = make_user("boss", role="Admin")
    user = make_user("carol", active=False)  # created disabled by an admin
    with app.test_request_context():
        key = accounts._new_key(user, ActivationKey.KIND_ACTIVATE, 1)  # e.g. mailed before
        db.session.commit()
        with pytest.raises(ServiceError, match="disabled by an administrator"):
            accounts.activate(key)
    db.session.expire_all()
    assert not db.session.get(User, user.id).is_active
    accounts.admin_update_user(admin, user, role=user.role, is_active=True, real_name="")
    assert db.session.get(User, user.id).disabled_at is None


def test_disabling_spends_every_outstanding_key_and_ends_every_session(app, client, make_user, outbox):
    admin = make_user("boss", role="Admin")
    ann = make_user("ann")
    post_form(client, "/login", {"login": "ann", "password": PASSWORD, "remember": "y"})
    with app.test_request_context():
        accounts.request_password_reset("ann")
    reset_link = mail_link(outbox()[-1], "/reset-password/")
    _admin_disable(ann, admin)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ActivationKey)
                             .where(ActivationKey.used_at.is_(None))) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginSession)) == 0
    assert client.get(reset_link).status_code == 400
    assert client.get("/prefs").status_code == 302


# -- 9: CR/LF in a saved search -----------------------------------------------------------
@pytest.mark.parametrize("name", ["Good name", ""])
@pytest.mark.parametrize("query", ["status=all\r\nSet-Cookie: x=1", "q=a%0D%0Ab", "sort=bad\r\n",
                                   "product=\r\nLocation: //evil.example"])
def test_cr_lf_in_a_saved_search_query_is_never_a_500(client, login_as, name, query):
    login_as("Reporter")
    response = post_form(client, "/searches", {"name": name, "query": query})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "\r" not in location and "\n" not in location and "evil" not in location.split("?")[0]
    for saved in db.session.scalars(sa.select(SavedSearch.query)):
        assert "\r" not in saved and "\n" not in saved
    assert client.get("/").status_code == 200  # the menu renders the saved query


# -- 10: bidi controls in file names ---------------------------------------------------
@pytest.mark.parametrize("name,shown", [
    ("invoice\u202egpj.exe", "invoicegpj.exe"), ("a\u2066b\u2069c.txt", "abc.txt"),
    ("\u202a\u202b\u202c\u202d.png", "png"), ("r\u200fl\u200e\u061c.txt", "rl.txt")])
def test_bidi_controls_are_stripped_from_file_names(client, make_bug, login_as, name, shown):
    user = login_as("Employee")
    bug = make_bug()
    attachment = attachments.add_attachment(user, bug, Upload(name, io.BytesIO(b"x")))
    assert attachment.filename == shown
    download = client.get(f"/attachments/{attachment.id}")
    assert "\u202e" not in download.headers["Content-Disposition"]
    page = client.get(f"/bugs/{bug.id}").get_data(as_text=True)
    assert not any(ch in page for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# -- 11: private text does not move what others see -------------------------------------------
def _ranks(user, word: str) -> list[tuple[int, float]]:
    match = fts.matches(db.engine.dialect.name, user, (word,))
    return [tuple(r) for r in db.session.execute(
        sa.select(match.c.bug_id, match.c.rank).order_by(match.c.rank.desc(), match.c.bug_id))]


def test_private_comments_do_not_move_ranks_for_those_who_cannot_see_them(make_bug, make_user,
                                                                         make_product):
    product = make_product("Kitchen")
    reporter, insider = make_user(role="Reporter"), make_user(role="Employee")
    a = make_bug(product, reporter, summary="Kettle whistles", description="Loud kettle noise.")
    b = make_bug(product, reporter, summary="Toaster burns", description="The kettle is fine.")
    c = make_bug(product, reporter, summary="Fridge hums", description="Nothing about that.")
    before = _ranks(reporter, "kettle")
    assert [bug_id for bug_id, _ in before] == [a.id, b.id]
    # private text: a long comment on the best match, the word on the others
    comment(a, insider, "unrelated words " * 200, private=True)
    comment(b, insider, "kettle kettle kettle kettle kettle", private=True)
    comment(c, insider, "kettle", private=True)
    assert _ranks(reporter, "kettle") == before  # not even the rank values moved
    assert {bug_id for bug_id, _ in _ranks(insider, "kettle")} == {a.id, b.id, c.id}


# -- 12: the password policy ---------------------------------------------------------------
@pytest.mark.parametrize("password,problem", [
    ("short-pass", "at least 12 characters"),
    ("password1234", "commonly used"), ("PASSWORD1234", "commonly used"),
    ("qwertyuiopasdf", "too easy to guess"), ("aaaaaaaaaaaaaaa", "too easy to guess"),
    ("annannannann1", "too easy to guess"),  # the account's own name, repeated
    ("x" * 1025, "at most 1024"),
])
def test_weak_passwords_are_refused(app, password, problem):
    with app.test_request_context():
        assert problem in (password_problem(password, "ann", "ann@example.com") or "")


@pytest.mark.parametrize("password", ["correct-horse-battery", "tram ticket purple", "Zq8#pw!rX2m4"])
def test_good_passwords_pass_without_composition_rules(app, password):
    with app.test_request_context():
        assert password_problem(password, "ann", "ann@example.com") is None


def test_the_minimum_length_is_configurable(live_app_config, tmp_path):
    app = create_app({**live_app_config, "PASSWORD_MIN_LENGTH": 20}, instance_path=str(tmp_path / "i"))
    with app.test_request_context():
        assert "at least 20" in password_problem("tram ticket purple")


def test_registration_shows_the_policy_message(client):
    response = post_form(client, "/register", {"username": "newbie", "email": "n@example.com",
                                               "password": "password1234", "confirm": "password1234"})
    assert response.status_code == 200
    assert "commonly used passwords" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


# -- 13: Origin/Referer, HSTS, no-store ----------------------------------------------------------
@pytest.mark.parametrize("header,value,allowed", [
    ("Origin", "http://evil.example", False), ("Origin", "null", False),
    ("Referer", "http://evil.example/page", False), ("Origin", "http://bugzot.test", True),
    ("Origin", "http://localhost", True), ("Referer", "http://localhost/login", True),
])
def test_state_changing_requests_from_other_sites_are_refused(client, make_user, header, value,
                                                              allowed):
    make_user("ann")
    response = post_form(client, "/login", {"login": "ann", "password": PASSWORD},
                         headers={header: value})
    assert response.status_code == (302 if allowed else 403)
    if not allowed:
        assert "came from another site" in response.get_data(as_text=True)


def test_requests_without_origin_or_referer_are_left_to_the_csrf_token(client, make_user):
    make_user("ann")
    assert post_form(client, "/login", {"login": "ann", "password": PASSWORD}).status_code == 302
    assert client.get("/", headers={"Origin": "http://evil.example"}).status_code == 200  # GET: fine


def test_hsts_only_when_base_url_is_https(live_app_config, tmp_path):
    for base, expected in (("https://bugs.example", "max-age=31536000"), ("http://bugs.example", None)):
        app = create_app({**live_app_config, "BASE_URL": base}, instance_path=str(tmp_path / base[:5]))
        assert app.test_client().get("/login").headers.get("Strict-Transport-Security") == expected


def test_pages_for_logged_in_users_are_not_stored(client, login_as, make_bug):
    bug = make_bug()
    assert client.get("/login").headers["Cache-Control"] == "private, no-cache"
    login_as("Reporter")
    for path in ("/", f"/bugs/{bug.id}", "/bugs", "/prefs", "/bugs.csv"):
        assert client.get(path).headers["Cache-Control"] == "private, no-store", path
