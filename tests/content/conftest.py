from __future__ import annotations

import secrets

import pytest
from rest_framework.test import APIClient

from accounts.authentication import hash_secret
from accounts.models import ApiKey
from tests.content.standin import API_KEY, DEPLOYMENT, OpenAIStandIn


@pytest.fixture
def ai_standin(settings, monkeypatch):
    """A running Azure OpenAI stand-in, configured as the app's endpoint, with short time bounds.

    The key and endpoint are set both in settings and in the environment, so whichever the
    secrets loader reads (``SECRETS_BACKEND=env``) finds them.
    """
    server = OpenAIStandIn().start()
    settings.AZURE_OPENAI_ENDPOINT = server.url
    settings.AZURE_OPENAI_API_KEY = API_KEY
    settings.AZURE_OPENAI_DEPLOYMENT = DEPLOYMENT
    settings.AI_REQUEST_TIMEOUT_SECONDS = 1.0
    settings.AI_RETRY_BACKOFF_SECONDS = 0.05
    settings.AI_TOTAL_DEADLINE_SECONDS = 10.0
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", server.url)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", API_KEY)
    yield server
    server.stop()


@pytest.fixture
def api_key_client(db):
    """``api_key_client(user, ["content:read"])``: an APIClient sending ``Api-Key <key>``."""

    def make(user, permissions):
        raw = f"hz_{secrets.token_urlsafe(24)}"
        ApiKey.objects.create(
            user=user,
            name="test",
            prefix=raw[:8],
            key_hash=hash_secret(raw),
            permissions=permissions,
        )
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
        return client

    return make
