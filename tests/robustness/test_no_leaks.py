"""No secret in any log record or error body, across the main flows (docs/api.md, Configuration; docs/robustness.md).

Logging is captured at DEBUG everywhere (root logger, so django.db.backends' SQL, stripe,
openai, httpx and urllib3 debug lines included) in three ways: the raw records before any
filter (a handler placed first on the root logger), pytest's caplog, and the JSON formatter's
output (what production writes). Every 4xx/5xx body is kept too.
"""

from __future__ import annotations

import io
import json
import logging

import pytest
from rest_framework.test import APIClient

from huntaze.logging import JsonFormatter
from tests import factories
from tests.billing import events
from tests.content.standin import API_KEY as AZURE_KEY

PASSWORD = "Sup3r-Secret-Passw0rd!"
NEW_PASSWORD = "An0ther-Secret-Passw0rd?"
WRONG_PASSWORD = "Wr0ng-Secret-Passw0rd#"


class _RawRecords(logging.Handler):
    """Every record as emitted: message, arguments, extra fields and traceback, unfiltered.

    Except Django's ``request`` extra: a live request object, not text. Its repr holds the
    query string, so the one request below that puts a key in the URL (refused with a 401)
    would show there; every handler of ours drops it (huntaze.logging._DROPPED_EXTRAS) and
    the JSON lines are checked below.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.dumps: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:
            message = repr(record.msg)
        exc = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        fields = {k: v for k, v in record.__dict__.items() if k != "request"}
        self.dumps.append(f"{record.name} {message} {fields!r} {exc}")


@pytest.fixture
def captured(caplog):
    root = logging.getLogger()
    raw = _RawRecords()
    stream = io.StringIO()
    json_handler = logging.StreamHandler(stream)
    json_handler.setFormatter(JsonFormatter())
    json_handler.setLevel(logging.DEBUG)
    old_level = root.level
    root.handlers.insert(0, raw)  # before the configured handlers and their scrub filter
    root.addHandler(json_handler)
    root.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    # Loggers configured above DEBUG (django.request, django.template...) are lowered too.
    lowered = {}
    for name in list(logging.root.manager.loggerDict):
        logger = logging.getLogger(name)
        if logger.level > logging.DEBUG:
            lowered[name] = logger.level
            logger.setLevel(logging.DEBUG)
    yield raw, stream, caplog
    for name, level in lowered.items():
        logging.getLogger(name).setLevel(level)
    root.removeHandler(raw)
    root.removeHandler(json_handler)
    root.setLevel(old_level)


@pytest.mark.django_db(transaction=True)
def test_main_flows_leak_no_secret_to_logs_or_error_bodies(
    captured, stripe_standin, ai_standin, settings, high_rate_limits
):
    raw, stream, caplog = captured
    settings.DEBUG = False
    error_bodies: list[str] = []
    issued: list[str] = []

    def call(client, method, url, data=None, **kwargs):
        response = getattr(client, method)(url, data, format="json", **kwargs)
        if response.status_code >= 400:
            error_bodies.append(response.content.decode())
        return response

    anon = APIClient()
    invite = factories.make_invite(email="leak@example.test")

    # sign-up (and a failed one: wrong invite code, weak password)
    call(
        anon,
        "post",
        "/api/auth/signup",
        {"email": invite.email, "password": PASSWORD, "name": "Leak", "invite_code": "WRONG-CODE"},
    )
    call(
        anon,
        "post",
        "/api/auth/signup",
        {"email": invite.email, "password": "short", "name": "Leak", "invite_code": invite.code},
    )
    response = call(
        anon,
        "post",
        "/api/auth/signup",
        {"email": invite.email, "password": PASSWORD, "name": "Leak", "invite_code": invite.code},
    )
    assert response.status_code == 201, response.content
    issued += [response.json()["access"], response.json()["refresh"], invite.code]

    # sign-in: wrong password, then right
    call(anon, "post", "/api/auth/signin", {"email": invite.email, "password": WRONG_PASSWORD})
    response = call(anon, "post", "/api/auth/signin", {"email": invite.email, "password": PASSWORD})
    assert response.status_code == 200
    access, refresh = response.json()["access"], response.json()["refresh"]
    issued += [access, refresh]

    # refresh, then a replay of the spent token (family revoked) and a garbage one
    response = call(anon, "post", "/api/auth/refresh", {"refresh": refresh})
    assert response.status_code == 200
    access, new_refresh = response.json()["access"], response.json()["refresh"]
    issued += [access, new_refresh]
    assert call(anon, "post", "/api/auth/refresh", {"refresh": refresh}).status_code == 401
    call(anon, "post", "/api/auth/refresh", {"refresh": "garbage-" + refresh[:10]})

    response = call(anon, "post", "/api/auth/signin", {"email": invite.email, "password": PASSWORD})
    access = response.json()["access"]
    issued += [access, response.json()["refresh"]]
    user_client = APIClient()
    user_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    bad_bearer = APIClient()
    bad_bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {access[:-4]}AAAA")
    call(bad_bearer, "get", "/api/auth/me")

    # API key: create, use, misuse (scope), wrong key
    response = call(
        user_client,
        "post",
        "/api/keys",
        {"name": "ci", "permissions": ["content:read", "content:write"]},
    )
    assert response.status_code == 201
    api_key = response.json()["key"]
    issued.append(api_key)
    key_client = APIClient()
    key_client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    assert call(key_client, "get", "/api/content").status_code == 200
    call(key_client, "get", "/api/billing/subscription")  # 403: no billing:read scope
    wrong_key = APIClient()
    wrong_key.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key[:-3]}xyz")
    call(wrong_key, "get", "/api/content")
    call(APIClient(), "get", f"/api/content?api_key={api_key}")  # refused in the query string

    # checkout through the Stripe stand-in, then Stripe failing
    response = call(
        user_client, "post", "/api/billing/checkout", {"plan": "PRO", "interval": "month"}
    )
    assert response.status_code == 200, response.content
    stripe_standin.fail_status = 500
    call(user_client, "post", "/api/billing/portal")
    stripe_standin.fail_status = None

    # webhook: a signed checkout.session.completed, and a bad signature
    from accounts.models import User

    user = User.objects.get(email=invite.email)
    payload = json.dumps(
        events.event("checkout.session.completed", events.checkout_session(user_id=str(user.id)))
    )
    response = anon.post(
        "/api/billing/webhook",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=events.sign(payload),
    )
    assert response.status_code == 200, response.content
    response = anon.post(
        "/api/billing/webhook",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=events.sign(payload, secret="whsec_wrong"),
    )
    assert response.status_code == 400
    error_bodies.append(response.content.decode())

    # generation through the AI stand-in, then the model failing and refusing
    response = call(
        key_client, "post", "/api/content/generate", {"type": "CAPTION", "prompt": "été"}
    )
    assert response.status_code == 201, response.content
    ai_standin.default = "500"
    call(user_client, "post", "/api/content/generate", {"type": "CAPTION", "prompt": "été"})
    ai_standin.default = "content_filter"
    call(user_client, "post", "/api/content/generate", {"type": "CAPTION", "prompt": "été"})
    settings.AZURE_OPENAI_API_KEY = "wrong-" + AZURE_KEY
    call(user_client, "post", "/api/content/generate", {"type": "CAPTION", "prompt": "été"})
    settings.AZURE_OPENAI_API_KEY = AZURE_KEY

    # export (must not contain the key), password change (wrong, then right), delete
    response = call(user_client, "get", "/api/users/profile/export")
    assert response.status_code == 200 and api_key not in response.content.decode()
    call(
        user_client,
        "post",
        "/api/auth/password/change",
        {"current_password": WRONG_PASSWORD, "new_password": NEW_PASSWORD},
    )
    response = call(
        user_client,
        "post",
        "/api/auth/password/change",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response.status_code == 204
    response = call(
        anon, "post", "/api/auth/signin", {"email": invite.email, "password": NEW_PASSWORD}
    )
    user_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    issued += [response.json()["access"], response.json()["refresh"]]
    call(user_client, "delete", "/api/users/profile", {"password": WRONG_PASSWORD})
    assert (
        call(user_client, "delete", "/api/users/profile", {"password": NEW_PASSWORD}).status_code
        == 204
    )

    secrets = {
        "password": PASSWORD,
        "new password": NEW_PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "api key": api_key,
        "stripe secret key": stripe_standin.api_key,
        "stripe webhook secret": events.WEBHOOK_SECRET,
        "azure key": AZURE_KEY,
        **{f"issued #{i}": value for i, value in enumerate(issued)},
    }
    sources = {
        "raw log record": raw.dumps,
        "caplog record": [
            repr({k: v for k, v in r.__dict__.items() if k != "request"}) + r.getMessage()
            for r in caplog.records
        ],
        "JSON log line": stream.getvalue().splitlines(),
        "error body": error_bodies,
    }
    assert len(raw.dumps) > 50 and error_bodies  # the capture did capture
    for source, texts in sources.items():
        for text in texts:
            for name, value in secrets.items():
                assert value not in text, f"{name} found in a {source}: {text[:300]}"
