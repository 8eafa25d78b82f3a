"""Applying Stripe webhook events (docs/api.md, Billing).

Decisions (see docs/billing.md):

- A webhook event is recorded (``StripeEvent``, unique ``event_id``, ``INSERT … ON CONFLICT DO
  NOTHING``) in the same transaction as the state change it causes: a replay, or a concurrent
  duplicate that waits on the first one's row lock, inserts nothing and is a no-op. A handler
  failure rolls back the event row with everything else, so Stripe's retry runs it again.
- Every verified event is recorded, including ignored ones (unknown type, unknown customer),
  as an audit trail of what Stripe sent.
- Lock order is always user row, then subscription record, as in checkout.
- Ordering: ``SubscriptionRecord.last_event_at`` is the ``created`` time of the newest event
  reflected in the record; an event created strictly earlier is skipped (an equal second is
  applied: Stripe's ``created`` has one-second resolution and related events share it).
- ``checkout.session.completed`` links ids only (customer on the user, subscription on the
  record); the plan and status come from ``customer.subscription.*`` events, which Stripe always
  sends for a new subscription, whatever the delivery order (they find the user by the customer
  id stored at checkout, or by ``metadata.user_id``).
- A live subscription (ACTIVE, PAST_DUE) whose price maps to no configured plan is an error: the
  handler raises, the request answers 500 and Stripe retries until the configuration is fixed.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from billing import stripe_client
from billing.models import StripeEvent, SubscriptionRecord, SubscriptionStatus
from billing.services import LIVE_STATUSES, STATUS_MAP, plan_for_price, plan_of_record
from huntaze import metrics
from huntaze.exceptions import DomainError

logger = logging.getLogger("huntaze.billing")


class InvalidSignature(DomainError):
    code = "invalid_signature"
    status_code = 400
    default_message = _("Signature Stripe invalide.")


class WebhookProcessingFailed(DomainError):
    """A webhook handler failed: 500 so that Stripe retries; nothing was written."""

    code = "internal_error"
    status_code = 500
    default_message = _("Erreur interne.")


class UnknownPrice(Exception):
    """A live subscription's price maps to no configured plan (a configuration gap)."""


# --- webhook ---------------------------------------------------------------------------------


def stripe_event_receive(*, payload: bytes, signature: str | None) -> str:
    """Verify and apply one webhook delivery; returns the outcome for logs and tests.

    ``InvalidSignature`` (400) for a bad or stale signature, ``ServiceUnavailable`` (503) when
    the endpoint secret is not configured, ``WebhookProcessingFailed`` (500, everything rolled
    back) when a handler fails.
    """
    try:
        event = stripe_client.webhook_event_verify(payload=payload, signature=signature)
    except (stripe_client.WebhookSignatureInvalid, stripe_client.WebhookPayloadInvalid) as exc:
        logger.info("stripe webhook refused: %s", type(exc).__name__)
        metrics.stripe_webhook_observe(event_type=None, outcome="invalid_signature")
        raise InvalidSignature() from exc
    try:
        event_id, event_type, created = _event_header(event)
    except InvalidSignature:
        metrics.stripe_webhook_observe(event_type=None, outcome="invalid_signature")
        raise
    try:
        outcome = stripe_event_process(
            event_id=event_id, event_type=event_type, created=created, event=event
        )
    except (OperationalError, InterfaceError):
        metrics.stripe_webhook_observe(event_type=event_type, outcome="failed")
        raise  # database down: the exception handler answers 503; Stripe retries
    except Exception as exc:
        metrics.stripe_webhook_observe(event_type=event_type, outcome="failed")
        logger.exception(
            "stripe webhook handler failed", extra={"event_id": event_id, "event_type": event_type}
        )
        raise WebhookProcessingFailed() from exc
    metrics.stripe_webhook_observe(event_type=event_type, outcome=outcome)
    return outcome


def _event_header(event: dict[str, Any]) -> tuple[str, str, datetime]:
    event_id, event_type, created = event.get("id"), event.get("type"), event.get("created")
    if (
        not isinstance(event_id, str)
        or not event_id
        or len(event_id) > 255
        or not isinstance(event_type, str)
        or not event_type
        or len(event_type) > 100
        or not isinstance(created, int)
        or isinstance(created, bool)
    ):
        # Signed by our endpoint secret yet not an event: refuse like a bad signature.
        raise InvalidSignature(_("Événement Stripe invalide."))
    return event_id, event_type, datetime.fromtimestamp(created, tz=UTC)


def _event_record(*, event_id: str, event_type: str) -> bool:
    """Insert the event row; False when it already exists (a replay or a concurrent duplicate).

    A concurrent duplicate blocks on the unique index until the first transaction ends: it then
    inserts nothing if the first committed, or proceeds if the first rolled back.
    """
    now = timezone.now()
    table = StripeEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, event_id, type, received_at, processed_at, created_at) "  # noqa: S608
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (event_id) DO NOTHING RETURNING id",
            [uuid.uuid4(), event_id, event_type, now, now, now],
        )
        return cursor.fetchone() is not None


@transaction.atomic
def stripe_event_process(
    *, event_id: str, event_type: str, created: datetime, event: dict[str, Any]
) -> str:
    """Apply a verified event once, atomically with recording its id. Returns the outcome:
    ``duplicate``, ``ignored`` (unknown type, unknown user, stale, not applicable) or
    ``applied``."""
    if not _event_record(event_id=event_id, event_type=event_type):
        return "duplicate"
    handler = _HANDLERS.get(event_type)
    if handler is None:
        return "ignored"
    obj = (event.get("data") or {}).get("object")
    if not isinstance(obj, dict):
        logger.warning("stripe event without an object", extra={"event_id": event_id})
        return "ignored"
    outcome = handler(obj, created)
    if outcome != "applied":
        logger.info(
            "stripe event not applied",
            extra={"event_id": event_id, "event_type": event_type, "outcome": outcome},
        )
    return "applied" if outcome == "applied" else "ignored"


def _id_of(value: Any) -> str | None:
    """A Stripe reference is an id string or, when expanded, an object with an ``id``."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def _user_locked(*, customer_id: str | None, user_id: Any = None) -> User | None:
    """The user an event is about, locked: by Stripe customer id, else by our user id."""
    if customer_id:
        user = User.objects.select_for_update().filter(stripe_customer_id=customer_id).first()
        if user is not None:
            return user
    if isinstance(user_id, str):
        try:
            pk = uuid.UUID(user_id)
        except ValueError:
            return None
        return User.objects.select_for_update().filter(pk=pk).first()
    return None


def _record_locked(user: User) -> SubscriptionRecord:
    record, _created = SubscriptionRecord.objects.select_for_update().get_or_create(user=user)
    return record


def _is_stale(record: SubscriptionRecord, created: datetime) -> bool:
    return record.last_event_at is not None and created < record.last_event_at


def _syncplan_of_record(user: User, record: SubscriptionRecord) -> None:
    plan = plan_of_record(record)
    if user.subscription != plan:
        user.subscription = plan
        user.save(update_fields=["subscription", "updated_at"])


def _metadata_user_id(obj: dict[str, Any]) -> Any:
    metadata = obj.get("metadata")
    return metadata.get("user_id") if isinstance(metadata, dict) else None


def _handle_checkout_completed(session: dict[str, Any], created: datetime) -> str:
    if session.get("mode") not in (None, "subscription"):
        return "not_a_subscription"
    user_id = session.get("client_reference_id") or _metadata_user_id(session)
    customer_id = _id_of(session.get("customer"))
    user = _user_locked(customer_id=None, user_id=user_id) or _user_locked(customer_id=customer_id)
    if user is None:
        return "unknown_user"
    if customer_id and not user.stripe_customer_id:
        user.stripe_customer_id = customer_id
        user.save(update_fields=["stripe_customer_id", "updated_at"])
    elif customer_id and user.stripe_customer_id != customer_id:
        logger.warning(
            "checkout session customer differs from the stored one",
            extra={"user_id": str(user.pk), "stripe_customer": customer_id},
        )
    subscription = session.get("subscription")
    subscription_id = _id_of(subscription)
    if not subscription_id:
        return "applied"
    record = _record_locked(user)
    # Link the new subscription unless the record already follows a live one (a
    # customer.subscription.* event for it may have been applied first).
    if record.stripe_subscription_id != subscription_id and (
        record.stripe_subscription_id is None or record.status not in LIVE_STATUSES
    ):
        record.stripe_subscription_id = subscription_id
        record.save(update_fields=["stripe_subscription_id", "updated_at"])
    if isinstance(subscription, dict) and subscription.get("status"):
        return _apply_subscription(user, record, subscription, created, deleted=False)
    return "applied"


def _subscription_price_id(sub: dict[str, Any]) -> str | None:
    item = _first_item(sub)
    price = item.get("price") if item else None
    price_id = _id_of(price)
    if price_id is None:
        price_id = _id_of(sub.get("plan"))  # legacy API versions
    return price_id


def _first_item(sub: dict[str, Any]) -> dict[str, Any] | None:
    items = sub.get("items")
    data = items.get("data") if isinstance(items, dict) else None
    if isinstance(data, list) and data and isinstance(data[0], dict):
        return data[0]
    return None


def _period(sub: dict[str, Any], name: str) -> datetime | None:
    # Older API versions carry the period on the subscription, newer ones (2025-03-31 and
    # later) on each item.
    value = sub.get(name)
    if value is None:
        item = _first_item(sub)
        value = item.get(name) if item else None
    if isinstance(value, int) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    return None


def _apply_subscription(
    user: User, record: SubscriptionRecord, sub: dict[str, Any], created: datetime, *, deleted: bool
) -> str:
    subscription_id = _id_of(sub)
    if subscription_id is None:
        return "no_subscription_id"
    if _is_stale(record, created):
        return "stale"
    status = SubscriptionStatus.CANCELED if deleted else STATUS_MAP.get(str(sub.get("status")))
    if status is None:
        logger.warning(
            "unknown stripe subscription status",
            extra={"stripe_subscription": subscription_id, "stripe_status": sub.get("status")},
        )
        return "unknown_status"
    if (
        record.stripe_subscription_id
        and record.stripe_subscription_id != subscription_id
        and status not in LIVE_STATUSES
    ):
        # An old subscription ending does not touch the one the user has now.
        return "other_subscription"
    plan = plan_for_price(price_id=_subscription_price_id(sub))
    if plan is None:
        if status in LIVE_STATUSES:
            raise UnknownPrice(f"subscription {subscription_id} has a price mapped to no plan")
        plan = record.plan
    record.stripe_subscription_id = subscription_id
    record.status = status
    record.plan = plan
    record.current_period_start = _period(sub, "current_period_start")
    record.current_period_end = _period(sub, "current_period_end")
    record.cancel_at_period_end = bool(sub.get("cancel_at_period_end"))
    record.last_event_at = created
    record.save()
    _syncplan_of_record(user, record)
    return "applied"


def _subscription_handler(*, deleted: bool):
    def handle(sub: dict[str, Any], created: datetime) -> str:
        user = _user_locked(customer_id=_id_of(sub.get("customer")), user_id=_metadata_user_id(sub))
        if user is None:
            return "unknown_user"
        if not user.stripe_customer_id and _id_of(sub.get("customer")):
            user.stripe_customer_id = _id_of(sub.get("customer"))
            user.save(update_fields=["stripe_customer_id", "updated_at"])
        return _apply_subscription(user, _record_locked(user), sub, created, deleted=deleted)

    return handle


def _invoice_subscription_id(invoice: dict[str, Any]) -> str | None:
    subscription_id = _id_of(invoice.get("subscription"))
    if subscription_id is None:
        # API versions from 2025-03-31 moved it under parent.subscription_details.
        parent = invoice.get("parent")
        details = parent.get("subscription_details") if isinstance(parent, dict) else None
        if isinstance(details, dict):
            subscription_id = _id_of(details.get("subscription"))
    return subscription_id


def _invoice_handler(*, from_status: str, to_status: str):
    def handle(invoice: dict[str, Any], created: datetime) -> str:
        subscription_id = _invoice_subscription_id(invoice)
        if subscription_id is None:
            return "not_a_subscription_invoice"
        user = _user_locked(customer_id=_id_of(invoice.get("customer")))
        if user is None:
            return "unknown_user"
        record = (
            SubscriptionRecord.objects.select_for_update()
            .filter(user=user, stripe_subscription_id=subscription_id)
            .first()
        )
        if record is None:
            return "unknown_subscription"
        if _is_stale(record, created):
            return "stale"
        if record.status == from_status:
            record.status = to_status
        record.last_event_at = created
        record.save(update_fields=["status", "last_event_at", "updated_at"])
        _syncplan_of_record(user, record)
        return "applied"

    return handle


_HANDLERS = {
    "checkout.session.completed": _handle_checkout_completed,
    "customer.subscription.created": _subscription_handler(deleted=False),
    "customer.subscription.updated": _subscription_handler(deleted=False),
    "customer.subscription.deleted": _subscription_handler(deleted=True),
    "invoice.paid": _invoice_handler(
        from_status=SubscriptionStatus.PAST_DUE, to_status=SubscriptionStatus.ACTIVE
    ),
    "invoice.payment_succeeded": _invoice_handler(
        from_status=SubscriptionStatus.PAST_DUE, to_status=SubscriptionStatus.ACTIVE
    ),
    "invoice.payment_failed": _invoice_handler(
        from_status=SubscriptionStatus.ACTIVE, to_status=SubscriptionStatus.PAST_DUE
    ),
}
