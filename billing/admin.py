from django.contrib import admin

from billing.models import StripeEvent, SubscriptionRecord


@admin.register(SubscriptionRecord)
class SubscriptionRecordAdmin(admin.ModelAdmin):
    list_display = (
        "user",
        "plan",
        "status",
        "current_period_end",
        "cancel_at_period_end",
        "updated_at",
    )
    list_filter = ("plan", "status")
    search_fields = ("user__email", "stripe_subscription_id")
    list_select_related = ("user",)


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ("event_id", "type", "received_at", "processed_at")
    search_fields = ("event_id", "type")
