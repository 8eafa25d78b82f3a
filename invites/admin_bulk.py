"""The bulk page of the invite admin: invite a pasted list of emails (docs/invites.md, Admin).

Addresses that already have an account are flagged and skipped unless staff tick "invite them
anyway" (the API keeps the contract's rule and issues them: docs/invites.md).
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from huntaze.hashing import sha256_hex
from huntaze.l10n import number
from invites.models import InviteStatus
from invites.selectors import invite_emails_pending_sent, invite_emails_with_account
from invites.services import (
    EXPIRES_IN_DAYS_MAX,
    EXPIRES_IN_DAYS_MIN,
    ISSUE_MANY_MAX,
    IssueResult,
    ParsedEmails,
    SendReport,
    invite_emails_parse,
    invite_issue_many,
    invite_send,
)

# Sending more than this many emails at once asks first (the bulk page and the send action).
SEND_CONFIRM_ABOVE = 5


class InviteBulkForm(forms.Form):
    emails = forms.CharField(
        label=gettext_lazy("Adresses email"),
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
    include_members = forms.BooleanField(
        label=gettext_lazy("Inviter aussi les adresses déjà inscrites"),
        required=False,
        initial=False,
        help_text=gettext_lazy(
            "Sans cette case, une adresse qui a déjà un compte est signalée et ignorée : "
            "elle recevrait un email « créez votre compte » et son inscription serait refusée."
        ),
    )


def bulk_list_refusal(parsed: ParsedEmails) -> str | None:
    """Why a pasted list cannot be issued at all, or None."""
    if not parsed.valid:
        return _("Aucune adresse email valide.")
    if len(parsed.valid) > ISSUE_MANY_MAX:
        return _("Au plus %(max)s adresses à la fois.") % {"max": ISSUE_MANY_MAX}
    return None


def send_message(report: SendReport) -> tuple[str, int]:
    """The admin's message after queuing invite emails: the page answers before delivery,
    which the worker reports on each invite (email column)."""
    queued = len(report.queued)
    text = ngettext(
        "%(n)d email en file d'envoi : il part dans un instant.",
        "%(n)d emails en file d'envoi : ils partent dans un instant.",
        queued,
    ) % {"n": queued}
    level = messages.SUCCESS
    if report.skipped:
        skipped = len(report.skipped)
        text += " " + ngettext(
            "%(n)d invitation ignorée : elle n'est plus en attente.",
            "%(n)d invitations ignorées : elles ne sont plus en attente.",
            skipped,
        ) % {"n": skipped}
        level = messages.WARNING
    return text, level


def _recipients_digest(emails: list[str]) -> str:
    return sha256_hex("\n".join(emails))[:16]


class InviteBulkPageMixin:
    """``BetaInviteAdmin``'s bulk page (``<changelist>/bulk/``)."""

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
        refusal = bulk_list_refusal(parsed)
        if refusal is not None:
            form.add_error("emails", refusal)
            return self._bulk_page(request, form, invalid=parsed.invalid)
        members = invite_emails_with_account(emails=parsed.valid)
        data = form.cleaned_data
        emails = [e for e in parsed.valid if data["include_members"] or e not in members]
        if data["send"]:
            already_sent = invite_emails_pending_sent(emails=emails)
            to_send = [e for e in emails if e not in already_sent]
            # Many emails at once ask first; the form stays filled and "Yes" posts it again with
            # a digest of the recipients it showed, so a list edited meanwhile asks again.
            if len(to_send) > SEND_CONFIRM_ABOVE and request.POST.get(
                "confirm"
            ) != _recipients_digest(to_send):
                return self._bulk_page(request, form, invalid=parsed.invalid, confirm=to_send)
        results = self._bulk_issue(request, data, parsed, emails)
        retry = InviteBulkForm(
            initial={
                "emails": "\n".join(raw for _n, raw in parsed.invalid),
                "expires_in_days": form.cleaned_data["expires_in_days"],
                "send": form.cleaned_data["send"],
            }
        )
        return self._bulk_page(
            request, retry, results=results, invalid=parsed.invalid, members=members
        )

    def _bulk_issue(
        self, request, data: dict, parsed: ParsedEmails, emails: list[str]
    ) -> list[IssueResult]:
        """Issue the invites of ``emails`` (the parsed ones, members left out unless asked),
        send the new ones if asked, and say what happened in one banner (four stacked banners
        pushed the results off a laptop's screen)."""
        results = (
            invite_issue_many(
                emails=emails, created_by=request.user, expires_in_days=data["expires_in_days"]
            )
            if emails
            else []
        )
        created = sum(1 for r in results if r.created)
        kept = len(results) - created
        parts = [
            ngettext("%(n)d invitation créée", "%(n)d invitations créées", created) % {"n": created}
            + ", "
            + ngettext(
                "%(n)d déjà en attente conservée.", "%(n)d déjà en attente conservées.", kept
            )
            % {"n": kept}
        ]
        level = messages.SUCCESS
        skipped = len(parsed.valid) - len(emails)
        if skipped:
            parts.append(
                ngettext(
                    "%(n)d adresse déjà inscrite ignorée (cochez « Inviter aussi les adresses "
                    "déjà inscrites » pour l'inviter quand même).",
                    "%(n)d adresses déjà inscrites ignorées (cochez « Inviter aussi les "
                    "adresses déjà inscrites » pour les inviter quand même).",
                    skipped,
                )
                % {"n": skipped}
            )
            level = messages.WARNING
        if data["send"] and results:
            unsent = [r.invite for r in results if r.invite.sent_at is None]
            text, send_level = send_message(invite_send(invites=unsent))
            parts.append(text)
            level = max(level, send_level)
        if parsed.invalid:
            count = len(parsed.invalid)
            parts.append(
                ngettext(
                    "%(n)d ligne ignorée : adresse invalide.",
                    "%(n)d lignes ignorées : adresse invalide.",
                    count,
                )
                % {"n": count}
            )
            level = max(level, messages.WARNING)
        self.message_user(request, " ".join(parts), level)
        return results

    def _bulk_page(
        self,
        request,
        form: InviteBulkForm,
        *,
        results: list[IssueResult] | None = None,
        invalid: list[tuple[int, str]] = (),
        members: dict | None = None,
        confirm: list[str] | None = None,
    ) -> TemplateResponse:
        members = members or {}
        issued = {r.email: r for r in results or []}
        rows = []
        if results is not None:
            for email in dict.fromkeys([*(r.email for r in results), *members]):
                result = issued.get(email)
                member = members.get(email)
                rows.append(
                    {
                        "email": email,
                        "code": result.invite.code if result else "",
                        "status": InviteStatus(result.invite.status).label if result else "",
                        "expires_at": result.invite.expires_at if result else None,
                        "created": bool(result and result.created),
                        "skipped": result is None,
                        "member_url": (
                            reverse("admin:accounts_user_change", args=[member]) if member else ""
                        ),
                        "invite_url": (
                            reverse("admin:invites_betainvite_change", args=[result.invite.pk])
                            if result
                            else ""
                        ),
                    }
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Inviter des adresses email"),
            "form": form,
            # Laid out by Django's own fieldset template, like every other admin form.
            "adminform": helpers.AdminForm(
                form, [(None, {"fields": list(form.fields)})], prepopulated_fields={}
            ),
            "confirm": confirm,
            "confirm_digest": _recipients_digest(confirm) if confirm else "",
            "confirm_question": (
                ngettext(
                    "Envoyer %(n)s email d'invitation ?", "Envoyer %(n)s emails d'invitation ?", n
                )
                % {"n": number(n)}
                if (n := len(confirm or ()))
                else ""
            ),
            "confirm_label": (
                ngettext(
                    "Oui, créer et envoyer %(n)s email", "Oui, créer et envoyer %(n)s emails", n
                )
                % {"n": number(n)}
                if n
                else ""
            ),
            "results": results,
            "rows": rows,
            "invalid": list(invalid),
            "changelist_url": reverse("admin:invites_betainvite_changelist"),
        }
        return TemplateResponse(request, "admin/invites/betainvite/bulk.html", context)
