"""Subscriptions and processed Stripe events: read-only in the admin (docs/api.md, Admin).

Both mirror Stripe; editing them by hand would desynchronise us from Stripe, so staff change
subscriptions in the Stripe dashboard and the webhook brings the change here.
"""

from django.contrib import admin

from billing.models import StripeEvent, SubscriptionRecord
from huntaze.admin_site import ReadOnlyModelAdmin


@admin.register(SubscriptionRecord)
class SubscriptionRecordAdmin(ReadOnlyModelAdmin):
    list_display = (
        "user",
        "plan",
        "status",
        "current_period_end",
        "cancel_at_period_end",
        "last_event_at",
        "updated_at",
    )
    list_filter = ("plan", "status", "cancel_at_period_end")
    search_fields = ("user__email", "stripe_subscription_id", "user__stripe_customer_id")
    list_select_related = ("user",)
    readonly_fields = (
        "id",
        "user",
        "stripe_subscription_id",
        "status",
        "plan",
        "current_period_start",
        "current_period_end",
        "cancel_at_period_end",
        "last_event_at",
        "created_at",
        "updated_at",
    )


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyModelAdmin):
    list_display = ("event_id", "type", "received_at", "processed_at")
    list_filter = ("type",)
    search_fields = ("event_id", "type")
    date_hierarchy = "received_at"
    ordering = ("-received_at",)
    readonly_fields = ("id", "event_id", "type", "received_at", "processed_at", "created_at")
