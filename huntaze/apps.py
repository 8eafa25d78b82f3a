from django.apps import AppConfig


class HuntazeConfig(AppConfig):
    """The project package, installed as an app only for its operator commands."""

    name = "huntaze"
    default_auto_field = "django.db.models.BigAutoField"
