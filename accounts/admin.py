"""Admin for users, API keys and refresh tokens (docs/users.md, Admin).

Staff act through the same services as the API (``user_soft_delete``, ``user_restore``,
``api_key_revoke``), never by editing the rows that those services keep consistent. Nothing
here renders a password hash, a key digest or a token digest: those fields are neither listed,
shown, searchable nor editable. Users cannot be added (sign-up needs an invite) or hard-deleted
here (``manage.py purge_deleted_users`` does that, after the soft delete).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import ApiKey, RefreshToken, RevocableCredential, User
from accounts.services.keys import api_key_revoke
from accounts.services.tokens import refresh_tokens_revoke
from accounts.services.users import user_restore, user_soft_delete
from huntaze.exceptions import DomainError

# --- users ------------------------------------------------------------------------------------


class DeletedFilter(admin.SimpleListFilter):
    title = _("supprimé")
    parameter_name = "deleted"

    def lookups(self, request, model_admin):
        return (("no", _("Non")), ("yes", _("Oui")))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(deleted_at__isnull=True)
        return queryset


class RestoreForm(forms.Form):
    email = forms.EmailField(
        label=_("Adresse email"),
        max_length=254,
        help_text=_(
            "L'ancienne adresse est proposée ; si elle est de nouveau utilisée, "
            "indiquez-en une nouvelle."
        ),
    )


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "role", "subscription", "account_status", "created_at")
    list_filter = ("subscription", "role", DeletedFilter)
    search_fields = ("email", "name", "deleted_email")
    ordering = ("-created_at",)
    actions = ("soft_delete_selected", "restore_selected")
    # Avatar URLs typed without a scheme are https (Django 6's default, without its warning).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # Never the password hash: only safe fields are shown, and few are editable. Email,
    # activity and deletion change through the actions (services) only.
    fields = (
        "id",
        "email",
        "name",
        "avatar",
        "role",
        "subscription",
        "stripe_customer_id",
        "password_status",
        "is_active",
        "deleted_at",
        "deleted_email",
        "restore_link",
        "created_at",
        "updated_at",
        "last_login",
    )
    readonly_fields = (
        "id",
        "email",
        "stripe_customer_id",
        "password_status",
        "is_active",
        "deleted_at",
        "deleted_email",
        "restore_link",
        "created_at",
        "updated_at",
        "last_login",
    )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("état"), ordering="deleted_at")
    def account_status(self, obj: User):
        if obj.deleted_at is not None:
            return format_html(
                '<span style="color:#ba2121">{}</span>',
                _("Supprimé le %(date)s")
                % {"date": timezone.localtime(obj.deleted_at).strftime("%Y-%m-%d %H:%M")},
            )
        if not obj.is_active:
            return _("Inactif")
        return _("Actif")

    @admin.display(description=_("mot de passe"))
    def password_status(self, obj: User):
        return _("défini") if obj.has_usable_password() else _("aucun (réinitialisation requise)")

    @admin.display(description=_("restauration"))
    def restore_link(self, obj: User):
        if obj.deleted_at is None:
            return "—"
        url = reverse("admin:accounts_user_restore", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Restaurer ce compte"))

    def get_urls(self):
        return [
            path(
                "<path:object_id>/restore/",
                self.admin_site.admin_view(self.restore_view),
                name="accounts_user_restore",
            ),
            *super().get_urls(),
        ]

    @admin.action(description=_("Supprimer (suppression douce) les utilisateurs sélectionnés"))
    def soft_delete_selected(self, request, queryset):
        users = list(queryset.filter(deleted_at__isnull=True).exclude(pk=request.user.pk))
        if queryset.filter(pk=request.user.pk).exists():
            self.message_user(
                request, _("Vous ne pouvez pas supprimer votre propre compte ici."), messages.ERROR
            )
        if not users:
            self.message_user(request, _("Aucun compte actif à supprimer."), messages.WARNING)
            return None
        if request.POST.get("confirm") != "yes":
            context = {
                **self.admin_site.each_context(request),
                "title": _("Confirmer la suppression"),
                "opts": self.model._meta,
                "users": users,
                "action": "soft_delete_selected",
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(
                request, "admin/accounts/user/soft_delete_confirmation.html", context
            )
        for user in users:
            user_soft_delete(user=user)
        self.message_user(
            request,
            ngettext("%(count)d compte supprimé.", "%(count)d comptes supprimés.", len(users))
            % {"count": len(users)},
            messages.SUCCESS,
        )
        return None

    @admin.action(description=_("Restaurer les utilisateurs sélectionnés"))
    def restore_selected(self, request, queryset):
        restored = 0
        for user in queryset.filter(deleted_at__isnull=False):
            try:
                user_restore(user=user)
            except DomainError as exc:
                url = reverse("admin:accounts_user_restore", args=[user.pk])
                self.message_user(
                    request,
                    format_html(
                        '{} — <a href="{}">{}</a>',
                        exc.message,
                        url,
                        _("restaurer avec une nouvelle adresse"),
                    ),
                    messages.WARNING,
                )
            else:
                restored += 1
        if restored:
            self.message_user(
                request,
                ngettext(
                    "%(count)d compte restauré ; l'utilisateur doit réinitialiser son mot de passe.",
                    "%(count)d comptes restaurés ; les utilisateurs doivent réinitialiser leur mot de passe.",
                    restored,
                )
                % {"count": restored},
                messages.SUCCESS,
            )

    def restore_view(self, request, object_id):
        """An intermediate page to restore one user, under its former or a new address."""
        if not self.has_change_permission(request):
            return HttpResponseRedirect(reverse("admin:login"))
        user = get_object_or_404(User, pk=object_id)
        change_url = reverse("admin:accounts_user_change", args=[user.pk])
        if user.deleted_at is None:
            self.message_user(request, _("Ce compte n'est pas supprimé."), messages.WARNING)
            return HttpResponseRedirect(change_url)
        if request.method == "POST":
            form = RestoreForm(request.POST)
            if form.is_valid():
                try:
                    user_restore(user=user, email=form.cleaned_data["email"])
                except DomainError as exc:
                    form.add_error("email", str(exc.message))
                else:
                    self.message_user(
                        request,
                        _("Compte restauré ; l'utilisateur doit réinitialiser son mot de passe."),
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(change_url)
        else:
            form = RestoreForm(initial={"email": user.deleted_email})
        context = {
            **self.admin_site.each_context(request),
            "title": _("Restaurer un compte"),
            "opts": self.model._meta,
            "original": user,
            "form": form,
        }
        return TemplateResponse(request, "admin/accounts/user/restore_form.html", context)

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


# --- API keys and refresh tokens ----------------------------------------------------------


class CredentialStatusFilter(admin.SimpleListFilter):
    title = _("état")
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

    @admin.display(description=_("état"))
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
