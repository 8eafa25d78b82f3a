import sys

from django.apps import AppConfig


class HuntazeConfig(AppConfig):
    """The project package, installed as an app only for its operator commands."""

    name = "huntaze"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core.signals import request_finished
        from django.db.backends.signals import connection_created

        from huntaze import metrics

        # SQL latency and open connections (huntaze/metrics.py); the receivers are idempotent.
        connection_created.connect(metrics.on_connection_created, dispatch_uid="huntaze.metrics")
        request_finished.connect(metrics.on_request_finished, dispatch_uid="huntaze.metrics")
        from huntaze import checks  # noqa: F401 - registers the start-up guard

        # Audit lines of the secrets read while settings were loading (before logging existed).
        secrets = sys.modules.get("huntaze.secrets")
        if secrets is not None:
            secrets.flush_startup_log()
