"""Admin for API keys and refresh tokens (docs/users.md, Admin): read-only, revocable.

Nothing here renders a key digest or a token digest: those fields are neither listed, shown,
searchable nor editable.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import ApiKey, RefreshToken, RevocableCredential
from accounts.services.keys import api_key_revoke
from accounts.services.tokens import refresh_tokens_revoke


class CredentialStatusFilter(admin.SimpleListFilter):
    title = _("statut")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return (("active", _("Active")), ("expired", _("Expirée")), ("revoked", _("Révoquée")))

    def queryset(self, request, queryset):
        now = timezone.now()
        not_expired = Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        if self.value() == "active":
            return queryset.filter(not_expired, revoked_at__isnull=True)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True).exclude(not_expired)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


def _status(obj: RevocableCredential) -> str:
    if obj.revoked_at is not None:
        return _("révoquée")
    if obj.is_expired:
        return _("expirée")
    return _("active")


class ReadOnlyCredentialAdmin(admin.ModelAdmin):
    """Credentials are created by their flows, never typed in; staff can only revoke them."""

    list_select_related = ("user",)
    list_filter = (CredentialStatusFilter,)
    ordering = ("-created_at",)
    actions = ("revoke_selected",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff

    @admin.display(description=_("statut"))
    def status(self, obj) -> str:
        return _status(obj)


@admin.register(ApiKey)
class ApiKeyAdmin(ReadOnlyCredentialAdmin):
    list_display = (
        "name",
        "prefix",
        "user",
        "permissions",
        "status",
        "last_used_at",
        "expires_at",
        "created_at",
    )
    search_fields = ("name", "prefix", "user__email")
    fields = (
        "id",
        "user",
        "name",
        "prefix",
        "permissions",
        "status",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "created_at",
    )
    readonly_fields = fields

    @admin.action(description=_("Révoquer les clés sélectionnées"))
    def revoke_selected(self, request, queryset):
        count = sum(api_key_revoke(key=key) for key in queryset.filter(revoked_at__isnull=True))
        self.message_user(
            request,
            ngettext("%(count)d clé révoquée.", "%(count)d clés révoquées.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(RefreshToken)
class RefreshTokenAdmin(ReadOnlyCredentialAdmin):
    list_display = ("jti", "user", "family", "status", "expires_at", "used_at", "created_at")
    search_fields = ("user__email",)
    fields = (
        "id",
        "user",
        "jti",
        "family",
        "status",
        "expires_at",
        "used_at",
        "revoked_at",
        "created_at",
    )
    readonly_fields = fields

    @admin.action(description=_("Révoquer les jetons sélectionnés"))
    def revoke_selected(self, request, queryset):
        count = refresh_tokens_revoke(tokens=queryset)
        self.message_user(
            request,
            ngettext("%(count)d jeton révoqué.", "%(count)d jetons révoqués.", count)
            % {"count": count},
            messages.SUCCESS,
        )
