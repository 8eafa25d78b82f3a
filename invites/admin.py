"""Staff admin for beta invites (docs/invites.md, Admin).

The list shows status (computed in SQL so it filters and sorts), a funnel summary on top, a
bulk page to invite a pasted list of emails, and actions to send/resend, revoke and export.
Every write goes through ``invites.services``, like the API and ``create_invites``.
"""

from __future__ import annotations

import csv
from datetime import datetime

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invites.models import BetaInvite, InviteStatus
from invites.selectors import invite_funnel
from invites.services import (
    EXPIRES_IN_DAYS_MAX,
    EXPIRES_IN_DAYS_MIN,
    ISSUE_MANY_MAX,
    IssueResult,
    ParsedEmails,
    SendReport,
    invite_emails_parse,
    invite_issue_many,
    invite_revoke_many,
    invite_send,
)

STATUS_LABELS = {
    InviteStatus.PENDING: gettext_lazy("En attente"),
    InviteStatus.USED: gettext_lazy("Utilisée"),
    InviteStatus.EXPIRED: gettext_lazy("Expirée"),
    InviteStatus.REVOKED: gettext_lazy("Révoquée"),
}
STATUS_COLORS = {
    InviteStatus.PENDING: "#2563eb",
    InviteStatus.USED: "#16a34a",
    InviteStatus.EXPIRED: "#9ca3af",
    InviteStatus.REVOKED: "#dc2626",
}


class StatusListFilter(admin.SimpleListFilter):
    """Derived status as WHERE clauses (see ``BetaInviteQuerySet.with_status_filter``)."""

    title = gettext_lazy("statut")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [(status.value, STATUS_LABELS[status]) for status in InviteStatus]

    def queryset(self, request, queryset):
        value = self.value()
        if value in InviteStatus.values:
            return queryset.with_status_filter(value)
        return queryset


class SentListFilter(admin.SimpleListFilter):
    title = gettext_lazy("email envoyé")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Oui")), ("no", gettext_lazy("Non"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(sent_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(sent_at__isnull=True)
        return queryset


class InviteBulkForm(forms.Form):
    emails = forms.CharField(
        label=gettext_lazy("Emails"),
        widget=forms.Textarea(attrs={"rows": 12, "cols": 60, "spellcheck": "false"}),
        help_text=gettext_lazy(
            "Une adresse par ligne (virgules et points-virgules acceptés). "
            "Une adresse qui a déjà une invitation en attente la garde."
        ),
    )
    expires_in_days = forms.IntegerField(
        label=gettext_lazy("Validité (jours)"),
        min_value=EXPIRES_IN_DAYS_MIN,
        max_value=EXPIRES_IN_DAYS_MAX,
    )
    send = forms.BooleanField(
        label=gettext_lazy("Envoyer l'email d'invitation"),
        required=False,
        initial=True,
        help_text=gettext_lazy("Aux invitations qui n'ont pas encore été envoyées."),
    )


def _csv_cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def _bulk_list_refusal(parsed: ParsedEmails) -> str | None:
    """Why a pasted list cannot be issued at all, or None."""
    if not parsed.valid:
        return _("Aucune adresse email valide.")
    if len(parsed.valid) > ISSUE_MANY_MAX:
        return _("Au plus %(max)s adresses à la fois.") % {"max": ISSUE_MANY_MAX}
    return None


def _send_message(report: SendReport) -> tuple[str, int]:
    if not report.done:  # called inside a transaction: delivery happens after commit
        return _("L'envoi des emails est programmé après validation."), messages.INFO
    text = _("%(sent)d email(s) envoyé(s).") % {"sent": len(report.sent)}
    level = messages.SUCCESS
    if report.skipped:
        text += " " + _("%(skipped)d invitation(s) ignorée(s) : elles ne sont plus en attente.") % {
            "skipped": len(report.skipped)
        }
        level = messages.WARNING
    if report.failed:
        text += " " + _(
            "%(failed)d envoi(s) en échec : les invitations sont conservées, réessayez plus tard."
        ) % {"failed": len(report.failed)}
        level = messages.ERROR
    return text, level


@admin.register(BetaInvite)
class BetaInviteAdmin(admin.ModelAdmin):
    list_display = (
        "email",
        "code",
        "status_badge",
        "created_at",
        "sent_at",
        "used_at",
        "used_by_link",
    )
    list_filter = (StatusListFilter, SentListFilter)
    search_fields = ("email", "code")
    list_select_related = ("used_by",)
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    list_per_page = 100
    actions = ("send_invites", "revoke_invites", "export_csv")
    fields = (
        "email",
        "code",
        "status_badge",
        "expires_at",
        "created_at",
        "created_by",
        "sent_at",
        "used_at",
        "used_by_link",
        "revoked_at",
    )
    readonly_fields = (
        "email",
        "code",
        "status_badge",
        "created_at",
        "created_by",
        "sent_at",
        "used_at",
        "used_by_link",
        "revoked_at",
    )

    # --- list ----------------------------------------------------------------------------

    def get_queryset(self, request):
        return super().get_queryset(request).with_status()

    @admin.display(description=gettext_lazy("statut"), ordering="status_sql")
    def status_badge(self, obj: BetaInvite):
        status = getattr(obj, "status_sql", None) or obj.status
        return format_html(
            '<span style="color:{};font-weight:600">{}</span>',
            STATUS_COLORS[status],
            STATUS_LABELS[status],
        )

    @admin.display(description=gettext_lazy("utilisée par"), ordering="used_by__email")
    def used_by_link(self, obj: BetaInvite):
        if obj.used_by is None:
            return "-"
        url = reverse("admin:accounts_user_change", args=[obj.used_by.pk])
        return format_html('<a href="{}">{}</a>', url, obj.used_by.email)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "funnel": invite_funnel(),
            "bulk_url": reverse("admin:invites_betainvite_bulk"),
        }
        return super().changelist_view(request, extra_context=extra_context)

    # --- creating -----------------------------------------------------------------------

    def has_delete_permission(self, request, obj=None) -> bool:
        # An invite is revoked, never deleted: the funnel and "used by" keep their history.
        return False

    def add_view(self, request, form_url="", extra_context=None):
        """One invite or many: the bulk page handles both."""
        return HttpResponseRedirect(reverse("admin:invites_betainvite_bulk"))

    def get_urls(self):
        bulk = path(
            "bulk/",
            self.admin_site.admin_view(self.bulk_view),
            name="invites_betainvite_bulk",
        )
        return [bulk, *super().get_urls()]

    def bulk_view(self, request: HttpRequest) -> HttpResponse:
        """Invite a pasted list: parse, issue (and send), then show the results with only the
        lines that were refused left in the box, ready to be corrected."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            form = InviteBulkForm(initial={"expires_in_days": settings.INVITE_EXPIRY_DAYS})
            return self._bulk_page(request, form)
        form = InviteBulkForm(request.POST)
        if not form.is_valid():
            return self._bulk_page(request, form)
        parsed = invite_emails_parse(form.cleaned_data["emails"])
        refusal = _bulk_list_refusal(parsed)
        if refusal is not None:
            form.add_error("emails", refusal)
            return self._bulk_page(request, form, invalid=parsed.invalid)
        results = self._bulk_issue(request, form.cleaned_data, parsed)
        retry = InviteBulkForm(
            initial={
                "emails": "\n".join(raw for _n, raw in parsed.invalid),
                "expires_in_days": form.cleaned_data["expires_in_days"],
                "send": form.cleaned_data["send"],
            }
        )
        return self._bulk_page(request, retry, results=results, invalid=parsed.invalid)

    def _bulk_issue(self, request, data: dict, parsed: ParsedEmails) -> list[IssueResult]:
        """Issue the parsed emails' invites, send the new ones if asked, and say what happened."""
        results = invite_issue_many(
            emails=parsed.valid, created_by=request.user, expires_in_days=data["expires_in_days"]
        )
        created = sum(1 for r in results if r.created)
        messages.success(
            request,
            _("%(created)d invitation(s) créée(s), %(kept)d déjà en attente conservée(s).")
            % {"created": created, "kept": len(results) - created},
        )
        if data["send"]:
            unsent = [r.invite for r in results if r.invite.sent_at is None]
            text, level = _send_message(invite_send(invites=unsent))
            self.message_user(request, text, level)
        if parsed.invalid:
            messages.warning(
                request,
                _("%(n)d ligne(s) ignorée(s) : adresse invalide.") % {"n": len(parsed.invalid)},
            )
        return results

    def _bulk_page(
        self,
        request,
        form: InviteBulkForm,
        *,
        results: list[IssueResult] | None = None,
        invalid: list[tuple[int, str]] = (),
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Inviter des emails"),
            "form": form,
            "results": results,
            "rows": [
                {
                    "email": r.email,
                    "code": r.invite.code,
                    "status": STATUS_LABELS[r.invite.status],
                    "expires_at": r.invite.expires_at,
                    "created": r.created,
                }
                for r in results or []
            ],
            "invalid": list(invalid),
            "changelist_url": reverse("admin:invites_betainvite_changelist"),
        }
        return TemplateResponse(request, "admin/invites/betainvite/bulk.html", context)

    # --- actions ------------------------------------------------------------------------

    @admin.action(description=gettext_lazy("Envoyer / renvoyer l'email d'invitation"))
    def send_invites(self, request, queryset):
        text, level = _send_message(invite_send(invites=list(queryset.order_by("created_at"))))
        self.message_user(request, text, level)

    @admin.action(description=gettext_lazy("Révoquer les invitations sélectionnées"))
    def revoke_invites(self, request, queryset):
        revoked, used = invite_revoke_many(invites=queryset)
        self.message_user(
            request, _("%(n)d invitation(s) révoquée(s).") % {"n": revoked}, messages.SUCCESS
        )
        if used:
            self.message_user(
                request,
                _("%(n)d invitation(s) déjà utilisée(s) : non révoquée(s).") % {"n": used},
                messages.WARNING,
            )

    @admin.action(description=gettext_lazy("Exporter en CSV"))
    def export_csv(self, request, queryset):
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="invites-{stamp}.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "email",
                "code",
                "status",
                "created_at",
                "expires_at",
                "sent_at",
                "used_at",
                "used_by",
                "revoked_at",
            ]
        )
        for invite in queryset.select_related("used_by").order_by("-created_at"):
            writer.writerow(
                [
                    _csv_cell(invite.email),
                    _csv_cell(invite.code),
                    _csv_cell(invite.status),
                    _csv_cell(invite.created_at),
                    _csv_cell(invite.expires_at),
                    _csv_cell(invite.sent_at),
                    _csv_cell(invite.used_at),
                    _csv_cell(invite.used_by.email if invite.used_by else None),
                    _csv_cell(invite.revoked_at),
                ]
            )
        return response
