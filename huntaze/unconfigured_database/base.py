"""The database backend of settings that could not configure a database.

``huntaze/settings/base.py`` installs it when ``DATABASE_URL`` is missing, unreadable or not
PostgreSQL, and records why in ``CONFIGURATION_ERRORS["DATABASES"]``. Every use of a connection
raises that message, so whatever touches the database first says what is wrong (Django's own
dummy backend would say "supply the ENGINE value"). ``validate_database`` reads the message
without connecting and reports it as a failed check.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.dummy import base as dummy
from django.db.backends.dummy.features import DummyDatabaseFeatures


def _complain(*args, **kwargs):
    message = settings.CONFIGURATION_ERRORS.get("DATABASES", "No database is configured.")
    raise ImproperlyConfigured(message)


class DatabaseFeatures(DummyDatabaseFeatures):
    # The models are PostgreSQL's (text columns without a length): without this, the system
    # checks would list field errors beside the one message that matters.
    supports_unlimited_charfield = True


class DatabaseWrapper(dummy.DatabaseWrapper):
    features_class = DatabaseFeatures
    ensure_connection = _complain
    _cursor = _complain
    _commit = _complain
    get_new_connection = _complain
