from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Comptes")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib import admin

        from accounts import schema  # noqa: F401  (registers the OpenAPI auth extensions)
        from accounts.admin.mfa import admin_login
        from huntaze.throttles import admin_login_rate_limited

        # The admin login with its two-factor step (accounts/admin/mfa.py), rate-limited per
        # client IP, without replacing the admin site.
        if not getattr(admin.site.login, "rate_limited", False):
            admin.site.login = admin_login_rate_limited(admin_login(admin.site))
