"""Settings shared by every environment; everything that differs comes from the environment.

The stack's ports and credentials use the same variables as `msc stack` (infra/stack/config.py),
so one `.env` drives the servers, the API and docker-compose alike.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TypedDict

from django.core.exceptions import ImproperlyConfigured

from infra.stack.config import load_config

BASE_DIR = Path(__file__).resolve().parent.parent.parent
STACK = load_config()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_rate(name: str, default: str) -> str | None:
    """A request rate as DRF writes it (`600/minute`: requests per second, minute, hour or day);
    `off` for none."""
    raw = os.environ.get(name, default).strip()
    if raw.lower() == "off":
        return None
    if not re.fullmatch(r"[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)", raw):
        raise ImproperlyConfigured(f"{name} must be like 600/minute or off, not {raw!r}")
    return raw


SECRET_KEY = os.environ.get("MSC_SECRET_KEY", "")
DEBUG = env_bool("MSC_DEBUG", False)
ALLOWED_HOSTS = env_list("MSC_ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.postgres",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "services.tenancy",
    "services.api",
    "services.outbox",
    "intake",
    "referrals",
    "analytics_stream",
    "services.web",
]

MIDDLEWARE = [
    # First: a request whose client closed the connection while it waited is not served (499).
    "services.api.abandoned.AbandonedRequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The web pages' CSS and JavaScript come from the application itself, never from a CDN.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "services.web.middleware.PageLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Web forms ride on the session cookie, so they need CSRF tokens; DRF's views are exempt
    # (they take bearer tokens, which a foreign site cannot send).
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Innermost, so it sees a database failure of the request's transaction first (503, not 500).
    "services.api.middleware.DatabaseUnavailableMiddleware",
]

# Web pages keep the user's tokens server-side; the browser holds only the session id.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 3600

ROOT_URLCONF = "services.urls"
WSGI_APPLICATION = "services.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                           "services.web.layout.layout"]},
    }
]

DB_NAME = os.environ.get("MSC_PG_DATABASE", STACK.postgres_database)
# The longest one statement of the application role may run, waiting for locks included, before
# PostgreSQL cancels it: the API answers 503 and the worker is free again, long before gunicorn
# would kill it. 0 for no limit (a long `msc reconcile` by hand, say).
PG_STATEMENT_TIMEOUT_MS = int(os.environ.get("MSC_PG_STATEMENT_TIMEOUT_MS", "15000"))


def database(user: str, password: str, *, atomic_requests: bool,
             statement_timeout_ms: int = 0) -> dict[str, object]:
    """A connection to the platform database as the given role."""
    options: dict[str, object] = {"connect_timeout": 5}
    if statement_timeout_ms:
        options["options"] = f"-c statement_timeout={statement_timeout_ms}"
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DB_NAME,
        "USER": user,
        "PASSWORD": password,
        "HOST": os.environ.get("MSC_PG_HOST", STACK.host),
        "PORT": str(STACK.postgres_port),
        # Every request is one transaction: the tenant setting for row-level security is
        # transaction-local, so it can never leak to the next request on a reused connection.
        "ATOMIC_REQUESTS": atomic_requests,
        "CONN_MAX_AGE": int(os.environ.get("MSC_PG_CONN_MAX_AGE", "60")),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": options,
        "TEST": {"NAME": DB_NAME},
    }


DATABASES = {
    # The application role: owns nothing, cannot bypass row-level security.
    "default": database(STACK.postgres_app_user, STACK.postgres_app_password,
                        atomic_requests=True, statement_timeout_ms=PG_STATEMENT_TIMEOUT_MS),
    # The owner role: used only to run migrations (`msc migrate`); requests never open it.
    "owner": database(STACK.postgres_owner, STACK.postgres_owner_password,
                      atomic_requests=False),
    # The outbox relay's role: BYPASSRLS to read every tenant's outbox, granted nothing but
    # SELECT and UPDATE on that one table; only services.outbox.relay opens it, by name.
    "relay": database(STACK.postgres_relay_user, STACK.postgres_relay_password,
                      atomic_requests=False),
}
DATABASE_ROUTERS = ["services.tenancy.routers.OwnerMigratesRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en"
# The languages of the web pages, named in themselves. Django's codes: "sr" is Serbian in
# Cyrillic, "sr-latn" in Latin script. Montenegrin has no locale in Django and only a
# three-letter code ("cnr", ISO 639-2/3, registered for BCP 47), so it gets a catalog of its own
# under that code (ijekavian, Latin script) and its date and number formats from
# services/web/formats/cnr; borrowing "sr-me" would file it under Serbian and pull Django's
# Serbian Cyrillic messages in as a fallback.
LANGUAGES = [
    ("en", "English"),
    ("sq", "Shqip"),
    ("sr-latn", "Srpski (latinica)"),
    ("sr", "Српски (ћирилица)"),
    ("bs", "Bosanski"),
    ("hr", "Hrvatski"),
    ("mk", "Македонски"),
    ("cnr", "Crnogorski"),
]
FORMAT_MODULE_PATH = ["services.web.formats"]
# The language a user picks is remembered in a cookie for a year (Django's default: until the
# browser closes).
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# WhiteNoise serves the apps' static files straight from their folders (no collectstatic step);
# they are few and small, and the server reads them once at start.
WHITENOISE_USE_FINDERS = True

class KeycloakSettings(TypedDict):
    ISSUER: str
    JWKS_URL: str
    AUDIENCE: str
    JWKS_CACHE_SECONDS: int
    JWKS_MIN_REFRESH_SECONDS: int
    LEEWAY_SECONDS: int


class KafkaSettings(TypedDict):
    BOOTSTRAP_SERVERS: str
    TOPIC_PREFIX: str


class ClickHouseSettings(TypedDict):
    HOST: str
    PORT: int
    DATABASE: str
    USER: str
    PASSWORD: str


KEYCLOAK: KeycloakSettings = {
    "ISSUER": os.environ.get("MSC_OIDC_ISSUER", f"{STACK.keycloak_url}/realms/msc"),
    "JWKS_URL": os.environ.get(
        "MSC_OIDC_JWKS_URL", f"{STACK.keycloak_url}/realms/msc/protocol/openid-connect/certs"
    ),
    "AUDIENCE": os.environ.get("MSC_OIDC_AUDIENCE", "msc-api"),
    # How long fetched keys are trusted, and the least time between two fetches for an unknown kid.
    "JWKS_CACHE_SECONDS": int(os.environ.get("MSC_OIDC_JWKS_CACHE_SECONDS", "3600")),
    "JWKS_MIN_REFRESH_SECONDS": int(os.environ.get("MSC_OIDC_JWKS_MIN_REFRESH_SECONDS", "30")),
    "LEEWAY_SECONDS": int(os.environ.get("MSC_OIDC_LEEWAY_SECONDS", "30")),
}

KAFKA: KafkaSettings = {
    "BOOTSTRAP_SERVERS": os.environ.get("MSC_KAFKA_BOOTSTRAP", STACK.kafka_bootstrap),
    "TOPIC_PREFIX": os.environ.get("MSC_KAFKA_TOPIC_PREFIX", ""),
}

CLICKHOUSE: ClickHouseSettings = {
    "HOST": os.environ.get("MSC_CLICKHOUSE_HOST", STACK.host),
    "PORT": STACK.clickhouse_port,
    "DATABASE": os.environ.get("MSC_CLICKHOUSE_DATABASE", "msc"),
    "USER": os.environ.get("MSC_CLICKHOUSE_USER", "default"),
    "PASSWORD": os.environ.get("MSC_CLICKHOUSE_PASSWORD", ""),
}
# How long a statistics request waits for figures being counted; a longer count goes on in the
# background and the request answers 503 with Retry-After (well before gunicorn's timeout).
STATS_COUNT_WAIT_SECONDS = float(os.environ.get("MSC_STATS_COUNT_WAIT_SECONDS", "15"))
# Lock files by which the API's worker processes on a host count a scope one at a time.
STATS_COUNT_LOCK_DIR = Path(os.environ.get("MSC_STATS_COUNT_LOCK_DIR",
                                           str(STACK.run_dir / "stats-counts")))
# How long a process goes on reading ClickHouse's data version after the last request that took
# it (`analytics_stream.data_version.recent_data_version`).
STATS_VERSION_WATCH_IDLE_SECONDS = float(
    os.environ.get("MSC_STATS_VERSION_WATCH_IDLE_SECONDS", "60"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["services.auth.authentication.KeycloakJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["services.auth.permissions.IsAuthenticatedPrincipal"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "services.api.errors.exception_handler",
    # drf-spectacular's, documenting the errors each operation can answer.
    "DEFAULT_SCHEMA_CLASS": "services.api.schema.ApiAutoSchema",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_VERSIONING_CLASS": None,
    # Requests per caller (services.api.throttling): a token subject's burst and sustained rates,
    # and the rate of calls without a token per client address. Far above what the benchmarks
    # send with one token per tenant (`msc bench intake` offers 500 visits/s on three tokens:
    # about 170/s, 10,000 a minute, each); what a deployment wants lower, it sets lower.
    "DEFAULT_THROTTLE_CLASSES": ["services.api.throttling.UserBurstThrottle",
                                 "services.api.throttling.UserSustainedThrottle",
                                 "services.api.throttling.AnonymousThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user_burst": env_rate("MSC_THROTTLE_USER_BURST", "15000/minute"),
        "user_sustained": env_rate("MSC_THROTTLE_USER_SUSTAINED", "360000/hour"),
        "anon": env_rate("MSC_THROTTLE_ANON", "120/minute"),
    },
    # A caller without a token is its address: REMOTE_ADDR, or the address this many proxies
    # back in X-Forwarded-For (unset, DRF would take that header whole, as the client wrote it).
    "NUM_PROXIES": int(os.environ.get("MSC_NUM_PROXIES", "0")),
}
# Where the request counts are kept; shared by the API's worker processes on this host.
THROTTLE_DIR = Path(os.environ.get("MSC_THROTTLE_DIR", str(STACK.run_dir / "throttle")))

# One cache for every API worker process on this host (counted statistics, the routing's
# institution records), a file per entry written atomically: a summary counted by one worker
# serves them all, and a record forgotten by one is forgotten by all. Entries are pickles: only
# this service's user may write the directory (Django creates a missing one 0700; give an
# existing MSC_CACHE_DIR that mode yourself).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": os.environ.get("MSC_CACHE_DIR", str(STACK.run_dir / "cache")),
        "TIMEOUT": 600,
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "MSC platform API",
    "DESCRIPTION": "Case management for the Migrant Service Centres of the Western Balkans.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums",
                             "services.api.schema.postprocess"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MSC_LOG_LEVEL", "INFO")},
    "loggers": {"kafka": {"level": "WARNING"}, "clickhouse_driver": {"level": "ERROR"}},
}

# Webhooks may target private or loopback addresses only where the deployment says so (a
# development machine); elsewhere they must be public https endpoints.
WEBHOOK_ALLOW_PRIVATE = env_bool("MSC_WEBHOOK_ALLOW_PRIVATE", False)
# How often the referral scheduler looks for expired referrals and due webhook deliveries.
SCHEDULER_INTERVAL_SECONDS = float(os.environ.get("MSC_SCHEDULER_INTERVAL_SECONDS", "5"))
