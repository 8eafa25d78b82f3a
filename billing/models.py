"""Subscriptions mirrored from Stripe, and the Stripe events already processed (docs/data-model.md)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Plan


class Interval(models.TextChoices):
    """Billing intervals of a paid plan (a Stripe price per plan and interval)."""

    MONTH = "month", _("mensuel")
    YEAR = "year", _("annuel")


# Plans sold through Stripe Checkout; FREE needs no subscription.
PAID_PLANS: tuple[str, ...] = (Plan.PRO, Plan.ENTERPRISE)


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "ACTIVE", _("Actif")
    CANCELED = "CANCELED", _("Annulé")
    PAST_DUE = "PAST_DUE", _("Paiement en retard")
    UNPAID = "UNPAID", _("Impayé")


class SubscriptionRecord(models.Model):
    """One per user, upserted from Stripe webhooks.

    ``last_event_at`` is the ``created`` time of the newest Stripe event applied, so an older
    event delivered late never overwrites newer state.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="subscription_record",
        verbose_name=_("utilisateur"),
    )
    stripe_subscription_id = models.CharField(
        _("abonnement Stripe"), max_length=255, null=True, blank=True, unique=True
    )
    status = models.CharField(
        _("statut"),
        max_length=16,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.ACTIVE,
    )
    plan = models.CharField(_("formule"), max_length=16, choices=Plan.choices, default=Plan.FREE)
    current_period_start = models.DateTimeField(_("début de période"), null=True, blank=True)
    current_period_end = models.DateTimeField(_("fin de période"), null=True, blank=True)
    cancel_at_period_end = models.BooleanField(_("annulé en fin de période"), default=False)
    last_event_at = models.DateTimeField(_("dernier événement Stripe"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        db_table = "subscription_records"
        verbose_name = _("abonnement")
        verbose_name_plural = _("abonnements")

    def __str__(self) -> str:
        return f"{self.user_id} {self.plan} {self.status}"


class StripeEvent(models.Model):
    """A Stripe event id recorded in the same transaction as the state change it caused."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event_id = models.CharField(_("événement Stripe"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100)
    received_at = models.DateTimeField(_("reçu le"), default=timezone.now)
    processed_at = models.DateTimeField(_("traité le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now, editable=False)

    class Meta:
        db_table = "stripe_events"
        verbose_name = _("événement Stripe")
        verbose_name_plural = _("événements Stripe")

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"
