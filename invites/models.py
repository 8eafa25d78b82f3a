"""Beta invites (docs/data-model.md)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from huntaze.emails import normalize_email


class InviteStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    USED = "used", _("Utilisée")
    EXPIRED = "expired", _("Expirée")
    REVOKED = "revoked", _("Révoquée")


class EmailStatus(models.TextChoices):
    """Where the invite's email is (``BetaInvite.email_status``): queued for the worker (or
    waiting to be tried again after a temporary failure), being sent, sent, or failed for good.
    Empty: never asked for."""

    QUEUED = "queued", _("en file d'envoi")
    SENDING = "sending", _("en cours d'envoi")
    SENT = "sent", _("envoyée")
    FAILED = "failed", _("échec de l'envoi")


class BetaInviteQuerySet(models.QuerySet):
    """Status in SQL, so lists can filter and count by it (the property is for one row)."""

    def with_status(self) -> BetaInviteQuerySet:
        """Annotate ``status_sql`` with the same precedence as ``BetaInvite.status``."""
        return self.annotate(
            status_sql=models.Case(
                models.When(used_at__isnull=False, then=models.Value(InviteStatus.USED)),
                models.When(revoked_at__isnull=False, then=models.Value(InviteStatus.REVOKED)),
                models.When(
                    expires_at__lte=timezone.now(), then=models.Value(InviteStatus.EXPIRED)
                ),
                default=models.Value(InviteStatus.PENDING),
                output_field=models.CharField(max_length=8),
            )
        )

    def with_status_filter(self, status: str) -> BetaInviteQuerySet:
        """Only the invites in ``status`` (one of ``InviteStatus``), as plain WHERE clauses."""
        now = timezone.now()
        if status == InviteStatus.USED:
            return self.filter(used_at__isnull=False)
        if status == InviteStatus.REVOKED:
            return self.filter(used_at__isnull=True, revoked_at__isnull=False)
        if status == InviteStatus.EXPIRED:
            return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now)
        if status == InviteStatus.PENDING:
            return self.filter(used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
        raise ValueError(f"unknown invite status: {status!r}")

    def pending(self) -> BetaInviteQuerySet:
        return self.with_status_filter(InviteStatus.PENDING)


class BetaInvite(models.Model):
    """A single-use invite bound to one email (stored lower-cased).

    ``code`` is 16 upper-case hex characters from a CSPRNG. The status is derived, never stored.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("adresse email"), max_length=254, db_index=True)
    # New codes are 16 characters; imported Prisma-era codes may be up to 64, the longest an
    # invite code the API accepts (docs/migration.md).
    code = models.CharField(_("code"), max_length=64, unique=True)
    used_at = models.DateTimeField(_("utilisée le"), null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invites_used",
        verbose_name=_("utilisée par"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invites_created",
        verbose_name=_("créée par"),
    )
    expires_at = models.DateTimeField(_("expire le"))
    revoked_at = models.DateTimeField(_("révoquée le"), null=True, blank=True)
    # The last successful delivery; ``send_count`` counts them all (first send and resends).
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    # Database defaults too: writers in raw SQL (the legacy import's COPY, an older release
    # during a deploy) insert rows without these columns.
    send_count = models.PositiveIntegerField(_("envois"), default=0, db_default=0)
    # The last failed delivery (exception type and message, no credentials), cleared by the
    # next successful one: what staff need to know before pressing "Resend".
    last_send_error = models.CharField(
        _("dernière erreur d'envoi"), max_length=500, blank=True, default="", db_default=""
    )
    last_send_error_at = models.DateTimeField(_("dernière erreur le"), null=True, blank=True)
    # The email's delivery by the job worker (invites/tasks.py): ``EmailStatus`` and the job that
    # holds it while sending, so that a job run twice never sends twice.
    email_status = models.CharField(
        _("email"),
        max_length=8,
        choices=EmailStatus.choices,
        blank=True,
        default="",
        db_default="",
    )
    send_job_id = models.BigIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("créée le"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    objects = BetaInviteQuerySet.as_manager()

    class Meta:
        db_table = "beta_invites"
        verbose_name = _("invitation bêta")
        verbose_name_plural = _("invitations bêta")
        indexes = [models.Index(fields=["-created_at"], name="beta_invites_created_idx")]

    def __str__(self) -> str:
        return f"{self.email} ({InviteStatus(self.status).label})"

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        self.code = (self.code or "").strip().upper()
        super().save(*args, **kwargs)

    @property
    def email_state(self) -> str | None:
        """``queued``, ``sent``, ``failed`` or None (never sent): what the API and the admin
        show (a delivery in progress is still ``queued``)."""
        if self.email_status == EmailStatus.SENDING:
            return EmailStatus.QUEUED
        return self.email_status or None

    @property
    def status(self) -> str:
        if self.used_at is not None:
            return InviteStatus.USED
        if self.revoked_at is not None:
            return InviteStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InviteStatus.EXPIRED
        return InviteStatus.PENDING
