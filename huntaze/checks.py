"""Start-up guard: production settings that lack what production requires refuse to start.

``huntaze/settings/base.py`` records those errors in ``CONFIGURATION_ERRORS`` instead of raising
at import (see its docstring). They are raised here, as ``ImproperlyConfigured`` with the same
message the settings would have raised, by a system check (every management command that runs
the checks: check, migrate, runserver, createsuperuser, …) and by ``huntaze/wsgi.py`` (gunicorn).
``validate_database`` runs no system checks: it reports a database error as a failed check.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def require_complete_configuration() -> None:
    errors = getattr(settings, "CONFIGURATION_ERRORS", {})
    if errors:
        raise ImproperlyConfigured(" ".join(errors.values()))


@checks.register()
def configuration_complete(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    # A critical error stops every command that runs the checks (migrate, runserver …) with
    # the settings' message and exit 1, without a traceback.
    errors = getattr(settings, "CONFIGURATION_ERRORS", {})
    if errors:
        return [checks.Critical(" ".join(errors.values()), id="huntaze.E001")]
    return []
