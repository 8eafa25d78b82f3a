"""Test settings: pytest's ``DJANGO_SETTINGS_MODULE`` (pyproject.toml).

The production settings of ``base.py`` with only what a test run needs changed: a fast password
hasher, email kept in memory, the hosts and origins the test client uses, a throw-away key, no
HTTPS redirect, and the embedded PostgreSQL server when ``DATABASE_URL`` is not set.
Subprocesses started by tests (tests/servers.py ``manage()``) get this module too, unless a test
deliberately runs the production settings (``production_env()``).
"""

from huntaze.settings.base import *  # noqa: F403
from huntaze.settings.base import (
    DATABASE_URL,
    DEVELOPMENT_HOSTS,
    DEVELOPMENT_ORIGINS,
    INSECURE_DEVELOPMENT_KEY,
    PRODUCTION_PASSWORD_HASHERS,
    database_settings,
    env,
)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="") or INSECURE_DEVELOPMENT_KEY
JWT_SIGNING_KEY = env.str("JWT_SIGNING_KEY", default=SECRET_KEY)

# Argon2 is deliberately slow (~100 MB, tens of ms a hash): the suite hashes with MD5 and
# tests/accounts asserts, with PRODUCTION_PASSWORD_HASHERS, that real passwords get Argon2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PRODUCTION_PASSWORD_HASHERS]

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

ALLOWED_HOSTS = DEVELOPMENT_HOSTS
CSRF_TRUSTED_ORIGINS = DEVELOPMENT_ORIGINS
CORS_ALLOWED_ORIGINS = CSRF_TRUSTED_ORIGINS
SECURE_SSL_REDIRECT = False
# The admin tests sign staff in with a password only; the two-factor tests turn it on.
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=False)

DATABASE_EMBEDDED_FALLBACK = True
if not DATABASE_URL:
    from huntaze import devdb

    DATABASE_URL = devdb.database_url()
# Without the web requests' statement and lock timeouts, as manage.py: the suite's threads contend
# for locks on a loaded machine. The bounds are tested through gunicorn and with SET (tests/robustness/test_database_bounds.py).
DATABASES = {"default": database_settings(DATABASE_URL)}

CONFIGURATION_ERRORS: dict[str, str] = {}  # everything production required is supplied above
