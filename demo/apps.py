from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Development data: ``manage.py seed`` and ``runserver --seed`` (what ``make run`` starts).

    Sits on top of every app (it creates users, content and invites through their models and
    services); no app imports it.
    """

    name = "demo"
    default_auto_field = "django.db.models.BigAutoField"
