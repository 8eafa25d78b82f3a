from __future__ import annotations

import pytest

from tests import factories
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
    return factories.scoped_key_client
