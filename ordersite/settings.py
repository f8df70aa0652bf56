"""Settings for ordersite, read from the environment (see README, "Configuration")."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from ordersite.env import (
    env_bool,
    env_database,
    env_ed25519_public_key,
    env_float,
    env_int,
    env_list,
    env_log_level,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# Off unless asked for: a deployment that forgets it shows no tracebacks and keeps its cookies
# Secure.
DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off: set SECRET_KEY in the environment to a "
            "long random string (or DEBUG=1 on a development machine)"
        )
    # Development only: never used with DEBUG off, so it protects nothing real.
    SECRET_KEY = "django-insecure-development-only-key-do-not-deploy-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Demo mode shows the demo users' password on the login page, lets `manage.py demo_users` make
# them and installs the Telnyx sandbox (`manage.py sandbox`); `make demo` turns it on.
DEMO_MODE = env_bool("DEMO_MODE", False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "orders",
    "webhooks",
    # The fake Telnyx has no place in production: only the demo (and the tests) install it.
    *(["sandbox"] if DEMO_MODE else []),
]

# A trusted intranet proxy may authenticate people and pass the user name in a header.
TRUST_REMOTE_USER = env_bool("TRUST_REMOTE_USER", False)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages are tables of repeated markup that compress well (docs/performance.md); Django pads the
    # compressed body and masks the CSRF token per request against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    *(["ordersite.auth.TrustedHeaderMiddleware"] if TRUST_REMOTE_USER else []),
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "orders.time_zones.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

AUTHENTICATION_BACKENDS = [
    *(["django.contrib.auth.backends.RemoteUserBackend"] if TRUST_REMOTE_USER else []),
    "django.contrib.auth.backends.ModelBackend",
]
# The request header (WSGI name) that the proxy fills in, e.g. HTTP_X_REMOTE_USER.
REMOTE_USER_HEADER = env_str("REMOTE_USER_HEADER", "REMOTE_USER")

ROOT_URLCONF = "ordersite.urls"
WSGI_APPLICATION = "ordersite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "ordersite.context_processors.site",
                "orders.context_processors.freshness",
            ],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# The queue's page and totals (orders/selectors/queue_cache.py), keyed by the orders' change token:
# per process, so each worker computes them once per change to the orders.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ordersite"}
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Nothing is loaded from anywhere but this site: no CDN, no inline script or style.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
}

SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = False
# Intranet host names cannot go on the browsers' public HSTS preload list.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

# Telnyx. The key is a secret: it lives only in the environment, never in the repo or logs.
TELNYX_API_KEY = env_str("TELNYX_API_KEY")
TELNYX_API_BASE = env_url("TELNYX_API_BASE", "https://api.telnyx.com/v2")
TELNYX_TIMEOUT = env_float("TELNYX_TIMEOUT", 10.0, minimum=0.1)
# The most a person waits on Telnyx for one action (update, cancel, refresh), retries included;
# gunicorn.conf.py keeps the worker timeout well above it.
TELNYX_INTERACTIVE_BUDGET = env_float("TELNYX_INTERACTIVE_BUDGET", 8.0, minimum=0.5)
TELNYX_MAX_RETRIES = env_int("TELNYX_MAX_RETRIES", 3, minimum=0)
TELNYX_SYNC_CONCURRENCY = env_int("TELNYX_SYNC_CONCURRENCY", 8, minimum=1)
# Requests a sync may spend on Telnyx's comments (a pending sub order's thread each): Telnyx has
# no webhook for them. The threads left over are fetched first by the next sync.
SYNC_COMMENTS_BUDGET = env_int("SYNC_COMMENTS_BUDGET", 200, minimum=0)
# Pages warn that what they show may be out of date once the last successful sync is older.
SYNC_STALE_AFTER = env_int("SYNC_STALE_AFTER", 60, minimum=1)  # minutes
# How often (seconds) an open list or order page asks whether its orders changed.
CHANGES_POLL_SECONDS = 10
# Webhooks: the account's public key from the Telnyx portal (base64). Unset, every delivery is
# refused, since an unverified one could rewrite the cache.
TELNYX_PUBLIC_KEY = env_ed25519_public_key("TELNYX_PUBLIC_KEY")
# How far a delivery's timestamp may be from our clock, either way, before it counts as a replay.
TELNYX_WEBHOOK_TOLERANCE = env_int("TELNYX_WEBHOOK_TOLERANCE", 300, minimum=1)

# Background work (bulk fixes, webhook events that need Telnyx): Django's tasks framework, kept
# in the database and run by `manage.py db_worker` processes, on any number of hosts.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# Orders a bulk fix sends to Telnyx at once (threads of the one worker running it).
BULK_FIX_CONCURRENCY = env_int("BULK_FIX_CONCURRENCY", 8, minimum=1)
# Seconds a bulk fix's runner holds its lease between renewals: a worker that died is replaced
# by another once this has run out.
BULK_FIX_LEASE = env_int("BULK_FIX_LEASE", 60, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_log_level("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
