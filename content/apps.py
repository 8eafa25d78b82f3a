from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = _("Contenus")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from content.ai_usage import budget_metric_gauges
        from huntaze import metrics

        # The month's AI spend and budget, read from the database at each /metrics scrape.
        metrics.register_scrape_gauges(budget_metric_gauges)

    def database_checks(self, connection, *, repair: bool = False):
        """Checks of this app's data for ``manage.py validate_database``: the counts
        maintained by triggers agree with ``content_assets`` (content/counts.py)."""
        from content.counts import database_checks

        return database_checks(connection, repair=repair)
