"""Billing endpoints (docs/api.md, Billing): one view class per endpoint, thin."""

from __future__ import annotations

import logging

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiRequest, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import authentication_reading
from billing import selectors, services, webhooks
from billing.serializers import (
    CheckoutInput,
    CheckoutOutput,
    PortalOutput,
    SubscriptionOutput,
    WebhookOutput,
)
from billing.services import NoStripeCustomer, PaidPlanActive, PaymentNotConfigured
from billing.stripe_client import PaymentUnavailable
from billing.webhooks import InvalidSignature
from huntaze.exceptions import ServiceUnavailable
from huntaze.schema import error_response

logger = logging.getLogger("huntaze.billing")

# What Stripe sends (abridged): an event whose ``data.object`` is the changed object.
STRIPE_EVENT_EXAMPLE = OpenApiExample(
    "example",
    value={
        "id": "evt_1QbR7sK2x9LmN4pQ8rT5vW0y",
        "object": "event",
        "type": "customer.subscription.updated",
        "created": 1796574400,
        "livemode": True,
        "data": {
            "object": {
                "id": "sub_1QbR6nK2x9LmN4pQk3Jd7HsA",
                "object": "subscription",
                "customer": "cus_RkT2m8Xq4vL1pZ",
                "status": "active",
                "cancel_at_period_end": False,
                "current_period_start": 1794731400,
                "current_period_end": 1797323400,
                "items": {
                    "object": "list",
                    "data": [{"price": {"id": "price_1QbR2aK2x9LmN4pQproMonth"}}],
                },
            }
        },
    },
)


class BillingSubscriptionView(APIView):
    required_scopes = {"GET": "billing:read"}
    # The credential's user is read with its subscription: one query with a Bearer or cookie
    # token (accounts.authentication).
    authentication_classes = authentication_reading(selectors.subscription_user_read)

    @extend_schema(
        responses=SubscriptionOutput,
        tags=["billing"],
        summary="The user's plan and subscription status",
        description=(
            "`FREE`/`ACTIVE` with null dates when the user never subscribed. The plan follows "
            "Stripe: it changes when Stripe confirms a payment or a cancellation, not when "
            "checkout starts. With an API key, needs `billing:read`."
        ),
    )
    def get(self, request):
        return Response(SubscriptionOutput(request.user.subscription_summary).data)


class BillingCheckoutView(APIView):
    # No required_scopes: an API key may not start a checkout.

    # 409 documented (found by the contract fuzzer): a paid plan already ACTIVE or PAST_DUE.
    @extend_schema(
        request=CheckoutInput,
        responses={
            200: CheckoutOutput,
            409: error_response(
                "conflict", ("A paid plan is already active or past due", PaidPlanActive)
            ),
            503: error_response(
                "service_unavailable",
                ("The database cannot be reached", ServiceUnavailable),
                ("The plan's price or Stripe is not configured", PaymentNotConfigured),
                ("Stripe did not answer", PaymentUnavailable),
            ),
        },
        tags=["billing"],
        summary="Start a Stripe Checkout for a paid plan",
        description=(
            "`plan` is `PRO` or `ENTERPRISE`, `interval` `month` or `year`. Answers the `url` "
            "of a Stripe Checkout page: send the user there; the plan changes once Stripe "
            "confirms the payment. 409 `conflict` when a paid plan is already active or past "
            "due (change plans in the customer portal). 503 when payments are not configured "
            "or Stripe does not answer. Not possible with an API key."
        ),
    )
    def post(self, request):
        body = CheckoutInput(data=request.data)
        body.is_valid(raise_exception=True)
        url = services.checkout_session_start(
            user=request.user,
            plan=body.validated_data["plan"],
            interval=body.validated_data["interval"],
        )
        return Response({"url": url})


class BillingPortalView(APIView):
    # 409 documented (found by the contract fuzzer): no Stripe customer yet.
    @extend_schema(
        request=None,
        responses={
            200: PortalOutput,
            409: error_response(
                "conflict", ("The user never went through checkout", NoStripeCustomer)
            ),
            503: error_response(
                "service_unavailable",
                ("The database cannot be reached", ServiceUnavailable),
                ("Stripe is not configured, or did not answer", PaymentUnavailable),
            ),
        },
        tags=["billing"],
        summary="Open the Stripe customer portal",
        description=(
            "Answers the `url` of the user's Stripe customer portal (invoices, payment method, "
            "plan change, cancellation). 409 `conflict` when the user never went through "
            "checkout. 503 when Stripe is not configured or does not answer."
        ),
    )
    def post(self, request):
        return Response({"url": services.portal_session_start(user=request.user)})


class BillingWebhookView(APIView):
    """Stripe's webhook endpoint: no authentication, no CSRF (DRF views are CSRF-exempt and
    only SessionAuthentication enforces it); the signature over the raw body is the check."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        request=OpenApiRequest(OpenApiTypes.OBJECT, examples=[STRIPE_EVENT_EXAMPLE]),
        responses={
            200: WebhookOutput,
            400: error_response(
                "invalid_signature",
                ("The Stripe-Signature header is missing, wrong or too old", InvalidSignature),
            ),
            503: error_response(
                "service_unavailable",
                ("The database cannot be reached", ServiceUnavailable),
                ("The webhook's signing secret is not configured", PaymentUnavailable),
            ),
        },
        tags=["billing"],
        summary="Stripe webhook (called by Stripe)",
        description=(
            "Not for front ends: Stripe sends its events here, signed with the "
            "`Stripe-Signature` header (400 `invalid_signature` otherwise). Each event is "
            "applied once; a replay or an unknown event type is a 200 that changes nothing."
        ),
    )
    def post(self, request):
        # request.body, not request.data: the signature covers the exact bytes Stripe sent.
        outcome = webhooks.stripe_event_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
        logger.info("stripe webhook handled", extra={"outcome": outcome})
        return Response({"received": True})
