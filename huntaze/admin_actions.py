"""Bulk admin actions that ask first: Django's "delete selected" pattern for any action.

An action that changes many rows at once (revoke invites, send many emails) returns
``action_confirmation(...)`` when the POST lacks ``confirm=yes``: a page that says what will
change and what will not (``huntaze/templates/admin/action_confirmation.html``), whose "Yes"
posts the same action with the ids to change and ``confirm=yes``; the action then does it.
Selecting every invite and pressing the action's button can no longer revoke them all in two
clicks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.admin import helpers
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse


@dataclass
class ConfirmationGroup:
    key: str  # the section's id on the page (confirmation-<key>)
    heading: str
    rows: Sequence[tuple[str, str]]  # (what, detail)


def confirmed(request: HttpRequest) -> bool:
    """Whether this POST is the confirmation page's "Yes"."""
    return request.POST.get("confirm") == "yes"


def action_confirmation(
    request: HttpRequest,
    model_admin,
    *,
    action: str,
    title: str,
    question: str,
    consequence: str = "",
    groups: Iterable[ConfirmationGroup] = (),
    selected: Iterable,
    confirm_label: str,
    danger: bool = False,
) -> TemplateResponse:
    """The confirmation page of ``action`` for the objects ``selected`` (their primary keys:
    the ones the action will change)."""
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "title": title,
        "question": question,
        "consequence": consequence,
        "groups": [group for group in groups if group.rows],
        "selected": list(selected),
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "confirm_label": confirm_label,
        "danger": danger,
        "cancel_url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
    }
    request.current_app = model_admin.admin_site.name
    return TemplateResponse(request, "admin/action_confirmation.html", context)
