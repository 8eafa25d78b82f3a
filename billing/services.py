"""Billing writes: checkout and portal (docs/api.md, Billing). Webhooks: ``billing.webhooks``.

Decisions (see docs/billing.md):

- Every Stripe call made on behalf of a user runs with an idempotency key derived from our user
  id and the purpose. The Stripe customer is created under a ``SELECT … FOR UPDATE`` lock on the
  user row and stored before the lock is released, so two concurrent checkouts make one customer.
- Lock order is always user row, then subscription record, here and in the webhook handlers.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Plan, User
from billing import stripe_client
from billing.models import PAID_PLANS, Interval, SubscriptionRecord, SubscriptionStatus
from huntaze.db import connection_release
from huntaze.exceptions import Conflict, ServiceUnavailable
from huntaze.hashing import sha256_hex
from huntaze.secrets import runtime_secret

logger = logging.getLogger("huntaze.billing")


class PaidPlanActive(Conflict):
    """A paid plan is already active or past due: plan changes go through the portal."""

    default_message = _(
        "Un abonnement payant est déjà actif ; changez d'offre depuis le portail client."
    )


class PaymentNotConfigured(ServiceUnavailable):
    """The price of the plan or the Stripe key is not configured."""

    default_message = _("Le paiement n'est pas configuré.")


class NoStripeCustomer(Conflict):
    """The user never went through checkout."""

    default_message = _("Aucun client Stripe pour ce compte : souscrivez d'abord une offre.")


# --- plans and prices ------------------------------------------------------------------------

LIVE_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)

_PRICE_SETTINGS: dict[tuple[str, str], str] = {
    (Plan.PRO, Interval.MONTH): "STRIPE_PRICE_PRO_MONTHLY",
    (Plan.PRO, Interval.YEAR): "STRIPE_PRICE_PRO_YEARLY",
    (Plan.ENTERPRISE, Interval.MONTH): "STRIPE_PRICE_ENTERPRISE_MONTHLY",
    (Plan.ENTERPRISE, Interval.YEAR): "STRIPE_PRICE_ENTERPRISE_YEARLY",
}

STATUS_MAP: dict[str, str] = {
    "active": SubscriptionStatus.ACTIVE,
    "trialing": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.UNPAID,
    "incomplete": SubscriptionStatus.UNPAID,
    # A paused subscription (trial ended without a payment method) is not being paid for.
    "paused": SubscriptionStatus.UNPAID,
    "canceled": SubscriptionStatus.CANCELED,
    "incomplete_expired": SubscriptionStatus.CANCELED,
}


def _price_setting(name: str) -> str:
    # Price ids may live in the Stripe secret (docs/configuration.md) or in plain settings.
    return runtime_secret(name) or str(getattr(settings, name, "") or "")


def price_id_for(*, plan: str, interval: str) -> str:
    return _price_setting(_PRICE_SETTINGS[(plan, interval)])


def plan_for_price(*, price_id: str | None) -> str | None:
    if not price_id:
        return None
    for (plan, _interval), name in _PRICE_SETTINGS.items():
        if _price_setting(name) == price_id:
            return plan
    return None


def plan_of_record(record: SubscriptionRecord) -> str:
    """``User.subscription`` follows the record: the plan while live, FREE once ended."""
    return record.plan if record.status in LIVE_STATUSES else Plan.FREE


# --- checkout and portal ---------------------------------------------------------------------


def _idempotency_key(purpose: str, *parts: object) -> str:
    digest = sha256_hex("|".join(str(p) for p in parts))[:32]
    return f"huntaze-{purpose}-{digest}"


def stripe_customer_ensure(*, user: User) -> str:
    """Return the user's Stripe customer id, creating and storing it once.

    Stripe may take 10 s: the call runs outside any transaction, with this request's pooled
    connection and slot given back (``connection_release``), so a slow Stripe holds back no
    other request. Concurrent first checkouts of one user (a double click) send the same
    idempotency key (user id + the data sent): Stripe creates one customer and replays it to
    the others (a request arriving while the first is in flight gets 409
    ``idempotency_key_in_use``, which the library retries). The id is stored by a conditional
    UPDATE, so whichever request stores first wins and the others read it back.
    """
    if user.stripe_customer_id:
        return user.stripe_customer_id
    stored = _stored_customer_id(user)
    if stored:
        user.stripe_customer_id = stored
        return stored
    connection_release()
    created = stripe_client.customer_create(
        email=user.email,
        name=user.name,
        user_id=str(user.pk),
        idempotency_key=_idempotency_key("customer", user.pk, user.email, user.name),
    )
    User.objects.filter(pk=user.pk).filter(
        Q(stripe_customer_id__isnull=True) | Q(stripe_customer_id="")
    ).update(stripe_customer_id=created, updated_at=timezone.now())
    user.stripe_customer_id = _stored_customer_id(user) or created
    if user.stripe_customer_id != created:
        # Only if the user's name or email changed between two concurrent first checkouts.
        logger.warning(
            "a second Stripe customer was created and not kept", extra={"user_id": str(user.pk)}
        )
    return user.stripe_customer_id


def _stored_customer_id(user: User) -> str | None:
    return User.objects.filter(pk=user.pk).values_list("stripe_customer_id", flat=True).first()


def checkout_session_start(*, user: User, plan: str, interval: str) -> str:
    """Start a Stripe Checkout for a paid plan; returns the session URL.

    409 when a paid plan is already ACTIVE or PAST_DUE (plan changes go through the portal);
    503 when the price or the Stripe key is not configured, or Stripe is unreachable.
    """
    record = SubscriptionRecord.objects.filter(user=user).only("plan", "status").first()
    if record and record.plan in PAID_PLANS and record.status in LIVE_STATUSES:
        raise PaidPlanActive()
    price_id = price_id_for(plan=plan, interval=interval)
    if not price_id or not stripe_client.is_configured():
        logger.warning("stripe checkout is not configured", extra={"plan": plan})
        raise PaymentNotConfigured()
    customer_id = stripe_customer_ensure(user=user)
    frontend = settings.FRONTEND_URL
    # One session per user, price and 10-minute window: a double click or a retry gets the
    # same session back instead of a second one that could be paid too.
    window = int(time.time() // 600)
    connection_release()  # Stripe may take 10 s: keep no pooled connection meanwhile
    return stripe_client.checkout_session_create(
        customer_id=customer_id,
        price_id=price_id,
        user_id=str(user.pk),
        success_url=f"{frontend}/billing?checkout=success&session_id={{CHECKOUT_SESSION_ID}}",
        cancel_url=f"{frontend}/billing?checkout=cancel",
        idempotency_key=_idempotency_key("checkout", user.pk, customer_id, price_id, window),
    )


def portal_session_start(*, user: User) -> str:
    """A Stripe customer-portal session URL; 409 when the user has no Stripe customer yet."""
    if not user.stripe_customer_id:
        raise NoStripeCustomer()
    window = int(time.time() // 60)
    connection_release()  # Stripe may take 10 s: keep no pooled connection meanwhile
    return stripe_client.portal_session_create(
        customer_id=user.stripe_customer_id,
        return_url=f"{settings.FRONTEND_URL}/billing",
        idempotency_key=_idempotency_key("portal", user.pk, user.stripe_customer_id, window),
    )
