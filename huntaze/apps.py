import sys

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class HuntazeConfig(AppConfig):
    """The project package, installed as an app for its operator commands (and ``runserver
    --seed``, which is why it comes first in ``INSTALLED_APPS``)."""

    name = "huntaze"
    default = True  # the module also holds the admin's config, named in INSTALLED_APPS
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import request_finished
        from django.db.backends.signals import connection_created

        from huntaze import metrics

        # SQL latency and open connections (huntaze/metrics.py); the receivers are idempotent.
        connection_created.connect(metrics.on_connection_created, dispatch_uid="huntaze.metrics")
        from huntaze import db

        # A statement prepared before a release's migration changed a column it reads is
        # dropped and run again, not a 500 until the worker restarts (huntaze/db.py).
        connection_created.connect(db.on_connection_created, dispatch_uid="huntaze.db")
        request_finished.connect(metrics.on_request_finished, dispatch_uid="huntaze.metrics")
        from huntaze import checks  # noqa: F401 - registers the start-up guard

        # Audit lines of the secrets read while settings were loading (before logging existed).
        secrets = sys.modules.get("huntaze.secrets")
        if secrets is not None:
            secrets.flush_startup_log()


class HuntazeAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with the Huntaze site (huntaze/admin_site.py)."""

    default = False

    default_site = "huntaze.admin_site.HuntazeAdminSite"

    def ready(self) -> None:
        super().ready()  # autodiscover: every app's admin.py is imported here
        from django.apps import apps
        from django.contrib import admin

        from huntaze.admin_site import HIDDEN_MODELS

        for label in HIDDEN_MODELS:
            try:
                model = apps.get_model(label)
            except LookupError:
                continue
            if admin.site.is_registered(model):
                admin.site.unregister(model)
