"""The middleware shortcuts for API requests (huntaze/middleware.py) change no answer.

- ``LocaleMiddleware`` picks the language Django's picks and writes the same headers, whether its
  remembered negotiation is used or not, and forgets it when the language settings change;
- ``MessageMiddleware`` is skipped only for an API request without a session cookie: admin
  pages and session-authenticated API requests keep Django's messages.
"""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.test import RequestFactory
from django.utils import translation

from huntaze import middleware

ACCEPT = [
    "",
    "fr-FR,fr;q=0.9,en;q=0.8",
    "en-US,en;q=0.9",
    "en;q=0.1, fr;q=0.9",
    "de-DE,de;q=0.9",
    "de, en-GB;q=0.5",
    "*",
    "xx-invalid!!,;q=abc",
    "EN",
]
COOKIES = [None, "en", "fr", "de", "garbage"]


def _answer(mw_class, accept: str, cookie: str | None):
    seen = {}

    def view(request):
        seen["language"] = translation.get_language()
        seen["request_code"] = request.LANGUAGE_CODE
        return HttpResponse("ok")

    request = RequestFactory().get("/api/auth/me", HTTP_ACCEPT_LANGUAGE=accept)
    if cookie is not None:
        request.COOKIES["django_language"] = cookie
    response = mw_class(view)(request)
    return seen, response.get("Content-Language"), response.get("Vary")


@pytest.mark.parametrize("accept", ACCEPT)
@pytest.mark.parametrize("cookie", COOKIES)
def test_locale_answers_like_django(accept, cookie):
    with translation.override(None):
        django_answer = _answer(DjangoLocaleMiddleware, accept, cookie)
        first = _answer(middleware.LocaleMiddleware, accept, cookie)
        remembered = _answer(middleware.LocaleMiddleware, accept, cookie)
    assert first == django_answer
    assert remembered == django_answer


def test_locale_forgets_its_answers_when_the_settings_change(settings):
    with translation.override(None):
        assert _answer(middleware.LocaleMiddleware, "", None)[0]["language"] == "fr"
        settings.LANGUAGE_CODE = "en"
        assert _answer(middleware.LocaleMiddleware, "", None)[0]["language"] == "en"
        assert _answer(DjangoLocaleMiddleware, "", None)[0]["language"] == "en"


def test_locale_of_a_real_api_error(api_client):
    response = api_client.get("/api/nothing-here", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "en"
    assert "Accept-Language" in response["Vary"]
    assert response.json()["error"]["message"] == "Not found."
    response = api_client.get("/api/nothing-here")
    assert response["Content-Language"] == "fr"
    assert response.json()["error"]["message"] == "Ressource introuvable."


def _request_after_messages(path: str, cookies: dict[str, str]):
    from django.contrib.sessions.middleware import SessionMiddleware

    seen = {}

    def view(request):
        seen["messages"] = hasattr(request, "_messages")
        return HttpResponse("ok")

    request = RequestFactory().get(path)
    request.COOKIES.update(cookies)
    SessionMiddleware(middleware.MessageMiddleware(view))(request)
    return seen["messages"]


def test_messages_skipped_only_for_sessionless_api_requests(settings):
    assert _request_after_messages("/api/content", {}) is False
    assert _request_after_messages("/api/content", {settings.SESSION_COOKIE_NAME: "x"}) is True
    assert _request_after_messages("/admin/", {}) is True
    assert _request_after_messages("/accounts/login/", {}) is True
    assert _request_after_messages("/apix", {}) is True


@pytest.mark.django_db
def test_admin_messages_still_reach_the_page():
    from django.contrib import messages
    from django.contrib.messages import get_messages
    from django.test import Client

    from tests.factories import make_admin

    client = Client()
    client.force_login(make_admin())
    response = client.get("/admin/")
    assert response.status_code == 200
    request = response.wsgi_request
    messages.info(request, "hello")  # the storage is there (added by MessageMiddleware)
    assert [m.message for m in get_messages(request)] == ["hello"]
