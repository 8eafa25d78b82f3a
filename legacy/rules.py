"""The product's own rules the import applies, imported from where they live.

Issue #19 gives each of these one home (``normalize_email`` in ``huntaze/``, the "email taken"
rule in the accounts selectors); until it lands they are imported from their current modules.
Moving them is a change of these import lines only.
"""

from __future__ import annotations

from collections.abc import Iterable

from allauth.account.models import EmailAddress
from django.db.models.functions import Lower

from accounts.models import User, UserManager
from accounts.services_users import deleted_email_placeholder, email_is_taken

normalize_email = UserManager.normalize_email

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
