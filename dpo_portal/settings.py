"""Settings for the DPO Portal, read from the environment.

The embedded default is SQLite under var/ and a local Redis; DATABASE_URL and REDIS_URL switch to
PostgreSQL and a shared Redis. DEBUG is off unless asked for, and then SECRET_KEY is required.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug-mode"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Before the admin, so that its admin classes and translation registrations load first.
    "modeltranslation",
    "dpo_portal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "import_export",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_countries",
    # Serves Swagger UI's assets for /api/v1/docs/ from the static files (no CDN, CSP-clean).
    "ninja",
    # Our apps, in dependency order: an app may import only from those above it.
    "dpo_portal.legal",
    "dpo_portal.register",
    "dpo_portal.recipients",
    "dpo_portal.audit",
    "dpo_portal.approvals",
    "dpo_portal.jobs",
    "dpo_portal.notifications",
    "dpo_portal.security",
    "dpo_portal.api",
    "dpo_portal.connectors",
    "consent",
    "retention",
    "requests",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Marks request.user verified once a second factor was entered in this session, then sends
    # staff who need one and have not entered it to enrolment or verification.
    "django_otp.middleware.OTPMiddleware",
    "dpo_portal.security.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes must come last: it reads the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dpo_portal.urls"
WSGI_APPLICATION = "dpo_portal.wsgi.application"

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
                "csp.context_processors.nonce",
            ],
        },
    },
    {
        # Plain text (mail bodies, letters): the same templates, nothing HTML-escaped. Used
        # through dpo_portal.notifications.mail; never for a page a browser renders.
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: the portal's statements are short, and a few of them (the request
    # page's counts of a person's held records, whose hold tests the planner costs high) paid
    # 30 ms of compiling for a 9 ms query. The sweep's timings without it are within their
    # run-to-run swing of those with it (docs/performance.md, "Staff at once on a working
    # server").
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Axes first, so a locked-out user is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, with a user's own and group permissions read in one query.
    "dpo_portal.security.backends.ModelBackendOneQuery",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Dates and numbers dressed up with dashes, and the portal's own words (demo, portal, …).
    {"NAME": "dpo_portal.security.validators.NotOnlyDigitsAndPunctuationValidator"},
    {"NAME": "dpo_portal.security.validators.ContextWordsValidator"},
]

# Failed logins: five tries per account (from any address) or per address (for any account),
# then a one-hour lock-out. Per account stops a guesser who rotates addresses; per address stops
# one who rotates user names.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/lockout.html"

LANGUAGE_CODE = "az"
LANGUAGES = [("az", _("Azerbaijani")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Register content (names, descriptions, purposes...) is kept in both languages; the Azerbaijani
# value is the one a form requires, and a missing value falls back to the other language.
MODELTRANSLATION_DEFAULT_LANGUAGE = "az"
MODELTRANSLATION_LANGUAGES = ("az", "en")
MODELTRANSLATION_FALLBACK_LANGUAGES = {"default": ("az", "en")}
TIME_ZONE = "Asia/Baku"
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# The project's own static files (the portal's CSS and JS shared by every app, the favicon); the
# apps keep theirs in <app>/static/.
STATICFILES_DIRS = [BASE_DIR / "dpo_portal" / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Request attachments (scanned applications, ID copies, correspondence): private, outside
    # MEDIA_ROOT and STATIC_ROOT, and never given a URL; read only through the checked view.
    "attachments": {
        "BACKEND": os.environ.get(
            "ATTACHMENTS_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"
        ),
        "OPTIONS": {
            "location": os.environ.get("ATTACHMENTS_ROOT", str(VAR_DIR / "attachments")),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Production hardening: on whenever DEBUG is off, so `check --deploy` is clean.
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Permissions-Policy has no Django setting: dpo_portal.security.middleware adds it.
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
)

# Content-Security-Policy (django-csp 4): everything from our own origin, scripts only from files
# or with the per-response nonce, never inline handlers. Styles allow inline because the Django
# admin's own templates carry style attributes; a style cannot run code.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# The integration API (/api/v1/, dpo_portal/api, django-ninja): tokens per system, problem+json
# errors, cursor pages, a request budget per token (API_TOKEN_RATE, "count/s|min|hour|day").
API_TOKEN_RATE = os.environ.get("API_TOKEN_RATE", "600/min")
API_MAX_BODY_BYTES = 1024 * 1024
# Each API endpoint bounds its body by Content-Length before reading it (a batch of 10,000
# records is ~3 MB, a request with scanned attachments up to 12 MB); Django's own bound must
# let those through. Admin forms send far less; file uploads are not counted here.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# Webhooks out (dpo_portal/api/webhooks.py): tries, backoff base (doubling), timeout, and the
# replay window a receiver should allow for X-DPO-Timestamp.
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "6"))
WEBHOOK_BACKOFF_SECONDS = float(os.environ.get("WEBHOOK_BACKOFF_SECONDS", "30"))
WEBHOOK_TIMEOUT_SECONDS = 10
WEBHOOK_REPLAY_WINDOW_SECONDS = 300

# Second factor (django-otp): TOTP apps and single-use recovery codes. Who must use it is
# decided per user by dpo_portal.security.policy (DPOs, compliance officers, superusers, and
# everyone in an organisation that asks for it).
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "DPO Portal")
SECOND_FACTOR_RECOVERY_CODES = 10
SESSION_COOKIE_AGE = 60 * 60 * 8
# Sessions are read from Redis (written to both): every staff page saved a query on them.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "dpo-portal@localhost")

# Celery: Redis as broker; tasks take ids only and return no personal data.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True  # a chunk whose worker died is redelivered, not lost
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# With acks_late, a task whose worker died (kill -9, OOM, lost machine) stays unacknowledged in
# Redis until this many seconds have passed, then goes to another worker. Redis's default is an
# hour, which left a sweep unfinished for that long. It must exceed the longest task (a sweep chunk
# takes seconds; the largest record import about a minute), or a task still running would be
# handed out a second time. Ten minutes by default; tests set it short.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "600")),
}
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A sweep whose worker died: the beat-driven closer (retention.tasks.close_quiet_sweeps) sends
# again the chunks of a sweep where nothing has happened for this long, so it finishes within
# minutes whatever the visibility timeout. Longer than the longest chunk (seconds), so a chunk
# still running is not sent twice (that would be harmless, only wasted work).
SWEEP_QUIET_SECONDS = int(os.environ.get("SWEEP_QUIET_SECONDS", "300"))
CELERY_BEAT_SCHEDULE = {
    "retention-close-quiet-sweeps": {
        "task": "retention.tasks.close_quiet_sweeps",
        "schedule": float(os.environ.get("SWEEP_CLOSER_INTERVAL", "60")),
    },
    # Late in the evening, so "disposed that day" covers the whole day.
    "retention-snapshots": {
        "task": "retention.tasks.take_retention_snapshots",
        "schedule": crontab(hour=23, minute=50),
    },
    "retention-sweep": {
        "task": "retention.tasks.run_nightly_sweep",
        "schedule": crontab(hour=1, minute=30),
    },
    "retention-portal-data-scrub": {
        "task": "retention.tasks.scrub_portal_data",
        "schedule": crontab(hour=2, minute=30),
    },
    "system-registration-reminders": {
        "task": "dpo_portal.register.tasks.send_system_registration_reminders",
        "schedule": crontab(hour=8, minute=0, day_of_week="mon"),
    },
    # Labour Code art. 105.4: the Cabinet fixes the next year's bayram dates by the end of
    # December; until the DPO records that decision, the bayram dates are estimates.
    "calendar-decision-reminders": {
        "task": "dpo_portal.register.tasks.send_calendar_decision_reminders",
        "schedule": crontab(hour=8, minute=45, day_of_week="mon", month_of_year=12),
    },
    "recipient-register-digest": {
        "task": "dpo_portal.recipients.tasks.send_recipient_digests",
        "schedule": crontab(hour=8, minute=15, day_of_week="mon"),
    },
    "connector-inventory-sync": {
        "task": "retention.tasks.sync_connected_systems",
        "schedule": crontab(hour=0, minute=40),
    },
    "request-reminders": {
        "task": "requests.tasks.send_request_reminders",
        "schedule": crontab(hour=8, minute=30),
    },
    "audit-chain-check": {
        "task": "dpo_portal.audit.tasks.verify_audit_chains",
        "schedule": crontab(hour=3, minute=15),
    },
    "privacy-centre-cleanup": {
        "task": "requests.tasks.privacy_centre_cleanup",
        "schedule": crontab(minute=20),
    },
    "request-details-scrub": {
        "task": "requests.tasks.scrub_closed_request_details",
        "schedule": crontab(hour=2, minute=45),
    },
    # Requests that arrive by e-mail: each organisation's mailbox (requests/mailbox/).
    "mailbox-intake": {
        "task": "requests.tasks.fetch_mailboxes",
        "schedule": crontab(minute="*/5"),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint narrates every step of every PDF at INFO.
    # pyHanko's messages quote certificate subjects: a signer's name and FIN.
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "pyhanko": {"level": "CRITICAL"},
        "pyhanko_certvalidator": {"level": "CRITICAL"},
    },
}

# E-signed applications (requests/signatures.py): how long one CRL or OCSP fetch may take.
ESIGNATURE_FETCH_TIMEOUT_SECONDS = int(os.environ.get("ESIGNATURE_FETCH_TIMEOUT_SECONDS", "10"))

# Keyed hash for the erasure suppression list: a separate secret, so that rotating SECRET_KEY
# does not silently let erased people back in through an import.
SUPPRESSION_HASH_KEY = os.environ.get("SUPPRESSION_HASH_KEY", SECRET_KEY)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "dpo",
    }
}

# Uploaded import files wait for confirmation in the cache (Redis), never as temp files on disk,
# and expire on their own if the user walks away.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_TMP_STORAGE_CLASS = "import_export.tmp_storages.CacheStorage"

# Every import is bounded before it is parsed (dpo_portal/jobs/imports.py); the forms state these.
IMPORT_MAX_FILE_BYTES = int(os.environ.get("IMPORT_MAX_FILE_BYTES", 50 * 1024 * 1024))
IMPORT_MAX_UNPACKED_BYTES = int(os.environ.get("IMPORT_MAX_UNPACKED_BYTES", 250 * 1024 * 1024))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 500_000))
IMPORT_MAX_CELL_CHARS = int(os.environ.get("IMPORT_MAX_CELL_CHARS", 2_000))
SIMPLE_HISTORY_REVERT_DISABLED = True

# The demo users' password (DEBUG only: load_demo refuses a production database). It passes the
# password validators, like any password a person would choose.
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "caspian-pomegranate-47")
# The demo API token of AllAll Finance's core loan system (DEBUG only, published like the
# password: dpo_portal/api/demo.py).
DEMO_API_TOKEN = os.environ.get(
    "DEMO_API_TOKEN", "dpo_d3m0a11a_core-loans-demo-token-published-in-readme"
)

# The largest attachment a request may carry (a scanned multi-page application fits easily).
REQUEST_ATTACHMENT_MAX_BYTES = int(os.environ.get("REQUEST_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))

# Where people reach the privacy centre: the mails sent to requesters link to it.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:8000")

# The privacy centre (requests/public/): how long a confirmation link lives, when an unconfirmed
# request is forgotten, how long and how often an access package may be downloaded by its link,
# and how many forms an address or an IP may send (past the limit: 429).
PRIVACY_CENTRE = {
    "verify_hours": 24,
    "unverified_days": 7,
    "package_link_hours": int(os.environ.get("PACKAGE_LINK_HOURS", "72")),
    "package_link_downloads": int(os.environ.get("PACKAGE_LINK_DOWNLOADS", "3")),
    "submissions_per_ip_per_hour": int(os.environ.get("PRIVACY_SUBMISSIONS_PER_IP", "20")),
    "submissions_per_address_per_day": int(os.environ.get("PRIVACY_SUBMISSIONS_PER_ADDRESS", "5")),
    "lookups_per_ip_per_hour": int(os.environ.get("PRIVACY_LOOKUPS_PER_IP", "30")),
}

# How long the portal keeps its own copies of personal data once they have served their purpose.
PORTAL_RETENTION = {
    "closed_request_details_days": int(os.environ.get("CLOSED_REQUEST_DETAILS_DAYS", "365")),
    "withdrawn_consent_evidence_days": 365,
}
