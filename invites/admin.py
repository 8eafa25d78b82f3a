"""Staff admin for beta invites (docs/invites.md, Admin; docs/admin.md).

The page staff live in during the beta. It answers at a glance "who was invited, who signed
up, who has not received their email":

- the list shows email, status, sent (count and last delivery, a failed last delivery in
  red), expiry, used by and used at — every column fits a 1366 px screen without scrolling
  (``tests/admin_ui`` checks it in Chromium); the code and the creation date are on the
  invite's page and in the CSV (the date filter above the list is on the creation date), the
  code is searchable;
- cards above the list (pending, not yet sent, sent, used, expired, revoked, failed deliveries,
  conversion) count the invites of the active filters and search, and each links to the list
  filtered on it;
- an invite's page has Send / Resend / Revoke buttons, the number of deliveries and the last
  delivery error;
- the bulk page invites a pasted list; addresses that already have an account are flagged and
  skipped unless staff tick "invite them anyway";
- actions: send/resend, revoke, and CSV exports that open in Excel in French (``;``) and
  English (``,``) locales (UTF-8 with a byte-order mark).

Every write goes through ``invites.services``, like the API and ``create_invites``.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from huntaze.admin_actions import ConfirmationGroup, action_confirmation, confirmed
from huntaze.admin_site import EMPTY
from huntaze.exceptions import DomainError
from huntaze.l10n import number, percent
from invites.admin_bulk import SEND_CONFIRM_ABOVE, InviteBulkPageMixin, send_message
from invites.admin_export import csv_export
from invites.models import BetaInvite, EmailStatus, InviteStatus
from invites.selectors import invite_funnel
from invites.services import (
    invite_revoke,
    invite_revoke_many,
    invite_send,
)

STATUS_COLORS = {
    InviteStatus.PENDING: "#2563eb",
    InviteStatus.USED: "#16a34a",
    InviteStatus.EXPIRED: "#6b7280",
    InviteStatus.REVOKED: "#dc2626",
}
NOT_SENT_COLOR = "#b45309"
QUEUED_COLOR = "#2563eb"
FAILED_COLOR = "#dc2626"


def _short(value: datetime | None) -> str:
    """A date and time in the active language's short format (27/11/2026 14:05)."""
    if value is None:
        return EMPTY
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


class StatusListFilter(admin.SimpleListFilter):
    """Derived status as WHERE clauses (see ``BetaInviteQuerySet.with_status_filter``)."""

    title = gettext_lazy("statut")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(status.value, InviteStatus(status).label) for status in InviteStatus]

    def queryset(self, request, queryset):
        value = self.value()
        if value in InviteStatus.values:
            return queryset.with_status_filter(value)
        return queryset


class SentListFilter(admin.SimpleListFilter):
    title = gettext_lazy("email envoyé")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [
            ("yes", gettext_lazy("Oui")),
            ("no", gettext_lazy("Non")),
            ("queued", gettext_lazy("En file d'envoi")),
            ("failed", gettext_lazy("Dernier envoi en échec")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "queued":
            return queryset.filter(email_status__in=[EmailStatus.QUEUED, EmailStatus.SENDING])
        if self.value() == "failed":
            return queryset.filter(email_status=EmailStatus.FAILED)
        return queryset


@admin.register(BetaInvite)
class BetaInviteAdmin(InviteBulkPageMixin, admin.ModelAdmin):
    list_display = (
        "email",
        "status_badge",
        "sent_column",
        "expires_column",
        "used_by_link",
        "used_at_column",
    )
    list_display_links = ("email",)
    list_filter = (StatusListFilter, SentListFilter)
    search_fields = ("email", "code")
    list_select_related = ("used_by",)
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    list_per_page = 100
    actions = ("send_invites", "revoke_invites", "export_csv_semicolon", "export_csv_comma")
    fieldsets = (
        (None, {"fields": ("email", "code", "status_badge", "expires_at")}),
        (
            gettext_lazy("Envoi"),
            {
                "fields": (
                    "email_state_display",
                    "sent_at",
                    "send_count",
                    "last_send_error_display",
                    "last_send_error_at",
                )
            },
        ),
        (gettext_lazy("Utilisation"), {"fields": ("used_at", "used_by_link", "revoked_at")}),
        (gettext_lazy("Historique"), {"fields": ("created_at", "created_by")}),
    )
    readonly_fields = (
        "email",
        "code",
        "status_badge",
        "created_at",
        "created_by",
        "email_state_display",
        "sent_at",
        "send_count",
        "last_send_error_display",
        "last_send_error_at",
        "used_at",
        "used_by_link",
        "revoked_at",
    )

    def get_readonly_fields(self, request, obj=None):
        """The expiry is the one field staff edit, and only while it can still matter: a used
        or revoked invite keeps the date it had."""
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and obj.status in (InviteStatus.USED, InviteStatus.REVOKED):
            return (*fields, "expires_at")
        return fields

    # --- list ----------------------------------------------------------------------------

    def get_queryset(self, request):
        return super().get_queryset(request).with_status()

    @admin.display(description=gettext_lazy("statut"), ordering="status_sql")
    def status_badge(self, obj: BetaInvite):
        status = getattr(obj, "status_sql", None) or obj.status
        return format_html(
            '<span class="invite-status invite-status-{}" style="color:{};font-weight:600">{}</span>',
            status,
            STATUS_COLORS[status],
            InviteStatus(status).label,
        )

    @admin.display(description=gettext_lazy("envoyée"), ordering="sent_at")
    def sent_column(self, obj: BetaInvite):
        """Where the email is: queued for the worker (with the last temporary error in the
        tooltip while it tries again), failed in red (its error in the tooltip), else the
        deliveries and the last one (``2x · 27/11/2026 14:05``), or "not sent" in amber."""
        state = obj.email_state
        if state == EmailStatus.QUEUED:
            retrying = bool(obj.last_send_error)
            return format_html(
                '<span class="invite-email-queued" style="color:{};font-weight:600" title="{}">{}</span>',
                QUEUED_COLOR,
                obj.last_send_error if retrying else _("le worker l'envoie dans un instant"),
                _("en file d'envoi (nouvel essai)") if retrying else _("en file d'envoi"),
            )
        if state == EmailStatus.FAILED:
            return format_html(
                '<span class="invite-email-failed" style="color:{};font-weight:600" title="{}">{}</span>',
                FAILED_COLOR,
                obj.last_send_error,
                _("échec le %(date)s") % {"date": _short(obj.last_send_error_at)},
            )
        if obj.sent_at is None:
            return format_html(
                '<span style="color:{}">{}</span>', NOT_SENT_COLOR, _("pas encore envoyée")
            )
        return format_html(
            '<span title="{}">{}\u00d7 · {}</span>',
            _("nombre d'envois · dernier envoi"),
            obj.send_count or 1,
            _short(obj.sent_at),
        )

    @admin.display(description=gettext_lazy("expire le"), ordering="expires_at")
    def expires_column(self, obj: BetaInvite):
        status = getattr(obj, "status_sql", None) or obj.status
        if status in (InviteStatus.USED, InviteStatus.REVOKED):
            return EMPTY
        return _short(obj.expires_at)

    @admin.display(description=gettext_lazy("utilisée par"), ordering="used_by__email")
    def used_by_link(self, obj: BetaInvite):
        if obj.used_by is None:
            return EMPTY
        url = reverse("admin:accounts_user_change", args=[obj.used_by.pk])
        return format_html('<a href="{}">{}</a>', url, obj.used_by.email)

    @admin.display(description=gettext_lazy("utilisée le"), ordering="used_at")
    def used_at_column(self, obj: BetaInvite):
        return _short(obj.used_at)

    @admin.display(description=gettext_lazy("email"))
    def email_state_display(self, obj: BetaInvite):
        state = obj.email_state
        if state is None:
            return _("pas encore envoyée")
        return format_html('<span id="invite-email-state">{}</span>', EmailStatus(state).label)

    @admin.display(description=gettext_lazy("dernière erreur d'envoi"))
    def last_send_error_display(self, obj: BetaInvite):
        if not obj.last_send_error:
            return EMPTY
        return format_html(
            '<span id="invite-last-error" style="color:{}">{}</span>',
            FAILED_COLOR,
            obj.last_send_error,
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "bulk_url": reverse("admin:invites_betainvite_bulk"),
        }
        response = super().changelist_view(request, extra_context=extra_context)
        context = getattr(response, "context_data", None)
        if context is not None and "cl" in context:
            # Counted on the list as filtered and searched: the cards follow what is shown.
            funnel = invite_funnel(queryset=context["cl"].queryset.order_by())
            context["funnel"] = funnel
            context["cards"] = _cards(request, context["cl"], funnel)
        return response

    # --- creating -----------------------------------------------------------------------

    def has_delete_permission(self, request, obj=None) -> bool:
        # An invite is revoked, never deleted: the funnel and "used by" keep their history.
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """One invite or many: the bulk page handles both."""
        return HttpResponseRedirect(reverse("admin:invites_betainvite_bulk"))

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("bulk/", view(self.bulk_view), name="invites_betainvite_bulk"),
            path("<path:object_id>/send/", view(self.send_view), name="invites_betainvite_send"),
            path(
                "<path:object_id>/revoke/",
                view(self.revoke_view),
                name="invites_betainvite_revoke",
            ),
            *super().get_urls(),
        ]

    # --- one invite's page: Send / Resend / Revoke ----------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        invite = self.get_object(request, object_id)
        extra_context = {**(extra_context or {}), **_invite_buttons(invite)}
        if invite is not None:  # Django's reads "Modification de invitation bêta" (no elision)
            extra_context.setdefault("title", _("Invitation bêta"))
        return super().change_view(request, object_id, form_url, extra_context)

    def send_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """POST: send (or resend) this invite's email now, then back to its page."""
        invite = self._invite_for_change(request, object_id)
        change_url = reverse("admin:invites_betainvite_change", args=[invite.pk])
        if request.method != "POST":
            return HttpResponseRedirect(change_url)
        if invite.status != InviteStatus.PENDING:
            self.message_user(
                request,
                _("Cette invitation n'est plus en attente : elle ne peut pas être envoyée."),
                messages.WARNING,
            )
            return HttpResponseRedirect(change_url)
        text, level = send_message(invite_send(invites=[invite]))
        self.message_user(request, text, level)
        return HttpResponseRedirect(change_url)

    def revoke_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """GET: a confirmation page; POST: revoke the invite, then back to its page."""
        invite = self._invite_for_change(request, object_id)
        change_url = reverse("admin:invites_betainvite_change", args=[invite.pk])
        if request.method == "POST":
            try:
                invite_revoke(invite=invite)
            except DomainError as exc:
                self.message_user(request, str(exc.message), messages.ERROR)
            else:
                self.message_user(request, _("Invitation révoquée."), messages.SUCCESS)
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Révoquer l'invitation"),
            "original": invite,
            "change_url": change_url,
        }
        return TemplateResponse(
            request, "admin/invites/betainvite/revoke_confirmation.html", context
        )

    def _invite_for_change(self, request, object_id: str) -> BetaInvite:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(BetaInvite, pk=_uuid_or_404(object_id))

    # --- actions ------------------------------------------------------------------------

    @admin.action(description=gettext_lazy("Envoyer / renvoyer l'email d'invitation"))
    def send_invites(self, request, queryset):
        """Send (or resend) the selected pending invites; more than ``SEND_CONFIRM_ABOVE``
        emails at once ask first, on a page listing the recipients."""
        invites = list(queryset.order_by("created_at"))
        to_send = [i for i in invites if i.status == InviteStatus.PENDING]
        if not to_send:
            self.message_user(
                request,
                _("Aucune invitation en attente dans la sélection : aucun email à envoyer."),
                messages.WARNING,
            )
            return None
        if len(to_send) > SEND_CONFIRM_ABOVE and not confirmed(request):
            return self._send_confirmation(request, to_send, invites)
        # invite_send skips (and reports) what is no longer pending, the selection's or a race's.
        text, level = send_message(invite_send(invites=invites))
        self.message_user(request, text, level)
        return None

    def _send_confirmation(self, request, to_send: list[BetaInvite], selected: list[BetaInvite]):
        count = len(to_send)
        sending = {i.pk for i in to_send}
        resends = sum(1 for i in to_send if i.sent_at is not None)
        return action_confirmation(
            request,
            self,
            action="send_invites",
            title=_("Envoyer les invitations"),
            question=ngettext(
                "Envoyer %(n)s email d'invitation ?", "Envoyer %(n)s emails d'invitation ?", count
            )
            % {"n": number(count)},
            consequence=(
                ngettext(
                    "Dont %(n)s renvoi à une adresse qui l'a déjà reçue.",
                    "Dont %(n)s renvois à des adresses qui l'ont déjà reçue.",
                    resends,
                )
                % {"n": number(resends)}
                if resends
                else ""
            ),
            groups=[
                ConfirmationGroup(
                    "send",
                    _("Recevront l'email"),
                    [(i.email, _delivery_text(i)) for i in to_send],
                ),
                ConfirmationGroup(
                    "skip",
                    _("Pas d'email (l'invitation n'est plus en attente)"),
                    [
                        (i.email, InviteStatus(i.status).label)
                        for i in selected
                        if i.pk not in sending
                    ],
                ),
            ],
            selected=[i.pk for i in to_send],
            confirm_label=ngettext("Oui, envoyer %(n)s email", "Oui, envoyer %(n)s emails", count)
            % {"n": number(count)},
        )

    @admin.action(description=gettext_lazy("Révoquer les invitations sélectionnées"))
    def revoke_invites(self, request, queryset):
        """Revoke the selected unused invites, after a confirmation page that lists them (and
        the ones that will not change: used or already revoked)."""
        if not confirmed(request):
            return self._revoke_confirmation(request, list(queryset.order_by("email")))
        revoked, used = invite_revoke_many(invites=queryset)
        parts, level = [], messages.SUCCESS
        if revoked or not used:
            parts.append(
                ngettext("%(n)d invitation révoquée.", "%(n)d invitations révoquées.", revoked)
                % {"n": revoked}
            )
        if used:  # used between the confirmation page and "Yes"
            parts.append(
                ngettext(
                    "%(n)d invitation déjà utilisée : non révoquée.",
                    "%(n)d invitations déjà utilisées : non révoquées.",
                    used,
                )
                % {"n": used}
            )
            level = messages.WARNING
        self.message_user(request, " ".join(parts), level)
        return None

    def _revoke_confirmation(self, request, invites: list[BetaInvite]):
        revocable = [i for i in invites if i.status in (InviteStatus.PENDING, InviteStatus.EXPIRED)]
        if not revocable:
            self.message_user(
                request,
                _("Aucune invitation à révoquer : la sélection est déjà utilisée ou révoquée."),
                messages.WARNING,
            )
            return None
        count = len(revocable)
        kept = [i for i in invites if i not in revocable]
        return action_confirmation(
            request,
            self,
            action="revoke_invites",
            title=_("Révoquer les invitations"),
            question=ngettext("Révoquer %(n)s invitation ?", "Révoquer %(n)s invitations ?", count)
            % {"n": number(count)},
            consequence=_(
                "Leur code ne permettra plus de s'inscrire. Une révocation ne s'annule pas : "
                "une nouvelle invitation pourra être envoyée plus tard."
            ),
            groups=[
                ConfirmationGroup(
                    "revoke",
                    _("Seront révoquées"),
                    [(i.email, InviteStatus(i.status).label) for i in revocable],
                ),
                ConfirmationGroup(
                    "unchanged",
                    _("Ne changeront pas"),
                    [(i.email, InviteStatus(i.status).label) for i in kept],
                ),
            ],
            selected=[i.pk for i in revocable],
            confirm_label=ngettext(
                "Oui, révoquer %(n)s invitation", "Oui, révoquer %(n)s invitations", count
            )
            % {"n": number(count)},
            danger=True,
        )

    @admin.action(description=gettext_lazy("Exporter en CSV (Excel en français : « ; »)"))
    def export_csv_semicolon(self, request, queryset):
        return csv_export(queryset, delimiter=";")

    @admin.action(description=gettext_lazy("Exporter en CSV (Excel en anglais : « , »)"))
    def export_csv_comma(self, request, queryset):
        return csv_export(queryset, delimiter=",")


def _delivery_text(invite: BetaInvite) -> str:
    if invite.sent_at is None:
        return _("premier envoi")
    return ngettext(
        "déjà envoyée %(n)d fois, dernier envoi le %(date)s",
        "déjà envoyée %(n)d fois, dernier envoi le %(date)s",
        invite.send_count or 1,
    ) % {"n": invite.send_count or 1, "date": _short(invite.sent_at)}


def _uuid_or_404(object_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(object_id))
    except ValueError:
        raise Http404 from None


def _invite_buttons(invite: BetaInvite | None) -> dict:
    """Which of Send / Resend / Revoke the invite's page shows."""
    if invite is None:
        return {}
    status = invite.status
    pending = status == InviteStatus.PENDING
    return {
        "invite_status": status,
        "can_send": pending and invite.sent_at is None,
        "can_resend": pending and invite.sent_at is not None,
        "can_revoke": status in (InviteStatus.PENDING, InviteStatus.EXPIRED),
        "send_url": reverse("admin:invites_betainvite_send", args=[invite.pk]),
        "revoke_url": reverse("admin:invites_betainvite_revoke", args=[invite.pk]),
    }


def _cards(request, changelist, funnel: dict) -> list[dict]:
    """The cards above the list: a count, and the list filtered on it (search kept)."""
    active = (request.GET.get("status"), request.GET.get("sent"))

    def card(key, label, value, status=None, sent=None, hint=""):
        query = changelist.get_query_string({"status": status, "sent": sent}, remove=["p"])
        return {
            "key": key,
            "label": label,
            "value": value,
            "hint": hint,
            "url": query,
            "active": active == (status, sent),
        }

    def pct(value):
        return percent(value) if value is not None else EMPTY

    return [
        card("issued", _("Émises"), funnel["issued"], hint=_("toutes")),
        card("pending", _("En attente"), funnel["pending"], status="pending"),
        card(
            "not-sent",
            _("Pas encore envoyées"),
            funnel["not_sent"],
            status="pending",
            sent="no",
            hint=_("en attente, jamais envoyées"),
        ),
        card(
            "failed",
            _("Envois en échec"),
            funnel["send_failed"],
            sent="failed",
            hint=_("dernier envoi en échec"),
        ),
        card(
            "sent",
            _("Envoyées"),
            funnel["sent"],
            sent="yes",
            hint=_("%(rate)s des émises") % {"rate": pct(funnel["sent_rate"])},
        ),
        card(
            "used",
            _("Utilisées"),
            funnel["used"],
            status="used",
            hint=_("%(rate)s des envoyées") % {"rate": pct(funnel["used_of_sent"])},
        ),
        card("expired", _("Expirées"), funnel["expired"], status="expired"),
        card("revoked", _("Révoquées"), funnel["revoked"], status="revoked"),
        {
            "key": "conversion",
            "label": _("Conversion"),
            "value": pct(funnel["conversion"]),
            "hint": _("utilisées / émises"),
            "url": None,
            "active": False,
        },
    ]
