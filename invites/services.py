"""Invite services: issue, send, resend, check, redeem and revoke (docs/data-model.md; docs/api.md, Invites).

Every way in (the API, the admin, ``create_invites``) goes through these functions.

**One pending invite per email.** Two staff members (or a command and an admin) issuing an
invite for the same address at the same moment must not produce two pending invites. The race
is closed in PostgreSQL with a transaction-scoped advisory lock keyed on the normalised email
(``pg_advisory_xact_lock``): the second issuer waits until the first commits, then finds the
first one's invite and returns it. A partial unique index (``email WHERE used_at IS NULL AND
revoked_at IS NULL``) was considered and rejected: an *expired* invite also matches that
predicate (a predicate cannot use ``now()``), so every re-invitation of an expired address would
have to rewrite the old row as revoked and lose its real status.

**Email through the job queue.** ``invite_send`` queues one job per invite in the caller's
transaction (docs/jobs.md): the request answers at once, the worker delivers after the commit
(never for a rolled-back invite), tries again after a temporary failure (SMTP 4xx, a refused
connection, a timeout) for over an hour, and records on the invite what became of its email
(``email_status``: queued, sent, failed with ``last_send_error``).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from huntaze import metrics
from huntaze.emails import normalize_email
from huntaze.exceptions import Conflict, ValidationFailed
from huntaze.l10n import display_time_zone, display_zone
from invites.models import BetaInvite, EmailStatus, InviteStatus
from jobs.email import email_error_text
from jobs.queue import jobs_defer

logger = logging.getLogger("huntaze.invites")


class InviteAlreadyUsed(Conflict):
    """A used invite cannot be revoked."""

    default_message = gettext_lazy("Cette invitation a déjà été utilisée.")


EXPIRES_IN_DAYS_MIN = 1
EXPIRES_IN_DAYS_MAX = 365
# Path of the front end's sign-up page; the link carries ``code`` and ``email``.
SIGNUP_PATH = "/signup"
# Distinct emails per bulk issue: each holds an advisory lock until commit, and PostgreSQL's
# shared lock table is sized for a few thousand (max_locks_per_transaction x connections).
ISSUE_MANY_MAX = 1000
SEND_INVITE = "invites.send_invite"  # the job that sends an invite's email (invites/tasks.py)


def invite_code_generate() -> str:
    """16 upper-case hex characters (64 bits) from the OS CSPRNG."""
    return secrets.token_hex(8).upper()


def _normalize_code(code: str) -> str:
    return (code or "").strip().upper()


def invite_email_is_valid(email: str) -> bool:
    """Whether ``email`` (already stripped) is an address we may invite."""
    if not email or len(email) > 254:
        return False
    try:
        validate_email(email)
    except DjangoValidationError:
        return False
    return True


def _check_expires_in_days(expires_in_days: int | None) -> int:
    if expires_in_days is None:
        return settings.INVITE_EXPIRY_DAYS
    if (
        isinstance(expires_in_days, bool)
        or not isinstance(expires_in_days, int)
        or not EXPIRES_IN_DAYS_MIN <= expires_in_days <= EXPIRES_IN_DAYS_MAX
    ):
        raise ValidationFailed(
            fields={
                "expires_in_days": [
                    _("Doit être un entier entre %(min)s et %(max)s.")
                    % {"min": EXPIRES_IN_DAYS_MIN, "max": EXPIRES_IN_DAYS_MAX}
                ]
            }
        )
    return expires_in_days


def _lock_email(email: str) -> None:
    """Serialise issuers of one email until the end of the current transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"beta_invite:{email}"]
        )


def invite_pending_for(*, email: str) -> BetaInvite | None:
    return (
        BetaInvite.objects.pending()
        .filter(email=normalize_email(email))
        .order_by("-created_at")
        .first()
    )


def _issue_locked(*, email: str, created_by, days: int) -> tuple[BetaInvite, bool]:
    existing = invite_pending_for(email=email)
    if existing is not None:
        return existing, False
    for _attempt in range(5):
        try:
            with transaction.atomic():
                invite = BetaInvite.objects.create(
                    email=email,
                    code=invite_code_generate(),
                    created_by=created_by,
                    expires_at=timezone.now() + timedelta(days=days),
                )
            transaction.on_commit(lambda: metrics.invite_event("issued"))
            return invite, True
        except IntegrityError:  # a code collision (2^-64): draw again
            continue
    raise RuntimeError("could not generate a unique invite code")


@transaction.atomic
def invite_issue(
    *, email: str, created_by=None, expires_in_days: int | None = None
) -> tuple[BetaInvite, bool]:
    """Return ``(invite, created)``: the email's pending invite, or a new one.

    ``expires_in_days`` (1-365, default ``INVITE_EXPIRY_DAYS``) only applies to a new invite;
    an existing pending invite is returned unchanged. Raises ``ValidationFailed`` for an
    invalid email or duration.
    """
    email = normalize_email(email)
    if not invite_email_is_valid(email):
        raise ValidationFailed(fields={"email": [_("Adresse email invalide.")]})
    days = _check_expires_in_days(expires_in_days)
    _lock_email(email)
    return _issue_locked(email=email, created_by=created_by, days=days)


@dataclass
class IssueResult:
    email: str
    invite: BetaInvite
    created: bool


@transaction.atomic
def invite_issue_many(
    *, emails: Sequence[str], created_by=None, expires_in_days: int | None = None
) -> list[IssueResult]:
    """Issue invites for ``emails``, all or nothing; one result per email, in order.

    Duplicates (case-insensitive) resolve to the same invite (``created`` only on the first).
    Locks are taken in sorted order so two overlapping bulk issues cannot deadlock.
    """
    normalized = [normalize_email(e) for e in emails]
    bad = {
        str(i): [_("Adresse email invalide.")]
        for i, e in enumerate(normalized)
        if not invite_email_is_valid(e)
    }
    if bad:
        raise ValidationFailed(fields={f"emails.{k}": v for k, v in bad.items()})
    days = _check_expires_in_days(expires_in_days)
    unique = sorted(set(normalized))
    if len(unique) > ISSUE_MANY_MAX:
        raise ValidationFailed(
            fields={"emails": [_("Au plus %(max)s adresses à la fois.") % {"max": ISSUE_MANY_MAX}]}
        )
    for email in unique:
        _lock_email(email)
    issued = {
        email: _issue_locked(email=email, created_by=created_by, days=days) for email in unique
    }
    results: list[IssueResult] = []
    seen: set[str] = set()
    for email in normalized:
        invite, created = issued[email]
        results.append(
            IssueResult(email=email, invite=invite, created=created and email not in seen)
        )
        seen.add(email)
    return results


def invite_is_valid(*, email: str, code: str) -> bool:
    """Whether ``code`` is a pending invite for ``email`` (both case-insensitive)."""
    return (
        BetaInvite.objects.pending()
        .filter(email=normalize_email(email), code=_normalize_code(code))
        .exists()
    )


def invite_redeem(*, email: str, code: str, user) -> bool:
    """Spend the invite for ``user`` with one conditional UPDATE; True when it was spent.

    Call inside the transaction that creates the user: only one of several concurrent
    redemptions of one code can match ``used_at IS NULL``, and a rollback leaves it unused.
    """
    now = timezone.now()
    updated = BetaInvite.objects.filter(
        email=normalize_email(email),
        code=_normalize_code(code),
        used_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).update(used_at=now, used_by=user, updated_at=now)
    if updated:
        transaction.on_commit(lambda: metrics.invite_event("redeemed"))
    return updated == 1


def invite_revoke(*, invite: BetaInvite) -> BetaInvite:
    """Revoke ``invite``; revoking a revoked one is a no-op, a used one is a ``Conflict``.

    One conditional UPDATE, so a sign-up redeeming the invite at the same moment either wins
    (the revoke answers 409) or loses (the sign-up finds no valid invite).
    """
    now = timezone.now()
    updated = BetaInvite.objects.filter(
        pk=invite.pk, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now, updated_at=now)
    invite.refresh_from_db()
    if updated == 0 and invite.used_at is not None:
        raise InviteAlreadyUsed()
    return invite


def invite_revoke_many(*, invites) -> tuple[int, int]:
    """Revoke every unused invite of the queryset ``invites``; return ``(revoked, used)``.

    Already revoked invites are left as they are (counted in neither), used ones are counted
    in ``used`` and untouched.
    """
    now = timezone.now()
    ids = list(invites.values_list("pk", flat=True))
    revoked = BetaInvite.objects.filter(
        pk__in=ids, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now, updated_at=now)
    used = BetaInvite.objects.filter(pk__in=ids, used_at__isnull=False).count()
    return revoked, used


# --- the invite email ----------------------------------------------------------------------


def invite_signup_url(*, invite: BetaInvite) -> str:
    query = urlencode({"code": invite.code, "email": invite.email})
    return f"{settings.FRONTEND_URL}{SIGNUP_PATH}?{query}"


def invite_email_build(*, invite: BetaInvite, connection=None) -> mail.EmailMultiAlternatives:
    """The invite email (plain text with an HTML alternative), in the product's language and
    ``ADMIN_TIME_ZONE``."""
    context = {
        "invite": invite,
        "code": invite.code,
        "email": invite.email,
        "signup_url": invite_signup_url(invite=invite),
        "expires_at": invite.expires_at,
        "time_zone": display_zone().key,
        "frontend_url": settings.FRONTEND_URL,
    }
    # Dates as the reader's day and hour: ADMIN_TIME_ZONE (Europe/Paris), named in the text.
    with translation.override(settings.LANGUAGE_CODE), display_time_zone():
        subject = render_to_string("invites/email/invite_subject.txt", context)
        text = render_to_string("invites/email/invite_body.txt", context)
        html = render_to_string("invites/email/invite_body.html", context)
    message = mail.EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invite.email],
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


@dataclass
class SendReport:
    """What an ``invite_send`` did: the invites whose email is queued, those skipped."""

    queued: list[BetaInvite] = field(default_factory=list)
    skipped: list[BetaInvite] = field(default_factory=list)  # no longer pending


@transaction.atomic
def invite_send(*, invites: Iterable[BetaInvite]) -> SendReport:
    """Queue the email of each pending invite of ``invites`` (send or resend): the job worker
    delivers it (``invites.tasks.send_invite``), retrying temporary failures, and records the
    outcome on the invite (``email_status``, ``sent_at``, ``send_count``, ``last_send_error``).

    The jobs are inserted in the current transaction (the caller's, or this function's own):
    none exists if it rolls back, and every one exists once it commits. Invites that are no
    longer pending are skipped. The answer never waits on the mail server.
    """
    given = list(invites)
    ids = list(dict.fromkeys(invite.pk for invite in given))
    by_id = {i.pk: i for i in BetaInvite.objects.filter(pk__in=ids)}
    report = SendReport()
    for pk in ids:
        invite = by_id.get(pk)
        if invite is None:
            continue
        (report.queued if invite.status == InviteStatus.PENDING else report.skipped).append(invite)
    if not report.queued:
        return report
    now = timezone.now()
    queued_ids = [invite.pk for invite in report.queued]
    BetaInvite.objects.filter(pk__in=queued_ids).update(
        email_status=EmailStatus.QUEUED, updated_at=now
    )
    for invite in [*report.queued, *given]:  # the caller's objects show it too
        if invite.pk in by_id and by_id[invite.pk] in report.queued:
            invite.email_status = EmailStatus.QUEUED
    jobs_defer(SEND_INVITE, [{"invite_id": str(pk)} for pk in queued_ids])
    count = len(queued_ids)
    transaction.on_commit(lambda: metrics.invite_event("queued", count))
    return report


# --- delivery, in the job worker (invites/tasks.py) --------------------------------------------


def invite_delivery_claim(*, invite_id: str, job_id: int) -> mail.EmailMultiAlternatives | None:
    """Take the delivery of a pending invite's email for job ``job_id``: its email, or None
    when there is nothing to send (sent by another job since, no longer pending).

    One conditional UPDATE: two jobs for one invite (Resend pressed twice) cannot both claim
    it, and a job run again after its worker died (``job_id`` still holds it) takes it back.
    """
    claimed = (
        BetaInvite.objects.pending()
        .filter(pk=invite_id)
        .filter(
            Q(email_status__in=[EmailStatus.QUEUED, EmailStatus.FAILED])
            | Q(email_status=EmailStatus.SENDING, send_job_id=job_id)
        )
        .update(email_status=EmailStatus.SENDING, send_job_id=job_id, updated_at=timezone.now())
    )
    if not claimed:
        return None
    return invite_email_build(invite=BetaInvite.objects.get(pk=invite_id))


def invite_delivery_done(*, invite_id: str, job_id: int) -> None:
    """The mail server accepted the invite's email: ``sent_at``, one more ``send_count``."""
    now = timezone.now()
    BetaInvite.objects.filter(pk=invite_id, send_job_id=job_id).update(
        email_status=EmailStatus.SENT,
        sent_at=now,
        send_count=F("send_count") + 1,
        last_send_error="",
        last_send_error_at=None,
        updated_at=now,
    )


def invite_delivery_failed(
    *, invite_id: str, job_id: int, error: BaseException, final: bool
) -> None:
    """The delivery failed: keep the error for staff; the invite is queued again (another try
    is scheduled) or, when ``final``, its email has failed (Resend queues it again)."""
    now = timezone.now()
    BetaInvite.objects.filter(
        pk=invite_id, send_job_id=job_id, email_status=EmailStatus.SENDING
    ).update(
        email_status=EmailStatus.FAILED if final else EmailStatus.QUEUED,
        last_send_error=email_error_text(error),
        last_send_error_at=now,
        updated_at=now,
    )
    # The invite id only: never the code, and the address is personal data.
    logger.warning(
        "invite email failed for invite %s (%s)%s",
        invite_id,
        type(error).__name__,
        "" if final else ", will try again",
    )


# --- parsing a pasted list (admin bulk page, create_invites --file) ---------------------------


@dataclass
class ParsedEmails:
    valid: list[str] = field(default_factory=list)  # normalised, de-duplicated, in order
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (line number, raw text)


def invite_emails_parse(text: str) -> ParsedEmails:
    """Split a pasted list into emails: one per line (commas and semicolons also separate).

    Blank lines and lines starting with ``#`` are ignored. Each entry is validated; bad ones
    are returned with their line number, good ones normalised and de-duplicated.
    """
    parsed = ParsedEmails()
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        for raw in stripped.replace(";", ",").split(","):
            entry = raw.strip()
            if not entry:
                continue
            email = normalize_email(entry)
            if not invite_email_is_valid(email):
                parsed.invalid.append((number, entry))
            elif email not in seen:
                seen.add(email)
                parsed.valid.append(email)
    return parsed
