from django.apps import AppConfig


class MembersConfig(AppConfig):
    """What composes the apps below it for one answer about a member: sign-up redeeming an
    invite (the API and Google), the profile with its subscription and stats, the data export,
    and the staff's page of a user. It imports ``accounts``, ``invites``, ``billing`` and
    ``content``; none of them imports it."""

    name = "members"
    default_auto_field = "django.db.models.BigAutoField"
