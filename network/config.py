"""Configuration defaults.

Layers, later wins: these defaults -> ``instance/config.py`` -> ``NETWORK_<KEY>``
environment variables (``Flask.config.from_prefixed_env``) -> the test config.
``DATABASE_URL`` selects the database. No secret has a fallback value here: the
factory generates one into the instance folder when none is configured.
"""
from datetime import timedelta

# Site served over HTTPS: Secure cookies and HSTS. `make run` turns it off for
# the plain-HTTP development server.
HTTPS = True

# hide_parameters: database errors (and their log lines) never quote bound values, which
# include password hashes, session tokens and email addresses.
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
# How long a SQLite connection waits for another worker's write lock before "database is locked".
# Under gunicorn's default 30-second worker timeout; scripts/burst.py lost replies with 5 seconds
# on a loaded two-core machine (docs/reliability.md).
SQLITE_BUSY_TIMEOUT_MS = 20000

# `flask backup` / `flask restore` on PostgreSQL: the client programs, found on PATH unless set here
# (e.g. NETWORK_BACKUP_PG_DUMP=/usr/lib/postgresql/16/bin/pg_dump to match a newer server).
BACKUP_PG_DUMP = None
BACKUP_PG_RESTORE = None

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_DURATION = timedelta(days=30)
PERMANENT_SESSION_LIFETIME = timedelta(hours=12)

# Requests larger than this answer 413 (avatars are at most 5 MB).
MAX_CONTENT_LENGTH = 6 * 1024 * 1024

WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

BABEL_DEFAULT_LOCALE = "sv"
BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
LANGUAGES = ("sv", "en")

RATELIMIT_ENABLED = True
# Counters live in this process only: with several gunicorn workers set a shared store,
# e.g. NETWORK_RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0 (the app warns otherwise).
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_KEY_PREFIX = "vaxthuset"
RATELIMIT_HEADERS_ENABLED = True
LOGIN_LIMIT_PER_IP = "20 per 5 minutes"
# Failed log-ins to one account from one address: stops guessing from there, and a stranger
# elsewhere cannot lock the owner out.
LOGIN_LIMIT_PER_ACCOUNT_AND_ADDRESS = "5 per 5 minutes"
# Failed log-ins to one account from anywhere: a ceiling that only slows distributed guessing.
LOGIN_LIMIT_PER_ACCOUNT = "100 per hour"
# Checks of the current password by a logged-in member (password and email changes).
PASSWORD_CHECK_LIMIT = "10 per 15 minutes"
PASSWORD_RESET_LIMIT_PER_IP = "10 per hour"
PASSWORD_RESET_LIMIT_PER_ACCOUNT = "3 per hour"
# Downloads of "my data" (/account/export) per member: each reads everything the member has.
ACCOUNT_EXPORT_LIMIT = "5 per hour"

# Wrong two-factor codes at the log-in step (network/twofactor): per account, and per address.
# The daily cap keeps someone who knows the password from trying codes all year: at 5 per 5 minutes
# alone (1,440 a day) a six-digit code with its neighbouring windows falls within the year with odds
# of about 4 in 5; at 20 a day, about 2 in 100.
TWO_FACTOR_LIMIT_PER_ACCOUNT = "5 per 5 minutes;20 per day"
TWO_FACTOR_LIMIT_PER_IP = "20 per 5 minutes"

INVITATION_MAX_AGE = timedelta(days=14)

# Two-factor log-in: members of these roles must set it up before they use the site; others may.
# `make run` sets NETWORK_REQUIRE_2FA_ROLES='[]' so the demo's staff log in with the password alone.
REQUIRE_2FA_ROLES = ("admin", "course_leader")
# How long the log-in step waits for the code after a correct password.
TWO_FACTOR_PENDING_MAX_AGE = timedelta(minutes=5)
PASSWORD_RESET_MAX_AGE = timedelta(hours=1)

# Mail: SMTP when MAIL_SERVER is set, otherwise .eml files in instance/outbox/.
MAIL_SERVER = None
MAIL_PORT = 587
MAIL_USE_TLS = True
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_SENDER = "Växthuset Network <noreply@vaxthuset.example>"
MAIL_OUTBOX_DIR = None  # default: <instance>/outbox
MAIL_TIMEOUT_SECONDS = 30
# Mail waits in the `outbox` table until `flask mail work` (a second process) or `flask mail send`
# (cron) delivers it. A failed attempt is retried after MAIL_BACKOFF_SECONDS, doubled after each
# further failure (2, 4, 8, 16, 32 minutes); after MAIL_MAX_ATTEMPTS the message is marked failed
# and shown to admins at /admin/outbox. Sent messages are deleted after MAIL_KEEP_SENT_DAYS.
MAIL_MAX_ATTEMPTS = 6
MAIL_BACKOFF_SECONDS = 120
MAIL_KEEP_SENT_DAYS = 7
# Deliver committed mail right after each request and command, in the serving process.
# None: on in tests, in debug mode and without MAIL_SERVER (.eml files); off with a mail server,
# where the worker delivers. NETWORK_MAIL_DELIVER_AFTER_REQUEST=true/false decides explicitly.
MAIL_DELIVER_AFTER_REQUEST = None

PER_PAGE = 25

# Every absolute link in mail starts with this, never with the host a request names.
BASE_URL = "http://127.0.0.1:5000"

# Hosts a request may name (others get 400). None: the host of BASE_URL plus loopback.
TRUSTED_HOSTS = None

# Behind a reverse proxy: how many proxies' X-Forwarded-For / -Proto / -Host headers to believe
# (werkzeug ProxyFix; 0 = ignore the header; X_PROTO None = as many as X_FOR). X-Forwarded-Host
# stays ignored unless set: a forwarded host would otherwise steer the app's idea of its address.
PROXY_FIX_X_FOR = 0
PROXY_FIX_X_PROTO = None
PROXY_FIX_X_HOST = 0

# Moderation: flags from this many members hide a post until a moderator reviews it.
MODERATION_FLAG_THRESHOLD = 3

# Private messages: how many new conversations one member may start in 24 hours (against spam;
# counted in the database, so every worker shares the count). Replies are not limited.
MESSAGES_NEW_PER_DAY = 20

# Searches: a query running longer than this is ended with a "search took too long" page (422).
QUERY_TIME_BUDGET_MS = 3000
# Search results shown at most ("more than 1,000 posts found" beyond), and how many of the newest
# matches the full-text engine hands over first and at most (refilled when visibility thins them).
SEARCH_RESULT_CAP = 1000
SEARCH_CANDIDATES = 1000
SEARCH_MAX_CANDIDATES = 16000

# Retention (`flask privacy purge`): members inactive this many days get a warning by mail, and
# are erased when still inactive this many days after it. Administrators are never purged.
PRIVACY_INACTIVE_DAYS = 730
PRIVACY_GRACE_DAYS = 30
