"""perfmgmt settings: one file, read from the environment (see .env.example).

Local runs get safe defaults (DEBUG on, the embedded PostgreSQL, a broker that needs no server);
with DEBUG off the production values are required and a missing one fails loudly.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import time
from pathlib import Path

import dj_database_url
import pghistory
from celery.schedules import crontab
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PERFMGMT_VAR_DIR") or BASE_DIR / "var")


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from exc


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_required(name: str, local_default: str) -> str:
    value = os.environ.get(name, "")
    if value:
        return value
    if DEBUG:
        return local_default
    raise ImproperlyConfigured(f"{name} must be set when DEBUG is off")


# Values that are public (the example file, old defaults, placeholders): never a production key.
KNOWN_WEAK_SECRET_KEYS = {
    "change-me",
    "changeme",
    "secret",
    "insecure-local-only-key-never-use-in-production",
}


def weak_secret_key(value: str) -> str | None:
    """Why `value` is unfit to sign sessions and reset links, or None when it is fit."""
    if value.strip().lower() in KNOWN_WEAK_SECRET_KEYS or value.startswith("django-insecure"):
        return "it is a published example value"
    if len(value) < 50 or len(set(value)) < 5:
        return "it is shorter than 50 characters or has fewer than 5 different ones"
    return None


def local_secret_key(path: Path) -> str:
    """A random key kept under var/ for local runs, so no run uses a key printed in the code.

    Created once (O_EXCL: parallel test workers agree on the first one written)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    for _ in range(50):  # another process may be between creating and writing the file
        value = path.read_text().strip()
        if value:
            return value
        time.sleep(0.02)
    raise ImproperlyConfigured(f"{path} is empty; delete it to make a new local key")


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = local_secret_key(VAR_DIR / "secret-key")
elif not DEBUG and (reason := weak_secret_key(SECRET_KEY)):
    raise ImproperlyConfigured(
        f"SECRET_KEY is refused: {reason}. Make one with "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
# Old keys still accepted for sessions and reset links while a new SECRET_KEY rolls out.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])


def field_encryption_keys() -> list[str]:
    """Fernet keys for secrets at rest (perfmgmt.encryption): the first encrypts, all decrypt.

    Required with DEBUG off. Local runs derive one from their own SECRET_KEY."""
    keys = env_list("FIELD_ENCRYPTION_KEYS", [])
    if not keys:
        if not DEBUG:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEYS must be set when DEBUG is off. Make one with python -c "
                "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            )
        digest = hashlib.sha256(b"perfmgmt field encryption " + SECRET_KEY.encode()).digest()
        return [base64.urlsafe_b64encode(digest).decode()]
    for index, key in enumerate(keys):
        try:
            Fernet(key)
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {index + 1} is not a Fernet key "
                "(32 bytes, url-safe base64)"
            ) from exc
    return keys


FIELD_ENCRYPTION_KEYS = field_encryption_keys()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "mozilla_django_oidc",
    # The audit trail: triggers (pgtrigger) that write event tables (pghistory).
    "pgtrigger",
    "pghistory",
    "perfmgmt",
    "objectives",
    "metrics",
    "reviews",
    "reviews.people",
]

MIDDLEWARE = [
    # Outermost: whatever answers an /api/ request with an error, the client gets JSON.
    "perfmgmt.middleware.ApiJsonErrorsMiddleware",
    # Then: an API body's size is checked before anything can read it.
    "perfmgmt.middleware.ApiBodyLimitMiddleware",
    # Before anything asks whether the request came over HTTPS or from which address.
    "perfmgmt.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): a TOTP code was given in this session.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Who is behind a write (perfmgmt.history): the signed-in person, or the API key once DRF
    # has authenticated it.
    "perfmgmt.history.AuditContextMiddleware",
    # Idle and absolute session timeouts, before any view acts on the signed-in user.
    "perfmgmt.middleware.SessionTimeoutMiddleware",
    # Someone with an authenticator app gives a code before any page.
    "perfmgmt.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "perfmgmt.tenancy.AdminScopesDisabledMiddleware",
    # Last: turns django-axes' refusal of a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "perfmgmt.urls"
WSGI_APPLICATION = "perfmgmt.wsgi.application"

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
            ],
            "builtins": ["perfmgmt.templatetags.people"],
        },
    },
]

# --- database: PostgreSQL in every mode -------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
CONN_MAX_AGE = env_int("CONN_MAX_AGE", 600)
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=CONN_MAX_AGE, conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL (postgres://...)")
elif DEBUG:
    from perfmgmt.embedded import embedded_database

    DATABASES = {
        "default": {
            **embedded_database(VAR_DIR / "pgdata"),
            "CONN_MAX_AGE": CONN_MAX_AGE,
            "CONN_HEALTH_CHECKS": True,
        }
    }
else:
    raise ImproperlyConfigured("DATABASE_URL must be set when DEBUG is off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- the audit trail (perfmgmt.history) -------------------------------------------------------
# An event row is written for every row a statement touches, so each index on an event table is
# paid on every bulk upsert: the copied foreign keys (KPI, people, keys, context) get none; the
# object (its history) and, per table, organisation + time (the audit log) do.
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)
PGHISTORY_CONTEXT_FIELD = pghistory.ContextForeignKey(db_index=False)

# --- sign-in ----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First: django-axes refuses a locked-out username or address before any password check.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 12)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed sign-ins (login page and admin alike) before the account, and separately the address,
# is locked out for LOGIN_LOCKOUT_MINUTES. A failure during the lockout starts it again. An admin
# unlocks early in the admin (Axes → Access attempts: delete the rows) or with
# `manage.py axes_reset_username <name>` / `axes_reset_ip <address>`.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_float("LOGIN_LOCKOUT_MINUTES", 15) / 60  # hours, as axes counts
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Only the last hop is believed unless a trusted proxy is named (TRUSTED_PROXY below).
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# Sessions: signed out after SESSION_IDLE_MINUTES without a request, and SESSION_MAX_HOURS after
# signing in whatever happens (perfmgmt.middleware.SessionTimeoutMiddleware).
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_MINUTES", 30) * 60
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_MAX_HOURS", 10) * 3600
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_MINUTES", 60) * 60
# Single sign-on (OpenID Connect), on when OIDC_RP_CLIENT_ID is set: people sign in at the
# provider and land in the existing account with the same, provider-verified, email.
OIDC_ENABLED = bool(os.environ.get("OIDC_RP_CLIENT_ID"))
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_ISSUER = os.environ.get("OIDC_OP_ISSUER", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email"
OIDC_CREATE_USER = False
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
OIDC_USE_PKCE = True
LOGIN_REDIRECT_URL_FAILURE = "/accounts/login/?sso=failed"
if OIDC_ENABLED:
    _oidc_missing = [
        name
        for name in (
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_OP_ISSUER",
            "OIDC_OP_AUTHORIZATION_ENDPOINT",
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
        )
        if not globals()[name]
    ]
    if _oidc_missing:
        raise ImproperlyConfigured(f"OIDC_RP_CLIENT_ID is set; also set {', '.join(_oidc_missing)}")
    AUTHENTICATION_BACKENDS.append("perfmgmt.oidc.VerifiedEmailBackend")
# The name authenticator apps show next to the code.
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "perfmgmt")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "perfmgmt.staticfinders.PlotlyFinder",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "org-picker"
LOGOUT_REDIRECT_URL = "login"

# --- HTTPS, headers and cookies -----------------------------------------------------------------
# Production is HTTPS only. A test server spoken to over plain HTTP on loopback turns both off.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# The load balancer's probe speaks plain HTTP to the container.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
_secure_cookies = env_bool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = _secure_cookies
# __Host-: the browser keeps the cookie only if it is Secure, for this exact host and path /.
SESSION_COOKIE_NAME = "__Host-sessionid" if _secure_cookies else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if _secure_cookies else "csrftoken"
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600) if SECURE_SSL_REDIRECT else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# X-Forwarded-Proto and X-Forwarded-For are believed only from the proxies named here (their
# addresses as gunicorn sees them, comma-separated; compose: the caddy service's fixed address).
# From anyone else perfmgmt.middleware.TrustedProxyMiddleware drops them, so no client can claim
# to have come over HTTPS or from another address.
TRUSTED_PROXY = env_list("TRUSTED_PROXY", [])
if TRUSTED_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_PROXY_TRUSTED_IPS = TRUSTED_PROXY
# Content-Security-Policy: our own origin only. No inline script or style and no eval: htmx,
# plotly and our JS and CSS come from our static files. Three <style> elements that the vendor
# scripts (served by us) insert are allowed by the hash of their fixed content, not by
# 'unsafe-inline': htmx's indicator rule, the empty sheet plotly fills through the CSSOM, and
# the map styles plotly bundles. A vendor upgrade that changes one shows up as a violation in
# the browser tests (tests/e2e/conftest.py).
CSP_VENDOR_STYLE_HASHES = [
    "'sha256-faU7yAF8NxuMTNEwVmBz+VcYeIoBQ2EMHW3WaVxCvnk='",  # htmx 2: .htmx-indicator
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",  # plotly: an empty <style>
    "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='",  # plotly: maplibre-gl's CSS
]
# htmx settles a swapped element by copying its `style` attribute, empty in our templates: the
# hash of the empty string allows `style=""` and nothing else.
CSP_EMPTY_STYLE_ATTRIBUTE = [
    "'unsafe-hashes'",
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", *CSP_VENDOR_STYLE_HASHES],
        "style-src-attr": CSP_EMPTY_STYLE_ATTRIBUTE,
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Values and imports can be large; the API caps its own bodies separately.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 20 * 1024 * 1024)

EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH") or str(VAR_DIR / "mail")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds an SMTP connect or reply may take: without it one silent mail server holds a reminder
# run until the task is killed.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "perfmgmt <perfmgmt@localhost>")

# --- Celery ------------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    # The embedded default: a broker on the local filesystem, so no server is needed.
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
# A task is acknowledged only when it has finished, so a worker that dies mid-task leaves it
# in Redis's "unacked" set. Kombu puts such a task back on the queue once it is older than
# `visibility_timeout`, checked every `unacked_restore_interval` seconds (the throttle of 1 makes
# every check a real scan; by default only one in ten is, which adds ~100 s). With 60 s and 5 s a
# dead worker's task runs again within about a minute. The price: no task may run longer than the
# visibility timeout, or it would be handed out twice, hence the hard time limit well below it.
# Tasks are short by design (one source pull, one organisation's reminders) and idempotent.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 60)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 40)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 10
if CELERY_TASK_TIME_LIMIT >= CELERY_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured("CELERY_TASK_TIME_LIMIT must stay below CELERY_VISIBILITY_TIMEOUT")
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
        "unacked_restore_interval": 5,
        "unacked_restore_throttle": 1,
    }
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "dispatch-due-sources": {"task": "metrics.tasks.sources_dispatch", "schedule": 60.0},
    "dispatch-reminders": {"task": "reviews.tasks.reminders_dispatch", "schedule": 300.0},
    # Packs the broker lost or whose worker died, and each organisation's automatic pack.
    "dispatch-packs": {"task": "reviews.tasks.packs_dispatch", "schedule": 60.0},
    # Forecasts of the KPIs whose values changed, once a burst of values has settled.
    "dispatch-forecasts": {"task": "metrics.tasks.forecasts_dispatch", "schedule": 60.0},
    # The people layer's retention periods (records of people who have left), daily at 03:10.
    "people-retention": {
        "task": "reviews.people.tasks.people_retention_dispatch",
        "schedule": crontab(minute=10, hour=3),
    },
    # Each organisation's forecasts and lead→lag evidence, on the 1st of the month at 02:30 UTC
    # (values arriving also recompute their KPI's forecast, debounced).
    "foresight-monthly": {
        "task": "metrics.tasks.foresight_dispatch",
        "schedule": crontab(minute=30, hour=2, day_of_month=1),
    },
}
# A task still marked as running this long after it started is dead: the hard time limit would
# have stopped it, and the margin covers clocks and the kill itself. Past it the sweep closes a
# pull's run and a reminder's claim may be taken over.
TASK_LOST_AFTER = CELERY_TASK_TIME_LIMIT + 15
# Pulls: HTTP timeout, largest document read, and failures in a row before the owner is told.
SOURCE_HTTP_TIMEOUT = env_int("SOURCE_HTTP_TIMEOUT", 15)
SOURCE_MAX_BYTES = env_int("SOURCE_MAX_BYTES", 20 * 1024 * 1024)
SOURCE_FAILURES_BEFORE_ALERT = env_int("SOURCE_FAILURES_BEFORE_ALERT", 3)
# Attempts of one scheduled pull (transient errors, lost workers) before the slot is given up.
SOURCE_PULL_MAX_ATTEMPTS = env_int("SOURCE_PULL_MAX_ATTEMPTS", 3)
# Seconds a queued pull may wait for a worker before the sweep assumes the broker lost it and
# hands it out again (a duplicate is harmless: the run is taken once).
SOURCE_REQUEUE_AFTER = env_int("SOURCE_REQUEUE_AFTER", 180)
# Attempts to send one reminder (SMTP or webhook errors) before it is given up, and the timeout
# of a webhook call.
REMINDER_MAX_ATTEMPTS = env_int("REMINDER_MAX_ATTEMPTS", 5)
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 10)
# Outbound requests (pulls, webhooks) refuse loopback, private, link-local and metadata
# addresses (perfmgmt.outbound). Networks named here (CIDR, comma-separated) are allowed all the
# same: a data warehouse on the internal network. Local runs allow loopback.
OUTBOUND_ALLOWED_NETWORKS = env_list(
    "OUTBOUND_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"] if DEBUG else []
)
OUTBOUND_MAX_REDIRECTS = env_int("OUTBOUND_MAX_REDIRECTS", 3)
# Hours after the check-in hour before a missing check-in is escalated to the team lead.
CHECKIN_ESCALATION_HOURS = env_int("CHECKIN_ESCALATION_HOURS", 24)
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# --- the monthly business-review pack ----------------------------------------------------------
# Pack files go through Django's storage API: the filesystem under MEDIA_ROOT by default (never
# served as static files: a view checks the membership before it streams one).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or VAR_DIR / "media")
# Every form renders its fields one way (templates/forms/).
FORM_RENDERER = "perfmgmt.rendering.FormRenderer"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production serves hashed, compressed files (collectstatic builds them in the image) that
    # browsers may cache for a year; DEBUG and tests read the source files as they are.
    # STATIC_MANIFEST=0 serves them unhashed with DEBUG off (a test server without collectstatic).
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Owners' commentary on a month's KPIs is due this many working days before the monthly review
# (the organisation's review day: PACK_REVIEW_WORKING_DAY working days into the next month).
PACK_COMMENTARY_DUE_WORKING_DAYS = env_int("PACK_COMMENTARY_DUE_WORKING_DAYS", 2)
PACK_REVIEW_WORKING_DAY = env_int("PACK_REVIEW_WORKING_DAY", 5)
# 0: no automatic pack. n: on the n-th working day after month end the pack of the month is
# generated and executives and finance get a link to it.
PACK_AUTO_WORKING_DAY = env_int("PACK_AUTO_WORKING_DAY", 0)

# --- attention score (reviews.attention) -------------------------------------------------------
# What each signal adds to a KPI's or an objective's attention score; the exceptions list, the
# executive dashboard and the review agenda rank by the sum and name every signal that fired.
# A forecast miss counts its weight times the chance of missing the target (0–1); the others
# count whole. An objective scores its own signals plus the highest score among its KPIs.
ATTENTION_WEIGHTS: dict[str, float] = {
    "forecast_miss": 3.0,  # the forecast says the period's target will (probably) be missed
    "lead_deteriorating": 2.5,  # a declared lead KPI worse three periods running
    "red": 2.0,  # off target now
    "story_disagrees": 2.0,  # the check-in says on track while the KPIs say otherwise
    "deteriorating": 2.0,  # the trend runs against the KPI's direction (worse three times)
    "off_twice": 1.5,  # amber or red two periods running
    "low_confidence": 1.5,  # the owner's last check-in reported low confidence
    "target_moved": 1.0,  # the target was changed while its period was running
    "stale": 1.0,  # no value for its last period
    "estimates": 0.5,  # most of its recent numbers are only estimates
}

# --- REST framework ----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "perfmgmt.api.ApiAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "perfmgmt.api_auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["perfmgmt.api_auth.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "perfmgmt.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Largest API request body: 50,000 values fit in well under this.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 16 * 1024 * 1024)
API_MAX_BATCH = env_int("API_MAX_BATCH", 50_000)
# Requests per API key (or signed-in person): "<n>/<second|minute|hour|day>".
API_THROTTLE_RATE = os.environ.get("API_THROTTLE_RATE", "1200/minute")
IDEMPOTENCY_KEY_HOURS = env_int("IDEMPOTENCY_KEY_HOURS", 24)

# Throttle counters must be shared by every web worker: Redis when there is one. The web tier
# never depends on Redis: the backend fails open (a miss, a no-op) when Redis is down or silent,
# waits at most REDIS_SOCKET_TIMEOUT for it, then skips it for REDIS_CIRCUIT_SECONDS.
REDIS_SOCKET_TIMEOUT = env_float("REDIS_SOCKET_TIMEOUT", 0.25)
REDIS_CIRCUIT_SECONDS = env_float("REDIS_CIRCUIT_SECONDS", 5)
CACHES = {
    "default": {
        "BACKEND": "perfmgmt.cache.FailOpenRedisCache",
        "LOCATION": REDIS_URL,
        "CIRCUIT_SECONDS": REDIS_CIRCUIT_SECONDS,
        "OPTIONS": {
            "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
            "socket_timeout": REDIS_SOCKET_TIMEOUT,
        },
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
if REDIS_URL:
    # A publish to a dead or hung broker fails within seconds instead of blocking its caller.
    # Not sub-second like the cache: the worker's connection uses it too, and its blocking
    # BRPOP waits 1 s for a task, so the timeout must stay above that.
    _broker_timeout = env_float("CELERY_BROKER_SOCKET_TIMEOUT", 2)
    CELERY_BROKER_TRANSPORT_OPTIONS.update(
        {"socket_connect_timeout": _broker_timeout, "socket_timeout": _broker_timeout}
    )
SPECTACULAR_SETTINGS = {
    "TITLE": "perfmgmt API",
    "DESCRIPTION": "Strategy cascade and metric ingestion for one organisation.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs are for people signed in or holding a key.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The Balanced-Scorecard perspectives are one choice set wherever an endpoint names them.
    "ENUM_NAME_OVERRIDES": {"PerspectiveEnum": "objectives.models.Perspective"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
