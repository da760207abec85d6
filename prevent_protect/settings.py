"""Settings for the Prevenir para Proteger portal.

Everything that differs between a laptop, CI and production comes from the
environment (see .env.example). The defaults are safe for development: SQLite,
eager Celery tasks, console email, debug on.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name, default=""):
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


# Core ---------------------------------------------------------------------
DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me" if DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=0")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")
# Chat 100 (Programa Aurora): the help lines link to it; a link only, the pages load nothing from there.
HELP_CHAT_URL = env("HELP_CHAT_URL", "https://chat100.aurora.gob.pe")

INSTALLED_APPS = [
    # The simple admin config, without autodiscovery: django-leaflet's admin module
    # imports GeoDjango, which needs GDAL. prevent_protect/urls.py imports the
    # admin modules the portal uses. Its site asks staff for the second factor.
    "accounts.admin_apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "leaflet",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "accounts",
    "regions",
    "programs",
    "activities",
    "reports",
    "publication",
    "campaign",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # NUL characters and bytes that are not UTF-8 in the address or a form: 400, before anything reads them.
    "prevent_protect.input_guard.InputGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Which device, if any, passed the second factor in this session; then the portal's rule:
    # staff and administrators reach the panel and the admin only after it.
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Axes must be last: it turns a locked-out login into a clear response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "prevent_protect.urls"
WSGI_APPLICATION = "prevent_protect.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
]

# Database -----------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        # A connection that died with a database restart is replaced on the next
        # request instead of failing it.
        conn_health_checks=True,
    )
}

# Accounts and login safety ------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "activities:panel"
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "accounts.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
# Two-factor sign-in (django-otp): a TOTP app plus recovery codes. Required for ministry staff and
# administrators, optional for coordinators. A wrong code makes the next try wait 1, 2, 4… seconds.
OTP_TOTP_ISSUER = "Prevenir para Proteger"
OTP_TOTP_THROTTLE_FACTOR = env_int("OTP_THROTTLE_FACTOR", 1)
OTP_RECOVERY_THROTTLE_FACTOR = env_int("OTP_THROTTLE_FACTOR", 1)

# Internationalisation: Spanish first, English alongside ------------------
LANGUAGE_CODE = "es"
LANGUAGES = [("es", _("Spanish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates that read one way only, in both languages (prevent_protect/formats/).
FORMAT_MODULE_PATH = ["prevent_protect.formats"]
TIME_ZONE = "America/Lima"
USE_I18N = True
USE_TZ = True

# Static and private media -------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Evidence files are private: MEDIA_ROOT is never served by URL, only through
# views that check the access rule. There is deliberately no MEDIA_URL route.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media-not-served/"
# Web nodes and workers must all see the same files: MEDIA_ROOT on a shared mount (NFS), or an
# S3-compatible bucket when MEDIA_S3_BUCKET is set. The portal opens and deletes files only through
# `field.storage` and hands out no URL: objects are private, any URL would be signed and short-lived,
# and no upload overwrites another.
MEDIA_S3_BUCKET = env("MEDIA_S3_BUCKET")
MEDIA_STORAGE = {
    "BACKEND": "storages.backends.s3.S3Storage",
    "OPTIONS": {
        "bucket_name": MEDIA_S3_BUCKET,
        "endpoint_url": env("MEDIA_S3_ENDPOINT_URL") or None,
        "region_name": env("MEDIA_S3_REGION") or None,
        # Unset: boto3's own chain (AWS_ACCESS_KEY_ID, an instance role, ~/.aws).
        "access_key": env("MEDIA_S3_ACCESS_KEY_ID") or None,
        "secret_key": env("MEDIA_S3_SECRET_ACCESS_KEY") or None,
        "location": env("MEDIA_S3_PREFIX", "media"),
        # 0 only for stores that refuse every ACL (AWS "bucket owner enforced"): the bucket policy
        # and its public-access block keep the objects private there.
        "default_acl": "private" if env_bool("MEDIA_S3_PRIVATE_ACL", True) else None,
        "file_overwrite": False,
        "querystring_auth": True,
        "querystring_expire": 60,
    },
}
STORAGES = {
    "default": MEDIA_STORAGE if MEDIA_S3_BUCKET else {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# The spreadsheet import refuses a file over its cap before anything stores it (the first handler acts there only).
FILE_UPLOAD_HANDLERS = [
    "activities.import_views.ImportUploadCap",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
# Evidence previews: PDFium draws a PDF's first page in a process of its own (activities.pdf_render),
# which is stopped past this much memory or CPU time (the checks before it keep a page near 100 MB).
PDF_RENDER_MEMORY_BYTES = env_int("PDF_RENDER_MEMORY_MB", 512) * 1024 * 1024
PDF_RENDER_SECONDS = env_int("PDF_RENDER_SECONDS", 10)

# Email --------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Prevenir para Proteger <no-reply@localhost>")

# Celery: tasks run eagerly in-process when no broker is configured, so the
# zero-setup run still produces reports.
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE

# Reports: files are kept this many days; a job running longer than the limit is
# re-queued (or failed after REPORT_MAX_ATTEMPTS) by the periodic sweep.
REPORT_RETENTION_DAYS = env_int("REPORT_RETENTION_DAYS", 30)
REPORT_TIME_LIMIT_SECONDS = env_int("REPORT_TIME_LIMIT_SECONDS", 1800)
REPORT_MAX_ATTEMPTS = env_int("REPORT_MAX_ATTEMPTS", 3)
# Run by `celery -A prevent_protect beat`, in Lima time (CELERY_TIMEZONE): the sweep re-queues
# stuck and lost reports, the purge deletes expired ones, and on the first of each month last
# month's progress reports are queued for every region and the nation.
# The public release: figures go public on this schedule (a crontab line, Lima time), not on
# every approval, so that no single approval shows as a difference between two releases.
PUBLIC_RELEASE_SCHEDULE = env("PUBLIC_RELEASE_SCHEDULE", "0 0 * * *")
CELERY_BEAT_SCHEDULE = {
    "publish-release": {
        "task": "publication.publish_release",
        "schedule": crontab.from_string(PUBLIC_RELEASE_SCHEDULE),
    },
    "sweep-reports": {"task": "reports.sweep_reports", "schedule": 5 * 60.0},
    # Spreadsheet imports: stop what lost its worker, expire unconfirmed dry runs, delete old jobs.
    "sweep-import-jobs": {"task": "activities.sweep_import_jobs", "schedule": 5 * 60.0},
    "purge-expired-reports": {"task": "reports.purge_expired_reports", "schedule": crontab(hour=3, minute=30)},
    "monthly-reports": {
        "task": "reports.send_monthly_reports",
        "schedule": crontab(day_of_month=1, hour=6, minute=0),
    },
}

# Maps ---------------------------------------------------------------------
# No tiles by default: every map draws the regions' boundaries the portal ships, and a visitor's
# browser asks no other host for anything (a visitor may be in danger, and a tile server sees
# each visitor's address and where they look). Tiles are the operator's choice: docs/OPERATIONS.md.
LEAFLET_TILES_URL = env("LEAFLET_TILES_URL", "")


def tile_image_sources(url):
    """What the CSP's img-src needs for a tile URL template: its scheme and host, a "{s}" subdomain
    as a wildcard (https://{s}.tile.example.org/{z}/{x}/{y}.png: https://*.tile.example.org).
    Nothing for no URL, or for tiles the portal serves itself ("/tiles/{z}/{x}/{y}.png": 'self')."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return []
    host = rest.split("/", 1)[0]
    first, dot, domain = host.partition(".")
    return [f"{scheme}://{'*' + dot + domain if '{' in first else host}"]


LEAFLET_CONFIG = {
    "TILES": LEAFLET_TILES_URL,
    "ATTRIBUTION_PREFIX": "© OpenStreetMap",
    "DEFAULT_CENTER": (-9.19, -75.02),
    "DEFAULT_ZOOM": 5,
    "MIN_ZOOM": 4,
    "MAX_ZOOM": 17,
    "RESET_VIEW": False,
}

# The installable panel -----------------------------------------------------
# Part of the service worker's version, with the digest of its files: raising it makes every
# installed panel fetch its pages and files again.
PANEL_APP_VERSION = env("PANEL_APP_VERSION", "")

# Security -----------------------------------------------------------------
# HTTPS hardening is on whenever debug is off, unless DJANGO_HTTPS=0 says this
# instance serves plain HTTP on loopback (browser tests, benchmarks).
HTTPS = env_bool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = [] if HTTPS else ["security.W004", "security.W008", "security.W012", "security.W016"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # Leaflet positions map panes with inline styles.
        "style-src": [SELF, "'unsafe-inline'"],
        # blob: previews the photos a coordinator queued on the phone, before they are sent.
        # The tile server only when the operator turned tiles on; CSP_IMG_SRC adds any other.
        "img-src": [SELF, "data:", "blob:", *tile_image_sources(LEAFLET_TILES_URL), *env_list("CSP_IMG_SRC")],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# Cache: shared through Redis when there is one, so throttles count across processes.
CACHES = {
    "default": (
        {
            "BACKEND": "prevent_protect.cache.PortalRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pp",
            # A Redis that stopped answering must cost a request a second at most, not hang it.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# API ----------------------------------------------------------------------
# Lists (API, staff pages, admin) count exactly up to this many rows and show the planner's
# estimate past it ("about 1,000,000"): an exact COUNT(*) of a million rows on every page was
# most of the staff list's time (prevent_protect.counting).
LIST_COUNT_EXACT_UP_TO = env_int("LIST_COUNT_EXACT_UP_TO", 10_000)

REST_FRAMEWORK = {
    # Throttles count per client address: the last X-Forwarded-For entry behind nginx, as the
    # lockout does (accounts.client_ip); the header is ignored otherwise.
    "NUM_PROXIES": 1 if BEHIND_PROXY else 0,
    # Token first: DRF answers a missing or bad credential with the first class's challenge, and
    # only the token has one, so a revoked token gets 401 rather than 403. It takes `Token <key>`
    # and `Bearer <key>`, and refuses any other Authorization header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "prevent_protect.rest.TokenOrBearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # JSON only: a body declared in three encodings gives generated clients three signatures for
    # one operation. The evidence upload alone takes multipart (activities.api.activities).
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "prevent_protect.rest.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "prevent_protect.schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "prevent_protect.rest.error_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "prevent_protect.throttles.AnonRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_ANON_RATE", "300/minute"),
        "token": env("API_TOKEN_RATE", "10/minute"),
    },
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Prevenir para Proteger API",
    "DESCRIPTION": (
        "The portal of the MIMP campaign against sexual violence towards girls, boys and adolescents. "
        "Anonymous callers read approved, public figures only: coordinates rounded to two decimals and "
        "counts from 1 to 4 returned as null with `suppressed: true`. Every 4xx has the `Error` shape."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Generated clients name their classes after components, enums and titles: the names are
    # fixed here and titles dropped (prevent_protect.schema), so they are the same in any language.
    "ENUM_NAME_OVERRIDES": {"ActivityStatus": "activities.models.ActivityStatus"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "prevent_protect.schema.drop_titles",
        "prevent_protect.schema.nullable_references",
    ],
}

# Logging: everything to stderr, where the process manager collects it. Never stdout: that is
# where commands write their data (`manage.py dumpdata > fixture.json`), and a log line there
# would corrupt it.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": "plain"}},
    "root": {"handlers": ["stderr"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Demo data ----------------------------------------------------------------
DEMO_PASSWORD = env("DEMO_PASSWORD", "prevenir-2024")
