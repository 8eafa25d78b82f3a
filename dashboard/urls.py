from django.contrib import admin
from django.urls import path

from dashboard.views import beta_dashboard

# admin_view: staff only (others are sent to the admin login), never cached.
urlpatterns = [
    path("", admin.site.admin_view(beta_dashboard), name="admin-beta-dashboard"),
]
