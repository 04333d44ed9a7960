"""Default configuration. No secrets live here: they come from instance/config.py.

Precedence (see ``create_app``): these defaults, then ``instance/config.py``,
then the ``test_config`` mapping passed to the factory.
"""

from datetime import timedelta

# "production", "development" or "testing". Only development and testing may run
# without a SECRET_KEY.
ENV = "production"
SECRET_KEY = None

# SQLite in the instance folder is the zero-set-up default; the factory fills the
# path in when this stays None. PostgreSQL: "postgresql+psycopg2://user:pw@host/db".
SQLALCHEMY_DATABASE_URI = None
SQLALCHEMY_ENGINE_OPTIONS: dict = {}  # the factory adds pool_pre_ping=True unless set here

# Public base URL used for every link we email (never the request's Host header).
BASE_URL = "http://127.0.0.1:5000"

# Intranet default: visitors must log in before they see anything.
ALLOW_ANONYMOUS_BROWSE = False

# Self-registration and the activation/reset keys it mails.
ALLOW_REGISTRATION = True
ACTIVATION_KEY_HOURS = 48
RESET_KEY_HOURS = 2

# Mail: "outbox" writes one file per message to instance/outbox (development,
# tests); "smtp" sends through the SMTP settings below.
MAIL_BACKEND = "outbox"
MAIL_FROM = "BugZot <bugzot@localhost>"
MAIL_OUTBOX = None  # default: <instance>/outbox
SMTP_HOST = "localhost"
SMTP_PORT = 25
SMTP_USERNAME = None
SMTP_PASSWORD = None
SMTP_STARTTLS = False
SMTP_TIMEOUT = 10

# The mail worker (`flask --app bugzot send-mail [--loop]`) sends what the outbox holds.
# Consecutive changes by one person to one bug within this many seconds become one mail
# (each change keeps the mail open that much longer, up to five times this in all).
MAIL_COALESCE_SECONDS = 120
# A failed send is tried again after MAIL_RETRY_SECONDS, doubling each time up to
# MAIL_RETRY_MAX_SECONDS; after MAIL_MAX_ATTEMPTS tries it is marked failed (the admin
# page "Failed mail" retries or discards it).
MAIL_MAX_ATTEMPTS = 8
MAIL_RETRY_SECONDS = 60
MAIL_RETRY_MAX_SECONDS = 6 * 3600
# Digests (a preference): hourly ones go out at the top of each hour, daily ones at this
# hour (UTC).
MAIL_DIGEST_DAILY_HOUR = 7
# Rows one worker claims at a time, how long its claim lasts (a worker that dies frees
# them after that), how often `--loop` looks for new rows, and how long handled rows stay
# (the failed-mail page and the webhook delivery log show them).
MAIL_BATCH_SIZE = 50
MAIL_CLAIM_SECONDS = 600
MAIL_POLL_SECONDS = 5
MAIL_KEEP_DAYS = 30
# Seconds a webhook endpoint has to answer.
WEBHOOK_TIMEOUT = 10

# Passwords: at least this many characters, and not common or easy to guess (zxcvbn's
# score 0-4; see bugzot/services/passwords.py). No composition rules.
PASSWORD_MIN_LENGTH = 12
PASSWORD_MIN_SCORE = 3

# argon2id cost; tests lower it so the suite stays quick.
ARGON2_TIME_COST = 3
ARGON2_MEMORY_COST = 65536  # KiB
ARGON2_PARALLELISM = 4

# Uploads (attachments). Apache's LimitRequestBody is rendered from the same value.
MAX_CONTENT_LENGTH = 10 * 1024 * 1024
ATTACHMENT_MAX_SIZE = None  # a lower limit for one file; default MAX_CONTENT_LENGTH
ATTACHMENT_FOLDER = None  # default: <instance>/attachments
ATTACHMENT_INTERNAL_REDIRECT = None  # e.g. "/_att/": Apache serves downloads (docs/DEPLOY-LINUX.md)

# One INFO line per request (method, path, status, ms, user); slower than
# SLOW_REQUEST_MS is a WARNING. Under mod_wsgi these land in Apache's error log.
# Rendered bodies of hot pages (bug page, list, search) kept per process, at most this
# many bytes; 0 switches the cache off. Keys cover everything a body shows
# (bugzot/views/page_cache.py), so a change is seen at the next request.
PAGE_CACHE_BYTES = 32 * 1024 * 1024

LOG_LEVEL = "INFO"
SLOW_REQUEST_MS = 500

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
# A login session lives at most this long on the server: "keep me logged in" ones
# REMEMBER_COOKIE_DURATION, the others PERMANENT_SESSION_LIFETIME (Flask's, 31 days).
REMEMBER_COOKIE_DURATION = timedelta(days=30)

# Reverse proxies in front of BugZot whose X-Forwarded-For/-Proto are believed (0: none,
# the TCP peer is the client). Set 1 behind one proxy; never more than there are.
TRUSTED_PROXIES = 0

# Rate limits (Flask-Limiter syntax; "" turns one off) on the POSTs of the account pages,
# per client address and per account named in the form. Counters are in memory (one
# process); several processes or Apache servers share them through Redis:
#   RATELIMIT_STORAGE_URI = "redis://127.0.0.1:6379/0"
RATELIMIT_STORAGE_URI = "memory://"
# RATELIMIT_ENABLED = True  # the default, except for TESTING apps (see create_app)
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down: count in memory, do not fail
RATELIMIT_HEADERS_ENABLED = True  # X-RateLimit-* and Retry-After
RATELIMIT_KEY_PREFIX = "bugzot"
RATELIMIT_LOGIN = "30 per minute; 300 per hour"  # login, reset form, preferences: per address
RATELIMIT_LOGIN_ACCOUNT = "10 per 15 minutes"  # failed logins per account
RATELIMIT_REGISTER = "10 per hour"  # per address
RATELIMIT_REGISTER_ACCOUNT = "5 per hour"  # per email address, per username
RATELIMIT_MAIL = "10 per hour"  # password reset and activation mails, per address
RATELIMIT_MAIL_ACCOUNT = "3 per hour"  # the same, per account
WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

# REST API (/rest): lifetime of a login token (GET /rest/login); most bugs one search returns.
API_TOKEN_HOURS = 24
API_MAX_BUGS = 1000

# Most rows one CSV export of a bug list returns.
SEARCH_EXPORT_MAX = 10_000

# -- Company directory (LDAP / Active Directory): off while DIRECTORY_URL is None ----
# services/directory.py; docs/DEPLOY-LINUX.md "Sign-in with the company directory".
DIRECTORY_URL = None  # "ldaps://dc1.example.com", or a list of servers tried in turn
DIRECTORY_STARTTLS = False  # ldap:// URLs must say True: passwords never travel in clear
DIRECTORY_CA_FILE = None  # PEM file of the CA that signed the servers' certificates
DIRECTORY_BIND_DN = None  # the service account that searches (None: anonymous search)
DIRECTORY_BIND_PASSWORD = None
DIRECTORY_USER_BASE = None  # e.g. "ou=People,dc=example,dc=com"
# {login} is the typed username or email, escaped. Active Directory, skipping disabled accounts:
# "(&(objectClass=user)(|(sAMAccountName={login})(mail={login}))"
# "(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"
DIRECTORY_USER_FILTER = "(&(objectClass=inetOrgPerson)(|(uid={login})(mail={login})))"
DIRECTORY_USERNAME_ATTR = "uid"  # Active Directory: "sAMAccountName"
DIRECTORY_NAME_ATTR = "cn"  # Active Directory: "displayName"
DIRECTORY_EMAIL_ATTR = "mail"
DIRECTORY_GROUP_BASE = None  # default: DIRECTORY_USER_BASE
DIRECTORY_GROUP_FILTER = "(|(objectClass=groupOfNames)(objectClass=group))"
DIRECTORY_GROUP_MEMBER_ATTR = "member"
# Nested groups: "auto" (Active Directory's LDAP_MATCHING_RULE_IN_CHAIN when the server is
# AD, else group by group), "in-chain", "recursive" or "off".
DIRECTORY_NESTED_GROUPS = "auto"
# Group DN -> BugZot role, highest first: the first group the user is in (directly or
# nested) gives the role, at every login. Empty: roles stay as admins set them.
DIRECTORY_GROUP_ROLES: dict = {}
DIRECTORY_DEFAULT_ROLE = "Reporter"  # users in no mapped group; None: they may not log in
DIRECTORY_TIMEOUT = 5  # seconds per connection and per answer
# Who may log in with a BugZot password: "all", "admins" (accounts that manage users: a
# way in while the directory is down) or "none".
LOCAL_LOGIN = "all"

# -- Single sign-on through Apache (services/sso.py): off by default --------------------
# True: trust the REMOTE_USER that Apache (mod_auth_gssapi, mod_authnz_sspi,
# mod_authnz_ldap) sets after authenticating. Only mod_wsgi's environ counts: request
# headers never do, and the development server and other WSGI servers are ignored.
TRUST_REMOTE_USER = False
REMOTE_USER_REALMS: list = []  # realms/domains to strip: ["EXAMPLE.COM", "EXAMPLE"]; others are refused
# Accounts for unknown SSO users: from the directory when DIRECTORY_URL is set, else
# with the address <username>@REMOTE_USER_EMAIL_DOMAIN (None: an admin creates them).
REMOTE_USER_EMAIL_DOMAIN = None
