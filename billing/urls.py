from django.urls import path

from billing import views

urlpatterns = [
    path(
        "billing/subscription",
        views.BillingSubscriptionView.as_view(),
        name="billing-subscription",
    ),
    path("billing/checkout", views.BillingCheckoutView.as_view(), name="billing-checkout"),
    path("billing/portal", views.BillingPortalView.as_view(), name="billing-portal"),
    path("billing/webhook", views.BillingWebhookView.as_view(), name="billing-webhook"),
]
