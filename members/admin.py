"""Admin for users (docs/users.md, Admin; docs/admin.md). It shows what several apps know of a
user (the invite it signed up with, its content, its subscription), so it sits in ``members``,
above them; the templates of its confirmation pages are ``members/templates/admin/accounts/user``.

What staff need to trust it:

- **Nothing that Stripe or a deliberate decision owns is a form field.** The plan
  (``subscription``) follows Stripe's webhooks, so it is read-only here; ``role`` is
  read-only too, because ADMIN is every admin permission at once: a staff member grants or
  removes it with the "staff access" button of the user's page, on a confirmation page that
  says what it means (``user_role_set``; nobody can remove their own access).
- **The page answers "who is this creator?"**: the invite they signed up with, last sign-in
  and last activity, content count, API keys, AI generations this month, subscription.
- **The list answers "who never came back?"**: a last-activity column (the newest of the last
  sign-in, the last session renewal and the last API-key use: ``last_login`` alone misses a
  creator who stays signed in) and an activity filter whose first choice is "never came back
  after signing up".

Never shown: the password hash (only whether a password is set). Users cannot be added (sign-up
needs an invite) or hard-deleted here (``manage.py purge_deleted_users`` does that, after the
soft delete).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import Role, User
from accounts.selectors import user_active_q, user_last_activity_annotation, user_never_back_q
from accounts.services import mfa
from accounts.services.users import (
    user_restore,
    user_role_set,
    user_sign_out_everywhere,
    user_soft_delete,
)
from huntaze.exceptions import DomainError
from members.selectors import user_admin_summary

EMPTY = "—"


def _short(value) -> str:
    if value is None:
        return EMPTY
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


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


class ActivityFilter(admin.SimpleListFilter):
    """By last activity (``last_activity``, annotated by ``UserAdmin.get_queryset``).

    "Active" and "never came back" are ``accounts.selectors``' definitions, the ones the Beta
    dashboard counts with: signing up is not coming back, so the two never overlap.
    """

    title = _("dernière activité")
    parameter_name = "activity"

    def lookups(self, request, model_admin):
        return (
            ("never_back", _("Jamais revenu après l'inscription")),
            ("7d", _("Actif ces 7 derniers jours")),
            ("30d", _("Actif ces 30 derniers jours")),
            ("inactive_30d", _("Inactif depuis plus de 30 jours")),
        )

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "never_back":
            return queryset.filter(user_never_back_q(now=now))
        if self.value() == "7d":
            return queryset.filter(user_active_q(days=7, now=now))
        if self.value() == "30d":
            return queryset.filter(user_active_q(days=30, now=now))
        if self.value() == "inactive_30d":
            return queryset.filter(
                Q(last_activity__isnull=True) | Q(last_activity__lt=now - timedelta(days=30))
            )
        return queryset


class TwoFactorFilter(admin.SimpleListFilter):
    """Who has two-factor (TOTP) on: ``totp_on``, annotated by ``UserAdmin.get_queryset``."""

    title = _("double authentification")
    parameter_name = "two_factor"

    def lookups(self, request, model_admin):
        return (("on", _("Activée")), ("off", _("Désactivée")))

    def queryset(self, request, queryset):
        if self.value() == "on":
            return queryset.filter(totp_on=True)
        if self.value() == "off":
            return queryset.filter(totp_on=False)
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
    list_display = (
        "email",
        "name",
        "role",
        "subscription",
        "created_at_column",
        "last_activity_column",
        "two_factor_column",
        "account_status",
    )
    list_filter = (ActivityFilter, "subscription", "role", TwoFactorFilter, DeletedFilter)
    search_fields = ("email", "name", "deleted_email")
    ordering = ("-created_at",)
    actions = ("soft_delete_selected", "restore_selected")
    # Avatar URLs typed without a scheme are https (Django 6's default, without its warning).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    # Never the password hash: only safe fields are shown, and only name and avatar are
    # editable. Email, role, plan, activity and deletion change through services only.
    fieldsets = (
        (None, {"fields": ("email", "name", "avatar", "account_status")}),
        (
            _("Accès"),
            {
                "fields": (
                    "role",
                    "staff_access",
                    "password_status",
                    "two_factor",
                    "sessions_display",
                    "is_active",
                )
            },
        ),
        (
            _("Activité"),
            {
                "fields": (
                    "invite_used",
                    "created_at",
                    "last_login",
                    "last_activity_display",
                    "content_count",
                    "api_keys_display",
                    "ai_usage_display",
                )
            },
        ),
        (_("Abonnement"), {"fields": ("subscription", "subscription_record_link")}),
        (
            _("Suppression"),
            {
                "fields": ("deleted_at", "deleted_email", "restore_link"),
                "classes": ("collapse",),
            },
        ),
        (_("Technique"), {"fields": ("id", "updated_at"), "classes": ("collapse",)}),
    )
    readonly_fields = (
        "id",
        "email",
        "account_status",
        "role",
        "staff_access",
        "subscription",
        "subscription_record_link",
        "password_status",
        "two_factor",
        "sessions_display",
        "is_active",
        "invite_used",
        "created_at",
        "last_login",
        "last_activity_display",
        "content_count",
        "api_keys_display",
        "ai_usage_display",
        "deleted_at",
        "deleted_email",
        "restore_link",
        "updated_at",
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(**user_last_activity_annotation(), totp_on=mfa.totp_on_q())
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = self.get_object(request, object_id)
        extra_context = dict(extra_context or {})
        if user is not None:  # Django's reads "Modification de utilisateur" (no elision)
            title = _("Compte staff") if user.role == Role.ADMIN else _("Compte créateur")
            extra_context.setdefault("title", title)
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _summary_of(obj: User) -> dict:
        """``user_admin_summary``, computed once per object shown (kept on the instance: the
        ModelAdmin itself is shared by every request)."""
        if not hasattr(obj, "_admin_summary"):
            obj._admin_summary = user_admin_summary(user=obj)
        return obj._admin_summary

    # --- columns and read-only fields ----------------------------------------------------

    @admin.display(description=_("inscrit le"), ordering="created_at")
    def created_at_column(self, obj: User):
        return _short(obj.created_at)

    @admin.display(description=_("dernière activité"), ordering="last_activity")
    def last_activity_column(self, obj: User):
        return _short(getattr(obj, "last_activity", None))

    @admin.display(description=_("2FA"), boolean=True, ordering="totp_on")
    def two_factor_column(self, obj: User):
        return getattr(obj, "totp_on", None)

    @admin.display(description=_("double authentification"))
    def two_factor(self, obj: User):
        state = mfa.mfa_status(user=obj)
        if not state.totp:
            # Each user sets it up themselves (staff: "Double authentification" in the header).
            return _("Désactivée (mot de passe seul).")
        text = ngettext(
            "Activée (TOTP) ; %(n)d code de secours restant.",
            "Activée (TOTP) ; %(n)d codes de secours restants.",
            state.recovery_codes_left,
        ) % {"n": state.recovery_codes_left}
        url = reverse("admin:accounts_user_two_factor", args=[obj.pk])
        return format_html(
            '{} <a class="button" id="user-two-factor-off" href="{}">{}</a>',
            text,
            url,
            _("Désactiver la double authentification…"),
        )

    @admin.display(description=_("sessions"))
    def sessions_display(self, obj: User):
        count = obj.refresh_tokens.filter(
            revoked_at__isnull=True, expires_at__gt=timezone.now()
        ).count()
        text = ngettext(
            "%(n)d session ouverte (API et applications).",
            "%(n)d sessions ouvertes (API et applications).",
            count,
        ) % {"n": count}
        url = reverse("admin:accounts_user_sign_out", args=[obj.pk])
        return format_html(
            '{} <a class="button" id="user-sign-out" href="{}">{}</a>',
            text,
            url,
            _("Déconnecter partout…"),
        )

    @admin.display(description=_("statut"), ordering="deleted_at")
    def account_status(self, obj: User):
        if obj.deleted_at is not None:
            return format_html(
                '<span style="color:#ba2121">{}</span>',
                _("Supprimé le %(date)s") % {"date": _short(obj.deleted_at)},
            )
        if not obj.is_active:
            return _("Inactif")
        return _("Actif")

    @admin.display(description=_("mot de passe"))
    def password_status(self, obj: User):
        return _("défini") if obj.has_usable_password() else _("aucun (réinitialisation requise)")

    @admin.display(description=_("accès staff"))
    def staff_access(self, obj: User):
        url = reverse("admin:accounts_user_role", args=[obj.pk])
        if obj.role == Role.ADMIN:
            text, label = _("Staff : accès complet à l'administration."), _("Retirer l'accès staff")
        else:
            text, label = _("Pas d'accès à l'administration."), _("Donner l'accès staff…")
        if obj.deleted_at is not None or not obj.is_active:
            return text
        return format_html('{} <a class="button" id="user-role" href="{}">{}</a>', text, url, label)

    @admin.display(description=_("invitation utilisée"))
    def invite_used(self, obj: User):
        invite = self._summary_of(obj)["invite"]
        if invite is None:
            return _("aucune (compte créé sans invitation : staff, import)")
        url = reverse("admin:invites_betainvite_change", args=[invite.pk])
        return format_html('<a href="{}">{}</a> · {}', url, invite.code, _short(invite.used_at))

    @admin.display(description=_("dernière activité"))
    def last_activity_display(self, obj: User):
        return format_html(
            '{} <span class="help">{}</span>',
            _short(self._summary_of(obj)["last_activity"]),
            _("(connexion, renouvellement de session ou clé API)"),
        )

    @admin.display(description=_("contenus"))
    def content_count(self, obj: User):
        count = self._summary_of(obj)["content_count"]
        url = reverse("admin:content_contentasset_changelist") + f"?user__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, count)

    @admin.display(description=_("clés API"))
    def api_keys_display(self, obj: User):
        summary = self._summary_of(obj)
        url = reverse("admin:accounts_apikey_changelist") + f"?user__id__exact={obj.pk}"
        text = ngettext(
            "%(active)d active sur %(total)d",
            "%(active)d actives sur %(total)d",
            summary["keys_active"],
        ) % {"active": summary["keys_active"], "total": summary["keys_total"]}
        return format_html('<a href="{}">{}</a>', url, text)

    @admin.display(description=_("IA ce mois-ci"))
    def ai_usage_display(self, obj: User):
        count = self._summary_of(obj)["ai_generations_this_month"]
        return ngettext("%(n)d génération", "%(n)d générations", count) % {"n": count}

    @admin.display(description=_("abonnement Stripe"))
    def subscription_record_link(self, obj: User):
        record = getattr(obj, "subscription_record", None) if _has_record(obj) else None
        if record is None:
            return _("aucun (formule gratuite, jamais passé par Stripe)")
        url = reverse("admin:billing_subscriptionrecord_change", args=[record.pk])
        return format_html_join(
            " · ",
            "{}",
            [
                (format_html('<a href="{}">{}</a>', url, record.get_status_display()),),
                (_("fin de période : %(date)s") % {"date": _short(record.current_period_end)},),
            ],
        )

    @admin.display(description=_("restauration"))
    def restore_link(self, obj: User):
        if obj.deleted_at is None:
            return EMPTY
        url = reverse("admin:accounts_user_restore", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Restaurer ce compte"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/restore/", view(self.restore_view), name="accounts_user_restore"
            ),
            path("<path:object_id>/role/", view(self.role_view), name="accounts_user_role"),
            path(
                "<path:object_id>/two-factor/",
                view(self.two_factor_view),
                name="accounts_user_two_factor",
            ),
            path(
                "<path:object_id>/sign-out/",
                view(self.sign_out_view),
                name="accounts_user_sign_out",
            ),
            *super().get_urls(),
        ]

    # --- staff access ---------------------------------------------------------------------

    def role_view(self, request, object_id):
        """GET: what granting (or removing) staff access means; POST: do it (``user_role_set``)."""
        if not self.has_change_permission(request):
            return HttpResponseRedirect(reverse("admin:login"))
        user = get_object_or_404(User, pk=_uuid_or_404(object_id))
        change_url = reverse("admin:accounts_user_change", args=[user.pk])
        target = Role.CREATOR if user.role == Role.ADMIN else Role.ADMIN
        if request.method == "POST":
            try:
                user_role_set(user=user, role=request.POST.get("role", ""), by=request.user)
            except DomainError as exc:
                self.message_user(request, str(exc.message), messages.ERROR)
            else:
                user.refresh_from_db()
                self.message_user(
                    request,
                    _("%(email)s est maintenant staff.") % {"email": user.email}
                    if user.role == Role.ADMIN
                    else _("%(email)s n'a plus accès à l'administration.") % {"email": user.email},
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Donner l'accès staff")
            if target == Role.ADMIN
            else _("Retirer l'accès staff"),
            "opts": self.model._meta,
            "original": user,
            "target": target,
            "grant": target == Role.ADMIN,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/accounts/user/role_confirmation.html", context)

    # --- two-factor and sessions ------------------------------------------------------------

    def _tool_context(self, request, user: User, title) -> dict:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "original": user,
            "change_url": reverse("admin:accounts_user_change", args=[user.pk]),
        }

    def two_factor_view(self, request, object_id):
        """GET: what turning off a user's two-factor means; POST: do it (logged)."""
        if not self.has_change_permission(request):
            return HttpResponseRedirect(reverse("admin:login"))
        user = get_object_or_404(User, pk=_uuid_or_404(object_id))
        context = self._tool_context(request, user, _("Désactiver la double authentification"))
        if request.method == "POST":
            if mfa.mfa_disable_by_staff(user=user, by=request.user):
                self.message_user(
                    request,
                    _(
                        "Double authentification désactivée pour %(email)s : le mot de passe "
                        "suffit à se connecter jusqu'à ce qu'il la réactive."
                    )
                    % {"email": user.email},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    _("%(email)s n'avait pas de double authentification.") % {"email": user.email},
                    messages.WARNING,
                )
            return HttpResponseRedirect(context["change_url"])
        context["enabled"] = mfa.totp_is_on(user=user)
        return TemplateResponse(
            request, "admin/accounts/user/two_factor_confirmation.html", context
        )

    def sign_out_view(self, request, object_id):
        """GET: what signing a user out everywhere means; POST: revoke every refresh family."""
        if not self.has_change_permission(request):
            return HttpResponseRedirect(reverse("admin:login"))
        user = get_object_or_404(User, pk=_uuid_or_404(object_id))
        context = self._tool_context(request, user, _("Déconnecter partout"))
        if request.method == "POST":
            user_sign_out_everywhere(user=user, by=request.user)
            self.message_user(
                request,
                _(
                    "%(email)s est déconnecté partout : ses sessions sont révoquées (un jeton "
                    "d'accès déjà émis expire dans 15 minutes au plus)."
                )
                % {"email": user.email},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(context["change_url"])
        return TemplateResponse(request, "admin/accounts/user/sign_out_confirmation.html", context)

    # --- soft delete and restore -----------------------------------------------------------

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
        user = get_object_or_404(User, pk=_uuid_or_404(object_id))
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


def _has_record(user: User) -> bool:
    try:
        user.subscription_record  # noqa: B018 - the access is the check
    except User.subscription_record.RelatedObjectDoesNotExist:
        return False
    return True


def _uuid_or_404(object_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(object_id))
    except ValueError:
        raise Http404 from None
