"""Settings shared by every environment, read from the environment through django-environ.

Without DATABASE_URL the project runs on SQLite; without REDIS_URL Celery tasks run in-process.
"""
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_HASHES
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="dev-insecure-change-me-0123456789abcdefghijklmnopqrstuvwxyz")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # Django's form templates for config.forms.FormRenderer (TemplatesSetting)
    "csp",  # Content-Security-Policy header (django-csp), see CONTENT_SECURITY_POLICY
    "axes",  # login brute force: failures per username+address, unlock in the admin
    "import_export",
    "ninja",  # the API docs page (/api/docs) serves Swagger UI from our static files, not a CDN
    "providers",
    "consents",
    "citizens",
]

MIDDLEWARE = [
    # First: the request id of every log line and the request's latency per route (config/observability.py).
    "config.observability.ObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Opens the read-routing scope (replicas, read-your-writes) before the API's fast lane: config/db_router.py.
    "config.db_router.ReadRoutingMiddleware",
    "consents.api.middleware.ApiFastLane",  # /api/: bearer tokens, no session/CSRF/language (consents/api)
    # Pages (and the API docs page, which takes the full stack) carry the Content-Security-Policy.
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.TurkishFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Judges the body by its headers after every request phase and before CSRF reads it (process_view).
    "config.body_limit.BodyLimitMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
# Forms render through templates/forms/: help texts and errors carry the ids aria-describedby names.
FORM_RENDERER = "config.forms.FormRenderer"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "providers.context.portal_notices",
            ],
            "libraries": {"numbers": "config.numbers"},
        },
    },
]



def sqlite_options() -> dict:
    """The embedded default serving a small business: pages keep answering while an upload writes.

    WAL lets readers work beside the one writer; IMMEDIATE transactions take the write lock when they
    begin (never the upgrade from a read lock that fails at once with "database is locked"); the busy
    timeout lets a sign-in wait for the upload's current chunk (one short transaction) to commit.
    """
    return {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; "
            "PRAGMA cache_size=-32000; PRAGMA mmap_size=268435456;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=30),
    }


DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(sqlite_options())
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A reused connection is checked (SELECT 1) before the first query of each request, so one a database
# restart killed is replaced at once instead of failing requests until CONN_MAX_AGE ends it (docs/operations.md).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable server is an error after a few seconds (a 503 the client retries), not a hung worker.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=3)
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Read replicas (config/db_router.py; docs/scaling.md). Streaming replicas of the primary, as URLs; they
# become the aliases replica_0, replica_1, … Hot read paths (status, may-I-send, history, change feed,
# citizen pages, exports) read from a replica whose replay lag is within DATABASE_REPLICA_MAX_LAG_S (measured
# at most every DATABASE_REPLICA_LAG_CHECK_S per process); a caller's reads stay on the primary for
# DATABASE_READ_YOUR_WRITES_S after its own write (kept in the cache: Redis in production).
DATABASE_REPLICA_URLS = env.list("DATABASE_REPLICA_URLS", default=[])


def replica_databases(urls: list[str], *, conn_max_age: int) -> dict[str, dict]:
    """settings.DATABASES entries for the replica URLs (prod.py rebuilds DATABASES and calls this again)."""
    replicas = {}
    for i, url in enumerate(urls):
        config = env.db_url_config(url)
        config["CONN_MAX_AGE"] = conn_max_age
        config["CONN_HEALTH_CHECKS"] = True  # a connection a replica restart killed is replaced, not used
        # A replica that does not answer is skipped after this long instead of holding the request.
        config.setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
        replicas[f"replica_{i}"] = config
    return replicas


DATABASES.update(replica_databases(DATABASE_REPLICA_URLS, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]))
DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
DATABASE_REPLICA_MAX_LAG_S = env.float("DATABASE_REPLICA_MAX_LAG_S", default=2.0)
DATABASE_REPLICA_LAG_CHECK_S = env.float("DATABASE_REPLICA_LAG_CHECK_S", default=1.0)
DATABASE_READ_YOUR_WRITES_S = env.float("DATABASE_READ_YOUR_WRITES_S", default=5.0)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The axes backend refuses a locked username+address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "tr"
LANGUAGES = [("tr", _("Türkçe")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Istanbul"
USE_I18N = True
USE_TZ = True
# One date format per kind and language (config/formats/<lang>/formats.py); templates use the names.
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Cache (rate limits, OTP throttles). Redis when configured, local memory otherwise.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 3}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery. Without a broker, tasks run in-process so the embedded default works alone.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
# Tasks are idempotent, so a task lost with its worker is redelivered rather than dropped.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Must exceed the longest task time limit, or Redis redelivers a task that is still running.
# Short socket timeouts: an unreachable broker is an error in about a second (the outbox keeps the task), not a
# request hanging on it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 10 * 60,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# Queuing a task tries the broker briefly (about a second) before giving up; the caller's outbox row waits.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.3, "interval_max": 0.5}
CELERY_RESULT_EXPIRES = 24 * 3600
# Periodic work (beat). Intervals come from the environment so tests and operators can tighten them.
CELERY_BEAT_SCHEDULE: dict = {
    # Declared consents whose citizen review ended become final (consents.review).
    "finalize-reviews": {
        "task": "consents.tasks.finalize_reviews",
        "schedule": env.float("REVIEW_FINALIZE_EVERY_S", default=5 * 60),
        # A backlog of ticks (worker down) collapses: the next run does all the due work anyway.
        "options": {"expires": env.float("REVIEW_FINALIZE_EVERY_S", default=5 * 60)},
    },
    # Providers' tiers from their distinct approved addresses, nightly (03:15 Istanbul).
    "count-provider-tiers": {
        "task": "consents.tasks.schedule_tier_counts",
        "schedule": crontab(minute=15, hour=3),
    },
    # Citizens told once when a declaration period becomes visible, and reminded before its review ends.
    "review-notifications": {
        "task": "consents.tasks.dispatch_review_notifications",
        "schedule": env.float("REVIEW_NOTIFY_EVERY_S", default=60 * 60),
    },
    # Tasks that committed work recorded while the broker was unreachable are queued (consents/outbox.py).
    "outbox": {
        "task": "consents.dispatch_outbox",
        "schedule": env.float("OUTBOX_SWEEP_EVERY_S", default=10),
        "options": {"expires": env.float("OUTBOX_SWEEP_EVERY_S", default=10)},
    },
    # API batches and push deliveries whose task was lost (a killed worker) are queued again (consents/api/tasks.py).
    "api-sweep": {
        "task": "consents.api.sweep",
        "schedule": env.float("API_SWEEP_EVERY_S", default=20),
        "options": {"expires": env.float("API_SWEEP_EVERY_S", default=20)},
    },
    # Uploads whose task was lost with its worker are queued again (they resume after the last chunk).
    "upload-sweep": {
        "task": "consents.sweep_stalled_uploads",
        "schedule": env.float("UPLOAD_SWEEP_EVERY_S", default=20),
        "options": {"expires": env.float("UPLOAD_SWEEP_EVERY_S", default=20)},
    },
    # Campaign pre-checks: result files past PRECHECK_RESULT_KEEP_HOURS deleted, lost tasks queued again.
    "campaign-check-sweep": {
        "task": "consents.sweep_campaign_checks", "schedule": 5 * 60, "options": {"expires": 5 * 60},
    },
    # API users' 24-hour success rates; operators are e-mailed when one falls under İYS's 70 % (consents.api).
    "integrator-health": {
        "task": "consents.api.check_integrator_health",
        "schedule": env.float("API_HEALTH_EVERY_S", default=15 * 60),
        "options": {"expires": env.float("API_HEALTH_EVERY_S", default=15 * 60)},
    },
    # History rows join their brand's hash chain (consents.ledger.chain): lazily, by one sealer.
    "seal-history": {
        "task": "consents.ledger.seal_history",
        "schedule": env.float("HISTORY_SEAL_EVERY_S", default=60),
        "options": {"expires": env.float("HISTORY_SEAL_EVERY_S", default=60)},
    },
    # Yesterday's reconciliation (mutabakat) of every brand with movements, after midnight in Istanbul.
    "build-daily-reconciliation": {"task": "consents.ledger.build_daily", "schedule": crontab(minute=20, hour=0)},
    # The dashboard's running totals: each database session adds to its own rows; fold them into one per key.
    "compact-dashboard-counts": {
        "task": "providers.compact_dashboard_counts", "schedule": 5 * 60, "options": {"expires": 5 * 60},
    },
    # Citizens told when a business recorded ONAY over their own RET; catches the upload path's rows.
    "rejection-override-notices": {
        "task": "citizens.notify_rejection_overrides", "schedule": 5 * 60, "options": {"expires": 5 * 60},
    },
}
# Rows older than this are surely committed (longer than any transaction); the sealer stops re-checking them.
HISTORY_SEAL_SAFE_AFTER_S = env.int("HISTORY_SEAL_SAFE_AFTER_S", default=3600)
# İYS judges a caller's success rate only from this many requests in 24 hours on.
API_HEALTH_MIN_REQUESTS = env.int("API_HEALTH_MIN_REQUESTS", default=20_000)
# Who is e-mailed about integrator alerts; empty = every active staff user with an address.
OPERATOR_EMAILS = env.list("OPERATOR_EMAILS", default=[])
# An upload still QUEUED/RUNNING this long after it was made is re-queued by the sweep (harmless if it runs:
# its runner holds the upload's advisory lock and the copy returns at once).
UPLOAD_SWEEP_AFTER_S = env.float("UPLOAD_SWEEP_AFTER_S", default=20)
API_SWEEP_EVERY_S = env.float("API_SWEEP_EVERY_S", default=20)
# Retry-After of the 503 answered while PostgreSQL or Redis is unreachable (config/outage.py).
OUTAGE_RETRY_AFTER_S = env.int("OUTAGE_RETRY_AFTER_S", default=5)
# A campaign pre-check's result ZIP (people's numbers and addresses) is deleted this long after it finished.
PRECHECK_RESULT_KEEP_HOURS = env.float("PRECHECK_RESULT_KEEP_HOURS", default=24)
# Chunk of the review finaliser: one short transaction each (see bench/finalize.py for the tuning).
REVIEW_FINALIZE_CHUNK_SIZE = env.int("REVIEW_FINALIZE_CHUNK_SIZE", default=1000)
# A finaliser task works this long, then re-queues itself: well under the soft time limit.
REVIEW_FINALIZE_TASK_BUDGET_S = env.float("REVIEW_FINALIZE_TASK_BUDGET_S", default=60.0)
# Citizens are reminded this many days before a period's review deadline.
REVIEW_REMINDER_DAYS = env.int("REVIEW_REMINDER_DAYS", default=5)

# --- Outgoing messages.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="ileti <noreply@ileti.local>")
SMS_BACKEND = env("SMS_BACKEND", default="citizens.sms.backends.console.SmsBackend")
SMS_GATEWAY_URL = env("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env("SMS_GATEWAY_TOKEN", default="")
SMS_INBOUND_SECRET = env("SMS_INBOUND_SECRET", default="")
# The short number citizens text "RET <brand code>" to; the gateway forwards those messages to /sms/inbound/.
SMS_RET_NUMBER = env("SMS_RET_NUMBER", default="3607")
# The rejection line (citizens.telephony): a citizen calls it and keys in a brand code to stop its calls.
TELEPHONY_BACKEND = env("TELEPHONY_BACKEND", default="citizens.telephony.backends.console.TelephonyBackend")
# The reconciliation's RFC 3161 time-stamps (consents.ledger.timestamp): the signing key and its certificate, as
# PEM text or as files. Unset: a development key and self-signed certificate made once under MEDIA_ROOT/ledger/tsa/.
TIMESTAMP_KEY = env("TIMESTAMP_KEY", default="")
TIMESTAMP_CERT = env("TIMESTAMP_CERT", default="")
TIMESTAMP_KEY_FILE = env("TIMESTAMP_KEY_FILE", default="")
TIMESTAMP_CERT_FILE = env("TIMESTAMP_CERT_FILE", default="")
CALL_INBOUND_SECRET = env("CALL_INBOUND_SECRET", default="")  # HMAC key the gateway signs calls with
CALL_SIGNATURE_TOLERANCE_S = env.int("CALL_SIGNATURE_TOLERANCE_S", default=300)
CALL_RET_NUMBER = env("CALL_RET_NUMBER", default="0850 000 36 07")

SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# --- Uploads.
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=200 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Any other page refuses a larger body on its Content-Length, unread (config/body_limit.py; the upload page
# takes UPLOAD_MAX_BYTES plus its form fields, the API API_MAX_BODY_BYTES).
REQUEST_MAX_BODY_BYTES = env.int("REQUEST_MAX_BODY_BYTES", default=20 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Integration API (consents/api): limits per second per token and per client address, the token
# endpoint per address per hour, how long the change feed lets movements settle, push retry backoff.
API_RATE_LIMIT_PER_SECOND = env.int("API_RATE_LIMIT_PER_SECOND", default=50)
API_RATE_LIMIT_PER_ADDRESS_PER_SECOND = env.int("API_RATE_LIMIT_PER_ADDRESS_PER_SECOND", default=100)
API_TOKEN_RATE_LIMIT_PER_HOUR = env.int("API_TOKEN_RATE_LIMIT_PER_HOUR", default=100)
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=2 * 1024 * 1024)
API_CHANGES_SETTLE_SECONDS = env.int("API_CHANGES_SETTLE_SECONDS", default=60)
API_PUSH_RETRY_BASE_SECONDS = env.int("API_PUSH_RETRY_BASE_SECONDS", default=30)

# --- Proxies. The client address (rate limits, audit rows, logs: config/client_ip.py) is REMOTE_ADDR unless the
# request came through proxies we trust: the nearest TRUSTED_PROXY_COUNT hops, or hops inside TRUSTED_PROXIES
# (CIDRs). Only then is X-Forwarded-For read, and only the entries those proxies appended.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# --- Content-Security-Policy (django-csp). Nothing inline runs or styles: every script and stylesheet is a
# static file of our own (the API docs' Swagger UI too), so an injected <script> or style="" does nothing.
# The one exception is django-import-export's export page, whose template has a "select all" handler and two
# style attributes: they are allowed by their exact hashes ('unsafe-hashes' admits hashed attributes only,
# nothing else inline). Re-hash them if an upgrade of django-import-export changes that template.
IMPORT_EXPORT_INLINE_HASHES = {
    "script": ["'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='"],  # onSelectToggleChange(event)
    "style": [
        "'sha256-mHgUAqxc8GPXM/QhzkHrHujcrQTU9fd6ZjWz+icxKcA='",  # padding: 0;
        "'sha256-+YWRMZ88jMyO7jVlBA52tZADiPobPIUA8LAWee68Fvs='",  # font-weight: bold;
    ],
}
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, UNSAFE_HASHES, *IMPORT_EXPORT_INLINE_HASHES["script"]],
        "style-src": [SELF, UNSAFE_HASHES, *IMPORT_EXPORT_INLINE_HASHES["style"]],
        # Swagger UI and the admin draw some icons from data: URIs in their stylesheets.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Sign-in brute force (django-axes) for the business portal and the admin; citizens sign in with one-time
# codes, which have their own limits (citizens/otp.py), and the API token endpoint its own (consents/api).
# A username is locked from one address after AXES_FAILURE_LIMIT failures in a row; the lock lifts after the
# cool-off (each further try during it starts the cool-off again) or when an operator deletes the attempt in
# the admin (Axes > access attempts). Locking by username+address, not by username alone, keeps an attacker
# from locking a real user out from everywhere.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.lockout.locked_out"
# The address behind our trusted proxies, as for every other limit.
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"

# --- Logs. LOG_FORMAT=json writes one JSON object per line (python-json-logger) for log shippers: time, level,
# logger, message, request_id (the X-Request-ID answered to the client, or the Celery task id) and client_ip.
LOG_FORMAT = env("LOG_FORMAT", default="plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "client_ip": {"()": "config.client_ip.ClientIpLogFilter"},
        "request_id": {"()": "config.observability.RequestIdLogFilter"},
    },
    "formatters": {
        "plain": {"format": "%(levelname)s %(name)s [%(client_ip)s] %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["asctime", "levelname", "name", "message", "request_id", "client_ip"],
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["client_ip", "request_id"],
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
# Celery workers replace the root logger's handlers with their own format unless told not to: JSON logs keep
# Django's configuration in the workers too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

# --- Operations endpoints (docs/operations.md). /metrics answers only a scraper with METRICS_TOKEN (sent as
# "Authorization: Bearer <token>") and/or from METRICS_ALLOWED_NETWORKS (CIDRs, the client address behind our
# trusted proxies); with neither set it is closed (404).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=[])
# /healthz reports a queue as behind (a warning, see config/health.py) beyond these.
HEALTH_QUEUE_MAX_DEPTH = env.int("HEALTH_QUEUE_MAX_DEPTH", default=10_000)
HEALTH_QUEUE_MAX_AGE_S = env.float("HEALTH_QUEUE_MAX_AGE_S", default=300)
