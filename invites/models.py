"""Beta invites (SPEC section 3)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class InviteStatus(models.TextChoices):
    PENDING = "pending"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"


class BetaInvite(models.Model):
    """A single-use invite bound to one email (stored lower-cased).

    ``code`` is 16 upper-case hex characters from a CSPRNG. The status is derived, never stored.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, db_index=True)
    code = models.CharField(max_length=16, unique=True)
    used_at = models.DateTimeField(null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invites_used",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invites_created",
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "beta_invites"
        indexes = [models.Index(fields=["-created_at"], name="beta_invites_created_idx")]

    def __str__(self) -> str:
        return f"{self.email} ({self.status})"

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        self.code = (self.code or "").strip().upper()
        super().save(*args, **kwargs)

    @property
    def status(self) -> str:
        if self.used_at is not None:
            return InviteStatus.USED
        if self.revoked_at is not None:
            return InviteStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InviteStatus.EXPIRED
        return InviteStatus.PENDING
