"""Portal settings, read from the environment.

Every setting has a default that runs on one machine with SQLite and a local
``media/`` folder; production overrides them with environment variables (see the
configuration table in README.md).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url

from portal.env import envbool, envint, envlist, persistent_secret

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PORTAL_VAR_DIR", BASE_DIR / "var"))


DEBUG = envbool("DEBUG")
# Development: a key generated once per checkout, so the dev server keeps its sessions.
SECRET_KEY = os.environ.get("SECRET_KEY") or persistent_secret(VAR_DIR / "secret_key", 50)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    # Two-factor sign-in (accounts/twofactor.py): authenticator apps (TOTP) and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    # Not "rest_framework": the first page a worker renders imports the template
    # tags of every installed app, and DRF's import all of DRF and, through it,
    # psycopg even on SQLite (17 MiB). The API renders JSON only: DRF's
    # templates, static files (the browsable API's) and English catalog
    # (msgid = msgstr) are never used. The docs page's template is drf-spectacular's.
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "files",
]

MIDDLEWARE = [
    # First: whatever answered, an unread body is read to its end, so that the
    # answer reaches the client (portal/middleware.py says why).
    "portal.middleware.DrainUnreadBody",
    "django.middleware.security.SecurityMiddleware",
    # The strict Content-Security-Policy of every HTML page (files keep theirs).
    "portal.middleware.PageSecurityPolicy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The reader's time zone (the browser's, from static/timezone.js's cookie).
    "portal.timezones.ReaderTimeZone",
    # A session whose account has two-factor sign-in on but that never gave a
    # code is signed out; staff without it are held on its set-up page when
    # PORTAL_REQUIRE_2FA_FOR_STAFF is on (accounts/middleware.py).
    "accounts.middleware.TwoFactorMiddleware",
    # A personal access token (Authorization: Bearer) signs in the requests of
    # the paths that take one (PORTAL_BEARER_PATHS), before the login and
    # CSRF checks: a token is no cookie a browser would send by itself.
    "accounts.bearer.BearerTokenMiddleware",
    # Login is the default; the few public views opt out with @login_not_required
    # (login, signup, and the anonymous pages under /s/ as they come). Before
    # the CSRF check, which reads request.POST: an anonymous POST to any other
    # view is sent to log in before a byte of its body is parsed or spooled.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the login page's 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
        },
    },
]

# Database: DATABASE_URL, e.g. postgres://user@host:5432/portal
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# PostgreSQL: psycopg prepares a statement after this many runs (0: never,
# Django's default, for connection poolers that do not keep them). Only the
# download fast path's statements can be prepared (portal/fastpath.py
# driver_cursor). Not in DATABASE_URL: pg_dump and psql refuse a parameter
# they do not know.
DATABASE_PREPARE_THRESHOLD = envint("DATABASE_PREPARE_THRESHOLD", 0)
if DATABASE_PREPARE_THRESHOLD and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = DATABASE_PREPARE_THRESHOLD
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # WAL lets readers (downloads, listings) proceed while an upload commits;
    # IMMEDIATE takes the write lock at BEGIN, so a writer waits its turn (up
    # to `timeout` seconds) instead of failing halfway with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache and sessions: Redis when CACHE_URL (or REDIS_URL) is set, else a table
# in the database, which every worker and app server shares: guess limits count
# there (portal.limits). CACHE_URL=locmem:// keeps it in each process's memory
# (one process only: a check warns when there are several).
CACHE_URL = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL")
# Counters must not be culled early: an attacker filling the cache would reset them.
CACHE_OPTIONS = {"MAX_ENTRIES": 100_000, "CULL_FREQUENCY": 10}
CACHES: dict[str, dict[str, Any]]
if CACHE_URL == "locmem://":
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": CACHE_OPTIONS,
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
elif CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
        }
    }
    # Sessions read from Redis; the database is the durable copy.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.SharedDatabaseCache",
            "LOCATION": "portal_cache",
            "OPTIONS": CACHE_OPTIONS,
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "files:list"
LOGOUT_REDIRECT_URL = "accounts:login"
# django-axes refuses a locked-out client before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (README "Sign-in throttling"): PORTAL_LOGIN_FAILURE_LIMIT
# wrong passwords for one username from one client address lock that pair out
# for PORTAL_LOGIN_COOLOFF_MINUTES. Never by username alone, which would let
# anyone lock a victim out; never for ever, which needs an admin to undo.
AXES_FAILURE_LIMIT = envint("PORTAL_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("PORTAL_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# One address trying many usernames: PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT failed
# sign-ins from one address, whatever the usernames, lock that address out for
# the same cool-off (accounts/throttle.py). 50, ten times the per-account limit:
# an office behind one NAT survives its typos (a success clears its own), a
# password sprayer gets 50 guesses per 15 minutes instead of 5 per username. 0: off.
PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT = envint("PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT", 50, minimum=0)
AXES_HANDLER = "accounts.throttle.AddressAwareHandler"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_CLIENT_IP_CALLABLE = "portal.proxies.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.views.locked_out"
# The front servers that set X-Forwarded-For: the address a request comes from
# is believed to be a client's only when it is not one of these. make serve's
# nginx and Apache connect from the loopback; a balancer elsewhere goes here too.
PORTAL_TRUSTED_PROXIES = envlist("PORTAL_TRUSTED_PROXIES", ["127.0.0.1", "::1"])
# Two-factor sign-in (README "Two-factor sign-in"). Staff must turn it on
# before they reach anything else when this is set.
PORTAL_REQUIRE_2FA_FOR_STAFF = envbool("PORTAL_REQUIRE_2FA_FOR_STAFF")
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = os.environ.get("PORTAL_2FA_ISSUER", "Portal")
# django-otp's own back-off after wrong codes (1 s, 2 s, 4 s...) on top of axes' count.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("PORTAL_STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# `make run` collects static files into STATIC_ROOT and whitenoise serves them;
# behind nginx or Apache, /static/ is served from STATIC_ROOT directly.
# collectstatic writes each file also under a name with its content's hash
# (portal.0123456789ab.css), gzipped beside it, and pages link those names:
# they are cached for a year (whitenoise, deploy/nginx.conf, deploy/apache.conf),
# and a changed file gets a new name. Every stack runs collectstatic first
# (make run, make serve, the test stacks); tests rendering in-process use
# the plain storage (conftest.py), which needs no manifest.
_STATICFILES = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

# Uploaded files. MEDIA_ROOT is never served as-is: every download goes through
# files.views.DownloadView, which tells the front server what to send.
MEDIA_ROOT = Path(os.environ.get("PORTAL_MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "/_protected/"
# Every upload streams to a temporary file (never held in memory); keeping it on
# the same filesystem as MEDIA_ROOT lets storage move it into place by rename.
FILE_UPLOAD_HANDLERS = ["files.uploads.handler.HashingUploadHandler"]
FILE_UPLOAD_TEMP_DIR = os.environ.get("PORTAL_UPLOAD_TEMP_DIR") or None
FILE_UPLOAD_PERMISSIONS = 0o644
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o755

PORTAL_STORAGE = os.environ.get("PORTAL_STORAGE", "local")
# Seconds the S3 client waits to connect to the store, or for its next bytes;
# nginx's S3 location waits as long. A store that does not answer in time
# makes an upload fail with a 503 page rather than hold a worker.
PORTAL_S3_TIMEOUT = envint("PORTAL_S3_TIMEOUT", 20)
# With S3: a permitted download answers 302 to a presigned URL on the store
# (for a CDN, or no nginx); it wins over PORTAL_SENDFILE.
PORTAL_S3_REDIRECT = envbool("PORTAL_S3_REDIRECT")
if PORTAL_STORAGE == "s3":
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config

    STORAGES = {
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
        "staticfiles": _STATICFILES,
    }
    # django-storages' own names. Unset keys fall back to boto3's usual
    # sources (AWS_PROFILE, an instance role...).
    AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "portal")
    AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None
    AWS_S3_REGION_NAME = os.environ.get("AWS_S3_REGION_NAME") or None
    AWS_ACCESS_KEY_ID = os.environ.get("AWS_ACCESS_KEY_ID") or None
    AWS_SECRET_ACCESS_KEY = os.environ.get("AWS_SECRET_ACCESS_KEY") or None
    # Private objects: no ACL (the bucket's own, private by default), no public URL.
    AWS_DEFAULT_ACL = None
    AWS_QUERYSTRING_AUTH = True
    # Presigned URLs live this long: nginx uses one at once, a redirected
    # client within seconds; a download that outlasts it keeps streaming.
    AWS_QUERYSTRING_EXPIRE = envint("AWS_QUERYSTRING_EXPIRE", 60, minimum=1)
    # Keys are unique (u/<owner>/<uuid>): no HEAD request per upload to avoid a clash.
    AWS_S3_FILE_OVERWRITE = True
    # Given a client config, django-storages ignores AWS_S3_SIGNATURE_VERSION
    # and AWS_S3_ADDRESSING_STYLE, so both live in it. SigV4 always: SeaweedFS
    # (and newer AWS regions) refuse SigV2 presigned URLs with response-content-*.
    AWS_S3_ADDRESSING_STYLE = os.environ.get("AWS_S3_ADDRESSING_STYLE") or (
        "path" if AWS_S3_ENDPOINT_URL else "auto"
    )
    AWS_S3_CLIENT_CONFIG = Config(
        signature_version="s3v4",
        s3={"addressing_style": AWS_S3_ADDRESSING_STYLE},
        connect_timeout=PORTAL_S3_TIMEOUT,
        read_timeout=PORTAL_S3_TIMEOUT,
        # One retry: a store that is down fails the upload within seconds.
        retries={"mode": "standard", "max_attempts": 2},
    )
    # The temporary upload file is streamed in 8 MiB parts, four at a time.
    # s3transfer reads each part of a seekable file into memory, and by
    # default up to ten ahead: four keep a 1 GiB upload's worker near 100 MB.
    AWS_S3_TRANSFER_CONFIG = TransferConfig(
        multipart_threshold=8 * 1024 * 1024,
        multipart_chunksize=8 * 1024 * 1024,
        max_concurrency=4,
    )
    AWS_S3_TRANSFER_CONFIG.max_in_memory_upload_chunks = 4
else:
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": _STATICFILES,
    }

# Background work (thumbnails): django-tasks with its database backend, run by
# `manage.py db_worker` beside the web server (`make run` and `make serve` start
# it). No broker: the queue is a table in the same database. Tests use the
# immediate backend (conftest.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# How downloads are sent: "nginx" (X-Accel-Redirect), "apache" (X-Sendfile) or
# "django" (streamed by Python: development only).
PORTAL_SENDFILE = os.environ.get("PORTAL_SENDFILE", "django")
# With nginx: a permitted download answers 302 to a URL that nginx's secure_link
# module verifies, so retries, Range requests and repeats within the TTL skip
# Python. Unset, the feature is off. The same secret goes into deploy/nginx.conf.
PORTAL_SIGNED_URL_SECRET = os.environ.get("PORTAL_SIGNED_URL_SECRET", "")
# Seconds a signed URL stays valid: also how long a link outlives a logout.
PORTAL_SIGNED_URL_TTL = envint("PORTAL_SIGNED_URL_TTL", 60, minimum=1)
# A permitted GET of /files/<uuid>/download/ is answered by portal/fastpath.py,
# in front of Django, with the same decision, headers and audit row in about a
# third of the time (docs/performance.md). 0 sends every request through Django.
PORTAL_FAST_PATH = envbool("PORTAL_FAST_PATH", default=True)
PORTAL_MAX_UPLOAD_SIZE = envint("PORTAL_MAX_UPLOAD_SIZE", 2 * 1024**3, minimum=1)
# The largest file a resumable (tus) upload may bring, in as many requests as it
# takes (each at most PORTAL_MAX_UPLOAD_SIZE); its Tus-Max-Size.
PORTAL_MAX_FILE_SIZE = envint("PORTAL_MAX_FILE_SIZE", 50 * 1024**3, minimum=1)
# An unfinished resumable upload is removed (its reservation released) after
# this many hours without a PATCH.
PORTAL_UPLOAD_EXPIRY_HOURS = envint("PORTAL_UPLOAD_EXPIRY_HOURS", 24, minimum=1)
# Where `Authorization: Bearer <token>` is accepted (accounts.bearer).
PORTAL_BEARER_PATHS = ["/files/tus/"]
# Default storage quota for a user whose own quota is empty; 0 means unlimited.
PORTAL_DEFAULT_QUOTA = envint("PORTAL_DEFAULT_QUOTA", 0)
PORTAL_FILES_PER_PAGE = envint("PORTAL_FILES_PER_PAGE", 25, minimum=1)
# The trash and file versions (files.history): days a deleted item waits before
# it is purged, and how many earlier versions of a file are kept (0: none).
PORTAL_TRASH_DAYS = envint("PORTAL_TRASH_DAYS", 30, minimum=1)
PORTAL_MAX_VERSIONS = envint("PORTAL_MAX_VERSIONS", 10, minimum=0)

# The REST API (files/api/, README "WebDAV and API"): a personal access token
# in `Authorization: Bearer` and nothing else, so no session cookie, hence no
# cross-site request, can act through it; JSON in and out, errors in the one shape.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["files.api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["files.api.auth.TokenScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["files.api.parsers.BoundedJSONParser"],
    "EXCEPTION_HANDLER": "files.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "files.api.schema.PortalSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Portal API",
    "DESCRIPTION": "Files, folders, shares and links. Send `Authorization: Bearer ptk_…` "
    "(a personal access token from /accounts/tokens/).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page's scripts from our own origin (drf-spectacular-sidecar), no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# Download-trail entries older than this go with `manage.py portal_prune_downloads`.
PORTAL_AUDIT_RETENTION_DAYS = envint("PORTAL_AUDIT_RETENTION_DAYS", 180, minimum=1)

# Virus scanning (README "Virus scanning"): "clamd" holds every new file as
# pending until ClamAV has read it; empty (the default) marks files "not scanned".
PORTAL_SCAN = os.environ.get("PORTAL_SCAN", "")
# host:port, or the path of clamd's Unix socket.
PORTAL_CLAMD_ADDRESS = os.environ.get("PORTAL_CLAMD_ADDRESS", "127.0.0.1:3310")
# ClamAV's own default StreamMaxLength (100 MB); larger files are "too large to scan".
PORTAL_SCAN_MAX_SIZE = envint("PORTAL_SCAN_MAX_SIZE", 100 * 1024 * 1024, minimum=1)
# What the owner may do with a file too large to scan: "allow" or "block" downloading it.
PORTAL_SCAN_UNSCANNABLE = os.environ.get("PORTAL_SCAN_UNSCANNABLE", "allow")
# Seconds between tries while clamd does not answer.
PORTAL_SCAN_RETRY_SECONDS = envint("PORTAL_SCAN_RETRY_SECONDS", 60, minimum=1)

# Behind TLS (set PORTAL_HTTPS=true in production): secure cookies, HSTS and a
# redirect to https, trusting the front server's X-Forwarded-Proto.
PORTAL_HTTPS = envbool("PORTAL_HTTPS")
if PORTAL_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # The header only allows submission to the preload list; it submits nothing.
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
