"""The product's URLs plus two views that fail, for the error-report tests only."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from huntaze.urls import handler400, handler403, handler404, handler500  # noqa: F401
from huntaze.urls import urlpatterns as product_urlpatterns

# Secrets a careless error message could carry; none may reach Sentry.
LEAKS = {
    "password": "Hunter2-Sup3r-Secret-Pass",
    "stripe_key": "sk_live_51HxyzABCDEFGHIJKLMNOPQRSTUV",
    "bearer": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXNlY3JldA",
}


def _fail():
    password = LEAKS["password"]  # noqa: F841 (a local variable must not be sent either)
    raise RuntimeError(
        f"boom while charging with api_key={LEAKS['stripe_key']} "
        f"and Authorization: Bearer {LEAKS['bearer']}"
    )


class BoomApiView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request):
        _fail()


def boom_plain(request):
    _fail()


urlpatterns = [
    path("api/boom", BoomApiView.as_view()),
    path("boom-plain", boom_plain),
    *product_urlpatterns,
]
