"""``STAFF_MFA_REQUIRED``: a signed-in staff member without TOTP reaches only the admin's
set-up page (docs/admin.md, Two-factor)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import reverse

from accounts.services.mfa import totp_is_on

ADMIN_PREFIX = "/admin/"
# What a staff member without TOTP may still open: the set-up and code pages, logging out,
# the admin's JavaScript catalogue.
OPEN_PATHS = ("/admin/mfa/", "/admin/logout/", "/admin/login/", "/admin/jsi18n/")


class StaffMfaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if (
            path.startswith(ADMIN_PREFIX)
            and settings.STAFF_MFA_REQUIRED
            and not path.startswith(OPEN_PATHS)
            and request.user.is_authenticated
            and request.user.is_staff
            and not totp_is_on(user=request.user)
        ):
            return HttpResponseRedirect(reverse("admin-mfa-setup"))
        return self.get_response(request)
