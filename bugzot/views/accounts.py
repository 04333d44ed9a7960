"""Login, logout, registration, activation, password reset and preferences."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from bugzot import timefmt
from bugzot.exceptions import ServiceError
from bugzot.extensions import login_manager
from bugzot.forms import apply_error
from bugzot.forms.accounts import (
    EmailChangeForm,
    LoginForm,
    LoginOnlyForm,
    PasswordChangeForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    SessionEndForm,
    TimeZoneForm,
)
from bugzot.models import ActivationKey
from bugzot.security import logins
from bugzot.services import accounts, external, sessions, sso
from bugzot.services.time_zone import set_time_zone

bp = Blueprint("accounts", __name__)

LOGIN_FAILED = "Wrong username/email or password, or the account is not activated yet."


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in by username or email; the session is renewed on success."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or url_for("main.home"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.login.data, form.password.data)
        except ServiceError as exc:  # e.g. the company directory is down
            form.form_errors.append(exc.message)
            return render_template("accounts/login.html", form=form), exc.status
        if user is not None:
            logins.log_in(user, remember=form.remember.data)  # a new session, server-side
            flash(f"Welcome, {user.display_name}.", "success")
            return redirect(safe_next(form.next.data) or url_for("main.home"))
        form.form_errors.append(LOGIN_FAILED)
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
def logout():
    """End the session (POST with CSRF, so a link elsewhere cannot log you out)."""
    signed_on = session.get(SSO_SESSION)
    logins.log_out()
    if signed_on:
        # The browser would sign in again at once; it waits until asked to.
        session[SSO_PAUSED] = True
        return render_template("accounts/logged_out.html")
    flash("You are logged out.", "info")
    return redirect(url_for("accounts.login"))


# -- single sign-on through Apache (services/sso.py) ----------------------------
SSO_SESSION = "bugzot_sso"  # this session was signed in by Apache's REMOTE_USER
SSO_PAUSED = "bugzot_sso_paused"  # logged out: no automatic sign-in until /login/sso


@bp.before_app_request
def single_sign_on():
    """Sign in Apache's user: when nobody is logged in, or when Apache's user changed."""
    remote = sso.remote_user(request.environ, current_app.config)
    if remote is None or request.endpoint == "static" or request.blueprint == "api":
        return None  # the REST API has its own keys and never looks at the session
    if session.get(SSO_PAUSED):
        return None
    if current_user.is_authenticated and not session.get(SSO_SESSION):
        return None  # a password login keeps its session
    problem = _sign_on(remote)
    if problem is None:
        return None
    if request.endpoint == "accounts.login":  # the password form stays usable
        if request.method == "GET":
            flash(problem.message, "error")
        return None
    return _sso_problem(problem.message, problem.status)


def _sign_on(remote: str) -> ServiceError | None:
    """Log in the account of ``remote``; None, or why not."""
    try:
        username = sso.username_for(remote, current_app.config["REMOTE_USER_REALMS"])
        if current_user.is_authenticated and current_user.username == username:
            return None
        user = external.sso_login(username)
    except ServiceError as exc:
        return exc
    logins.log_in(user)  # a new server-side session (it clears the old one)
    session[SSO_SESSION] = True
    return None


def _sso_problem(message: str, status: int):
    return render_template("accounts/sso_problem.html", message=message), status


@bp.get("/login/sso")
def sso_login():
    """Sign in with the intranet account Apache authenticated (also after a logout)."""
    session.pop(SSO_PAUSED, None)
    remote = sso.remote_user(request.environ, current_app.config)
    if remote is None:
        return _sso_problem("Single sign-on is not available here: the web server did not sign "
                            "you in. Log in with your username and password instead.", 403)
    problem = _sign_on(remote)
    if problem is not None:
        return _sso_problem(problem.message, problem.status)
    return redirect(safe_next(request.args.get("next")) or url_for("main.home"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Self-registration; the account waits for its emailed activation link."""
    if not current_app.config["ALLOW_REGISTRATION"]:
        abort(404)
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            accounts.register(form.username.data, form.email.data, form.password.data,
                              form.real_name.data or "")
        except ServiceError as exc:
            apply_error(form, exc)
        else:
            return render_template("accounts/check_mail.html", email=form.email.data.strip().lower())
    return render_template("accounts/register.html", form=form)


@bp.get("/activate/<key>")
def activate(key: str):
    """Open the emailed activation link."""
    try:
        user = accounts.activate(key)
    except ServiceError as exc:
        return render_template("accounts/key_problem.html", message=exc.message,
                               resend=True), 400
    flash(f"Account {user.username} is active. Please log in.", "success")
    return redirect(url_for("accounts.login"))


@bp.route("/activate", methods=["GET", "POST"])
def resend_activation():
    """Ask for a new activation link."""
    form = LoginOnlyForm()
    if form.validate_on_submit():
        accounts.resend_activation(form.login.data)
        return render_template("accounts/check_mail.html", email=None)
    return render_template("accounts/resend.html", form=form)


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_request():
    """Ask for a password-reset link."""
    form = LoginOnlyForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.login.data)
        return render_template("accounts/check_mail.html", email=None)
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/reset-password/<key>", methods=["GET", "POST"])
def reset_password(key: str):
    """Choose a new password with an emailed key."""
    if accounts.find_key(key, ActivationKey.KIND_RESET) is None:
        return render_template("accounts/key_problem.html",
                               message="This reset link is invalid, was already used, or has expired.",
                               resend=False), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(key, form.password.data)
        except ServiceError as exc:
            apply_error(form, exc)
        else:
            logins.log_out()
            flash("Your password was changed. Please log in.", "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/prefs", methods=["GET", "POST"])
@login_required
def prefs():
    """Real name, time zone, email change (re-verified) and password change."""
    profile = ProfileForm(prefix="profile", real_name=current_user.real_name)
    password = PasswordChangeForm(prefix="pw")
    email = EmailChangeForm(prefix="email")
    browser_zone = timefmt.zone_or_none(request.cookies.get(timefmt.COOKIE, ""))
    zone = TimeZoneForm(prefix="tz", time_zone=current_user.time_zone)
    zone.time_zone.choices = [SelectChoice("", "My browser's zone" + (
        f" ({browser_zone.key})" if browser_zone else ""))] + timefmt.zone_names()
    action = request.form.get("action")
    if request.method == "POST":
        form = {"profile": profile, "password": password, "email": email,
                "timezone": zone}.get(action)
        if form is None:
            abort(400, "Unknown preferences action.")
        if form.validate_on_submit():
            try:
                if form is profile:
                    accounts.update_profile(current_user, form.real_name.data or "")
                    flash("Saved.", "success")
                elif form is zone:
                    user = current_user._get_current_object()
                    set_time_zone(user, user, form.time_zone.data or "")
                    flash("Times are now shown in " + (user.time_zone or "your browser's zone")
                          + ".", "success")
                elif form is password:
                    accounts.change_password(current_user, form.current_password.data,
                                             form.new_password.data)
                    # Every session ended; this browser gets a new one.
                    logins.keep_logged_in(current_user._get_current_object())
                    flash("Your password was changed; other sessions were logged out.", "success")
                else:
                    accounts.request_email_change(current_user, form.email.data, form.password.data)
                    flash("We sent a confirmation link to the new address. The change takes "
                          "effect when you open it.", "info")
                return redirect(url_for("accounts.prefs"))
            except ServiceError as exc:
                apply_error(form, exc)
    return render_template("accounts/prefs.html", profile=profile, password=password, email=email,
                           zone=zone, sessions=sessions.live_sessions(current_user))


@bp.post("/prefs/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    """Log out one of the user's browsers (its cookies, remember-me too, stop working)."""
    if not SessionEndForm().validate_on_submit():
        abort(400, "The form expired. Reload the page and try again.")
    if session_id == current_user.login_session.id:
        return logout()
    try:
        sessions.end_one(current_user, session_id)
    except ServiceError as exc:
        abort(exc.status, exc.message)
    flash("That session was logged out.", "success")
    return redirect(url_for("accounts.prefs"))


@bp.post("/prefs/sessions/end-all")
@login_required
def end_all_sessions():
    """Log out everywhere: every browser of this user, this one included."""
    if not SessionEndForm().validate_on_submit():
        abort(400, "The form expired. Reload the page and try again.")
    sessions.log_out_everywhere(current_user)
    logins.log_out()
    flash("You are logged out everywhere.", "info")
    return redirect(url_for("accounts.login"))


@bp.get("/prefs/email/<key>")
def confirm_email(key: str):
    """Open the link mailed to a new address."""
    try:
        user = accounts.confirm_email_change(key)
    except ServiceError as exc:
        return render_template("accounts/key_problem.html", message=exc.message, resend=False), 400
    flash(f"The address of {user.username} is now {user.email}.", "success")
    return redirect(url_for("accounts.prefs" if current_user.is_authenticated else "accounts.login"))


@login_manager.user_loader
def load_user(session_id: str):
    """Flask-Login: the user of a session token (``bugzot.security.logins``)."""
    return logins.load_user(session_id)
