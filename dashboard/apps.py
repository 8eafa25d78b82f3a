from django.apps import AppConfig


class DashboardConfig(AppConfig):
    """The staff's "Beta" page in the admin: reads every app, imported by none."""

    name = "dashboard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib import admin

        # The admin index links to the Beta page (dashboard/templates/admin/dashboard/index.html).
        admin.site.index_template = "admin/dashboard/index.html"
