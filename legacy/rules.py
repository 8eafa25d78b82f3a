"""The product's own rules the import applies, from their one home each: the email
normalisation (``huntaze.emails``), the "email taken" rule (``accounts.selectors``) and the
placeholder of a soft-deleted user (``accounts.services.users``)."""

from __future__ import annotations

from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.db.models.functions import Lower

from accounts.models import User
from accounts.selectors import email_is_taken
from accounts.services.users import deleted_email_placeholder
from huntaze.emails import normalize_email

__all__ = ["deleted_email_placeholder", "email_owners", "emails_taken", "normalize_email"]


def email_owners(emails: Iterable[str]) -> dict[str, set[str]]:
    """``email -> ids of the users holding it`` (as login or allauth address), for the given
    normalised emails, in two queries whatever their number."""
    emails = list(set(emails))
    owners: dict[str, set[str]] = {}
    if not emails:
        return owners
    for email, user_id in (
        User.objects.annotate(e=Lower("email")).filter(e__in=emails).values_list("e", "id")
    ):
        owners.setdefault(email, set()).add(str(user_id))
    for email, user_id in (
        EmailAddress.objects.annotate(e=Lower("email"))
        .filter(e__in=emails)
        .values_list("e", "user_id")
    ):
        owners.setdefault(email, set()).add(str(user_id))
    return owners


def emails_taken(emails: Iterable[str]) -> dict[str, set[str]]:
    """The emails among ``emails`` that the product's "email taken" rule says are taken, with
    their holders. ``email_owners`` narrows the candidates in two queries (an address held by
    no user and no allauth row cannot be taken); the rule itself decides for each candidate."""
    owners = email_owners(emails)
    return {email: ids for email, ids in owners.items() if email_is_taken(email=email)}
