from django.apps import AppConfig


class LegacyConfig(AppConfig):
    """The import of the Prisma-era database (docs/migration.md). No other app imports it."""

    name = "legacy"
    default_auto_field = "django.db.models.BigAutoField"
