"""The only module that imports ``stripe`` (CONVENTIONS: one module per vendor SDK).

- Keys come from ``huntaze.secrets.runtime_secret`` on every call, so a rotated key is used
  without a restart; an empty key is a 503 ``service_unavailable``.
- Calls go through a ``stripe.StripeClient`` instance (no global ``stripe.api_key``), pointed at
  ``settings.STRIPE_API_BASE`` (a local stand-in in tests), with ``STRIPE_TIMEOUT_SECONDS``
  (10 s) and ``STRIPE_MAX_NETWORK_RETRIES`` (1), so Stripe down or hanging is a quick 503.
- Every create call carries an idempotency key chosen by the caller (derived from our user id
  and the purpose), so a retry or a concurrent duplicate makes one object at Stripe.
- Webhook payloads are verified on the raw body with Stripe's signing scheme (tolerance 300 s)
  and returned as plain dicts, so the rest of billing never touches ``stripe`` objects.

Errors: every ``stripe.StripeError`` becomes ``ServiceUnavailable``; only the error class, HTTP
status and Stripe request id are logged (never a key, never a request body).
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any

import stripe
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from huntaze.exceptions import ServiceUnavailable
from huntaze.secrets import runtime_secret

logger = logging.getLogger("huntaze.billing.stripe")

WEBHOOK_TOLERANCE_SECONDS = 300


class WebhookSignatureInvalid(Exception):
    """The ``Stripe-Signature`` header is missing, malformed, wrong or too old."""


class WebhookPayloadInvalid(Exception):
    """A correctly signed body that is not a JSON Stripe event."""


class PaymentUnavailable(ServiceUnavailable):
    """Stripe did not answer, or refused the call."""

    default_message = _("Le service de paiement est indisponible.")


def _unavailable(message: Any = None) -> ServiceUnavailable:
    return PaymentUnavailable(message)


@lru_cache(maxsize=4)
def _client_for(api_key: str, api_base: str, timeout: float, retries: int) -> stripe.StripeClient:
    # One client (and its per-thread HTTP sessions) per configuration; a rotated key or a
    # settings override in tests gets a new one.
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": api_base},
        max_network_retries=retries,
        http_client=stripe.RequestsClient(timeout=timeout),
    )


def _client() -> stripe.StripeClient:
    api_key = runtime_secret("STRIPE_SECRET_KEY")
    if not api_key:
        logger.warning("stripe secret key is not configured")
        raise _unavailable()
    return _client_for(
        api_key,
        settings.STRIPE_API_BASE.rstrip("/"),
        float(settings.STRIPE_TIMEOUT_SECONDS),
        int(settings.STRIPE_MAX_NETWORK_RETRIES),
    )


def is_configured() -> bool:
    return bool(runtime_secret("STRIPE_SECRET_KEY"))


def _call(operation: str, fn, params: dict, idempotency_key: str):
    try:
        return fn(params=params, options={"idempotency_key": idempotency_key})
    except stripe.StripeError as exc:
        logger.warning(
            "stripe call failed",
            extra={
                "stripe_operation": operation,
                "stripe_error": type(exc).__name__,
                "stripe_http_status": getattr(exc, "http_status", None),
                "stripe_request_id": getattr(exc, "request_id", None),
            },
        )
        raise _unavailable() from exc


def customer_create(*, email: str, name: str, user_id: str, idempotency_key: str) -> str:
    """Create a Stripe customer for one of our users; returns its id (``cus_…``)."""
    client = _client()
    params: dict[str, Any] = {"email": email, "metadata": {"user_id": user_id}}
    if name:
        params["name"] = name
    customer = _call("customer_create", client.v1.customers.create, params, idempotency_key)
    return str(customer.id)


def checkout_session_create(
    *,
    customer_id: str,
    price_id: str,
    user_id: str,
    success_url: str,
    cancel_url: str,
    idempotency_key: str,
) -> str:
    """A subscription Checkout session; returns its URL. Our user id rides along three ways
    (``client_reference_id``, session metadata, subscription metadata) so every later webhook
    can be tied back to the user."""
    client = _client()
    params: dict[str, Any] = {
        "mode": "subscription",
        "customer": customer_id,
        "line_items": [{"price": price_id, "quantity": 1}],
        "client_reference_id": user_id,
        "metadata": {"user_id": user_id},
        "subscription_data": {"metadata": {"user_id": user_id}},
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    session = _call(
        "checkout_session_create", client.v1.checkout.sessions.create, params, idempotency_key
    )
    return str(session.url)


def portal_session_create(*, customer_id: str, return_url: str, idempotency_key: str) -> str:
    """A customer-portal session; returns its URL."""
    client = _client()
    params = {"customer": customer_id, "return_url": return_url}
    session = _call(
        "portal_session_create", client.v1.billing_portal.sessions.create, params, idempotency_key
    )
    return str(session.url)


def webhook_event_verify(*, payload: bytes, signature: str | None) -> dict[str, Any]:
    """Verify ``Stripe-Signature`` over the raw body and return the event as a plain dict.

    Raises ``WebhookSignatureInvalid`` for a missing signature (checked first, whatever the
    configuration), ``ServiceUnavailable`` when no endpoint secret is configured to check a
    signature against (Stripe retries, so events are not lost while an operator fixes it),
    ``WebhookSignatureInvalid`` for a wrong or stale signature, ``WebhookPayloadInvalid`` for a body that is not an event.
    """
    if not (signature or "").strip():
        # Nothing to verify, whatever the configuration: the request itself is invalid.
        raise WebhookSignatureInvalid("no Stripe-Signature header")
    secret = runtime_secret("STRIPE_WEBHOOK_SECRET")
    if not secret:
        logger.warning("stripe webhook secret is not configured")
        raise _unavailable()
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookSignatureInvalid("body is not utf-8") from exc
    try:
        stripe.WebhookSignature.verify_header(
            text, signature, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
    except stripe.SignatureVerificationError as exc:
        raise WebhookSignatureInvalid(str(exc)) from exc
    try:
        event = json.loads(text)
    except ValueError as exc:
        raise WebhookPayloadInvalid("body is not JSON") from exc
    if not isinstance(event, dict):
        raise WebhookPayloadInvalid("event is not an object")
    return event
