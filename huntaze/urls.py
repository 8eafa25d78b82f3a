from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularJSONAPIView,
    SpectacularSwaggerView,
)

from huntaze import health, views

urlpatterns = [
    path("", views.root),
    path("favicon.ico", views.favicon),
    # Django's set_language (POST language=fr|en, next=…): the admin header's language switch.
    path("i18n/", include("django.conf.urls.i18n")),
    # The staff's Beta dashboard (dashboard/), before the admin's catch-all patterns.
    path("admin/beta/", include("dashboard.urls")),
    # The admin login's two-factor step and the TOTP set-up page (accounts/admin/mfa.py).
    path("admin/mfa/", include("accounts.admin.mfa")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    # The same schema as JSON at a stable URL (code generators; docs/api.md).
    path("api/schema.json", SpectacularJSONAPIView.as_view(), name="schema-json"),
    path("api/docs", SpectacularSwaggerView.as_view(url_name="schema-json"), name="docs"),
    # Answered by HealthCheckMiddleware first; routed so the schema documents them.
    path("api/health", health.ReadinessView.as_view(), name="health"),
    path("api/health/live", health.LivenessView.as_view(), name="health-live"),
    path("api/", include("accounts.urls")),
    path("api/", include("invites.urls")),
    path("api/", include("billing.urls")),
    path("api/", include("content.urls")),
    path("api/", include("members.urls")),
    re_path(r"^api(/.*)?$", views.api_not_found),
]

handler400 = "huntaze.views.bad_request"
handler403 = "huntaze.views.permission_denied"
handler404 = "huntaze.views.page_not_found"
handler500 = "huntaze.views.server_error"
