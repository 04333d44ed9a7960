"""Default configuration. No secrets live here: they come from instance/config.py.

Precedence (see ``create_app``): these defaults, then ``instance/config.py``,
then the ``test_config`` mapping passed to the factory.
"""

# "production", "development" or "testing". Only development and testing may run
# without a SECRET_KEY.
ENV = "production"
SECRET_KEY = None

# SQLite in the instance folder is the zero-set-up default; the factory fills the
# path in when this stays None. PostgreSQL: "postgresql+psycopg2://user:pw@host/db".
SQLALCHEMY_DATABASE_URI = None
SQLALCHEMY_ENGINE_OPTIONS: dict = {}

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
LOG_LEVEL = "INFO"
SLOW_REQUEST_MS = 500

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

# REST API (/rest): lifetime of a login token (GET /rest/login); most bugs one search returns.
API_TOKEN_HOURS = 24
API_MAX_BUGS = 1000

# Most rows one CSV export of a bug list returns.
SEARCH_EXPORT_MAX = 10_000
