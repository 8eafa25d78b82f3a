from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = _("Tâches de fond")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from huntaze import metrics
        from jobs.metrics import queue_metric_families

        metrics.register_scrape_families(queue_metric_families)
