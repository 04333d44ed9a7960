"""Example instance configuration: copy to instance/config.py and edit.

    cp instance/config.example.py instance/config.py

This file holds the secrets (SECRET_KEY, database and SMTP passwords), so keep
it private: on Linux ``chown root:www-data instance/config.py && chmod 0640
instance/config.py``; on Windows give only Administrators and the Apache service
account read access. Every key is optional except SECRET_KEY; the defaults and
their meaning are in bugzot/config.py. After a change, reload the app: touch
wsgi/conf.wsgi (Linux) or restart the Apache service (Windows).
"""

import os

# -- Required --------------------------------------------------------------------------
# 64 random hex characters; changing it logs everybody out. The app refuses to start
# while it is None. Generate one with
#   python -c "import secrets; print(secrets.token_hex(32))"
SECRET_KEY = None

# "production" (default) refuses to start without SECRET_KEY; "development" does not.
ENV = "production"

# The public address of the site; every link in a mail starts with it. With an https://
# address the session cookie is marked Secure.
BASE_URL = "https://bugs.example.com"

# -- Database --------------------------------------------------------------------------
# SQLite (default when unset): one file in this folder; fine for a small team.
# SQLALCHEMY_DATABASE_URI = "sqlite:////srv/bugzot/instance/bugzot.sqlite"   # Linux
# SQLALCHEMY_DATABASE_URI = "sqlite:///C:/BugZot/instance/bugzot.sqlite"     # Windows
#
# PostgreSQL, recommended: `flask --app bugzot create-db-roles` creates an owner role
# (migrations) and an app role that may only read and write rows. The web app uses the
# app role; migrations run as the owner by setting BUGZOT_DATABASE_URL for that one
# command (its password in ~/.pgpass, see docs/DEPLOY-LINUX.md):
#   BUGZOT_DATABASE_URL=postgresql+psycopg2://bugzot_owner@127.0.0.1:5432/bugzot \
#       .venv/bin/flask --app bugzot init-db
SQLALCHEMY_DATABASE_URI = os.environ.get("BUGZOT_DATABASE_URL") or (
    "postgresql+psycopg2://bugzot_app:REPLACE-WITH-APP-PASSWORD@127.0.0.1:5432/bugzot"
)
# Connections per process. Linux daemon mode: keep pool_size >= threads (5). Windows runs
# one process with ThreadsPerChild threads (64 by default): pool_size + max_overflow
# should reach that, within PostgreSQL's max_connections (100 by default).
SQLALCHEMY_ENGINE_OPTIONS = {"pool_size": 5, "max_overflow": 10, "pool_pre_ping": True}

# -- Users -----------------------------------------------------------------------------
ALLOW_ANONYMOUS_BROWSE = False  # True: visitors may read bugs without logging in
ALLOW_REGISTRATION = True  # False: only admins create accounts
ACTIVATION_KEY_HOURS = 48  # lifetime of the mailed activation link
RESET_KEY_HOURS = 2  # lifetime of the mailed password-reset link

# -- Mail ------------------------------------------------------------------------------
# "outbox" writes each mail as a file into MAIL_OUTBOX (instance/outbox by default);
# "smtp" sends them.
MAIL_BACKEND = "smtp"
MAIL_FROM = "BugZot <bugzot@example.com>"
SMTP_HOST = "smtp.example.com"
SMTP_PORT = 587
SMTP_STARTTLS = True
SMTP_USERNAME = "bugzot@example.com"
SMTP_PASSWORD = "REPLACE-WITH-SMTP-PASSWORD"
SMTP_TIMEOUT = 10
# Every message is queued in the database and sent by the mail worker
# (`flask --app bugzot send-mail --loop`, docs/DEPLOY-LINUX.md / DEPLOY-WINDOWS.md);
# `flask --app bugzot send-test-mail you@example.com` checks the settings above.
# MAIL_COALESCE_SECONDS = 120  # one person's changes to a bug within 2 minutes: one mail
# MAIL_MAX_ATTEMPTS = 8  # tries before a message is marked failed (Admin > Failed mail)
# MAIL_RETRY_SECONDS = 60  # first retry after a minute, then 2, 4, 8... minutes
# MAIL_RETRY_MAX_SECONDS = 21600  # ...but never more than 6 hours apart
# MAIL_DIGEST_DAILY_HOUR = 7  # daily digests go out at 07:00 UTC (hourly: every hour)
# MAIL_KEEP_DAYS = 30  # sent and failed rows are kept this long
# WEBHOOK_TIMEOUT = 10  # seconds a webhook endpoint has to answer

# -- Attachments -----------------------------------------------------------------------
# Largest request body (and so upload) in bytes; `flask apache-config` renders Apache's
# LimitRequestBody from it, so re-generate the Apache config after changing it.
MAX_CONTENT_LENGTH = 10 * 1024 * 1024
# ATTACHMENT_MAX_SIZE = 5 * 1024 * 1024  # a lower limit for one file (default: the above)
# Where the files live (default: <instance>/attachments). Back it up with the database.
# ATTACHMENT_FOLDER = "/srv/bugzot-data/attachments"
# Linux with the generated Apache config: Apache sends downloads after the app has
# checked permission (mod_wsgi daemon mode). Leave it None on Windows and under any
# other server (gunicorn, `flask run`).
ATTACHMENT_INTERNAL_REDIRECT = "/_att/"

# -- Logging ---------------------------------------------------------------------------
# INFO logs one line per request into Apache's site error log (tagged [wsgi:error]:
# that is only the stream's name); WARNING keeps slow requests and errors only.
LOG_LEVEL = "WARNING"
SLOW_REQUEST_MS = 500

# -- Search ----------------------------------------------------------------------------
# SEARCH_EXPORT_MAX = 10000  # most rows a CSV export of a bug list returns

# -- Company directory (LDAP / Active Directory) ---------------------------------------
# Off while DIRECTORY_URL is None. docs/DEPLOY-LINUX.md section 14.1, DEPLOY-WINDOWS.md 15.1.
# DIRECTORY_URL = ["ldaps://dc1.example.com", "ldaps://dc2.example.com"]  # or ldap:// + STARTTLS
# DIRECTORY_STARTTLS = False
# DIRECTORY_CA_FILE = "/etc/ssl/certs/example-root-ca.pem"
# DIRECTORY_BIND_DN = "CN=svc-bugzot,OU=Service Accounts,DC=example,DC=com"
# DIRECTORY_BIND_PASSWORD = "REPLACE-WITH-SERVICE-PASSWORD"
# DIRECTORY_USER_BASE = "OU=Staff,DC=example,DC=com"
# DIRECTORY_USER_FILTER = "(&(objectClass=user)(|(sAMAccountName={login})(mail={login})))"
# DIRECTORY_USERNAME_ATTR = "sAMAccountName"  # OpenLDAP: "uid"
# DIRECTORY_NAME_ATTR = "displayName"  # OpenLDAP: "cn"
# DIRECTORY_EMAIL_ATTR = "mail"
# DIRECTORY_GROUP_BASE = "OU=Groups,DC=example,DC=com"
# DIRECTORY_GROUP_FILTER = "(|(objectClass=groupOfNames)(objectClass=group))"
# DIRECTORY_GROUP_MEMBER_ATTR = "member"
# DIRECTORY_NESTED_GROUPS = "auto"  # "in-chain" (AD), "recursive", "off"
# DIRECTORY_GROUP_ROLES = {"CN=BugZot Admins,OU=Groups,DC=example,DC=com": "Admin"}
# DIRECTORY_DEFAULT_ROLE = "Reporter"  # None: only members of a mapped group may log in
# DIRECTORY_TIMEOUT = 5
# LOCAL_LOGIN = "all"  # "admins": only administrators keep a BugZot password; "none"

# -- Single sign-on through Apache -----------------------------------------------------
# `apache-config --auth gssapi|ldap|sspi` makes Apache sign users in; BugZot then trusts
# the REMOTE_USER it reports (never a request header; never outside mod_wsgi).
# TRUST_REMOTE_USER = True
# REMOTE_USER_REALMS = ["EXAMPLE.COM", "EXAMPLE"]  # stripped from alice@EXAMPLE.COM, EXAMPLE\alice
# REMOTE_USER_EMAIL_DOMAIN = "example.com"  # new SSO accounts without a directory: <user>@example.com

# -- Security --------------------------------------------------------------------------
# Passwords: minimum length (no composition rules; common and easily guessed ones are
# refused, see bugzot/services/passwords.py).
# PASSWORD_MIN_LENGTH = 12
# Reverse proxies in front of Apache whose X-Forwarded-For is believed (0: none).
# TRUSTED_PROXIES = 1
# Rate-limit counters shared by several processes or Apache servers (default: memory).
# RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"
# The limits themselves: RATELIMIT_LOGIN, RATELIMIT_LOGIN_ACCOUNT, RATELIMIT_REGISTER,
# RATELIMIT_REGISTER_ACCOUNT, RATELIMIT_MAIL, RATELIMIT_MAIL_ACCOUNT (bugzot/config.py).
# "Keep me logged in" lasts at most this long:
# from datetime import timedelta
# REMEMBER_COOKIE_DURATION = timedelta(days=30)
