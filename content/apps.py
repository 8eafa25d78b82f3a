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
