"""Stripe-shaped webhook events and their signatures, for tests.

Shapes follow Stripe's documented objects (event, subscription, checkout.session, invoice);
only the fields billing reads, plus enough around them to look like the real thing. The
signature is Stripe's scheme: ``Stripe-Signature: t=<ts>,v1=<hex hmac_sha256(secret, "<ts>.<body>")>``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import time
from typing import Any

WEBHOOK_SECRET = "whsec_test_standin_secret"
PRICES = {
    "STRIPE_PRICE_PRO_MONTHLY": "price_pro_month",
    "STRIPE_PRICE_PRO_YEARLY": "price_pro_year",
    "STRIPE_PRICE_ENTERPRISE_MONTHLY": "price_ent_month",
    "STRIPE_PRICE_ENTERPRISE_YEARLY": "price_ent_year",
}
_seq = itertools.count(1)


def sign(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def event(event_type: str, obj: dict[str, Any], *, created: int | None = None, event_id=None):
    return {
        "id": event_id or f"evt_test_{next(_seq):06d}{int(time.time())}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": created if created is not None else int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def subscription(
    *,
    sub_id: str = "sub_test_1",
    customer: str = "cus_test_1",
    status: str = "active",
    price: str = "price_pro_month",
    period_start: int = 1_700_000_000,
    period_end: int = 1_702_592_000,
    cancel_at_period_end: bool = False,
    metadata: dict[str, str] | None = None,
    periods_on_items: bool = False,
) -> dict[str, Any]:
    """A subscription object. ``periods_on_items`` gives the 2025-03-31+ API shape, where the
    current period lives on each item instead of the subscription."""
    item: dict[str, Any] = {
        "id": f"si_{sub_id}",
        "object": "subscription_item",
        "price": {
            "id": price,
            "object": "price",
            "recurring": {"interval": "month"},
            "currency": "eur",
        },
        "quantity": 1,
        "subscription": sub_id,
    }
    sub: dict[str, Any] = {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": cancel_at_period_end,
        "created": period_start,
        "items": {"object": "list", "data": [item], "has_more": False},
        "metadata": metadata or {},
        "livemode": False,
    }
    if periods_on_items:
        item["current_period_start"] = period_start
        item["current_period_end"] = period_end
    else:
        sub["current_period_start"] = period_start
        sub["current_period_end"] = period_end
    return sub


def checkout_session(
    *,
    user_id: str | None,
    customer: str = "cus_test_1",
    subscription_id: str | None = "sub_test_1",
    use_metadata_only: bool = False,
) -> dict[str, Any]:
    return {
        "id": f"cs_test_{next(_seq)}",
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "payment_status": "paid",
        "client_reference_id": None if use_metadata_only else user_id,
        "customer": customer,
        "subscription": subscription_id,
        "metadata": {"user_id": user_id} if user_id else {},
        "livemode": False,
    }


def invoice(
    *,
    customer: str = "cus_test_1",
    sub_id: str | None = "sub_test_1",
    status: str = "paid",
    new_shape: bool = False,
) -> dict[str, Any]:
    """An invoice; ``new_shape`` puts the subscription under ``parent.subscription_details``
    (API 2025-03-31 and later) instead of the top-level ``subscription`` field."""
    inv: dict[str, Any] = {
        "id": f"in_test_{next(_seq)}",
        "object": "invoice",
        "customer": customer,
        "status": status,
        "billing_reason": "subscription_cycle",
        "amount_due": 1900,
        "currency": "eur",
        "livemode": False,
    }
    if new_shape:
        inv["parent"] = {
            "type": "subscription_details",
            "subscription_details": {"subscription": sub_id, "metadata": {}},
        }
    else:
        inv["subscription"] = sub_id
    return inv
