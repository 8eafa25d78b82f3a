"""POST /api/content/generate with the real openai client against a local Azure stand-in."""

from __future__ import annotations

import itertools
import time

import pytest

from content import prompts
from content.models import AiUsage, ContentAsset, ContentType
from content.selectors import ai_generations_this_month
from content.services import title_from_prompt
from tests.conftest import assert_error
from tests.content.standin import API_KEY, COMPLETION_TEXT, DEPLOYMENT, MODEL
from tests.content.test_assets_api import ASSET_KEYS

pytestmark = pytest.mark.django_db

URL = "/api/content/generate"
PROMPT = "Annonce le lancement de ma collection d'été"


def generate(client, **body):
    return client.post(URL, {"type": "CAPTION", "prompt": PROMPT, **body}, format="json")


def assert_nothing_written(user) -> None:
    assert ContentAsset.objects.filter(user=user).count() == 0
    assert ai_generations_this_month(user=user) == 0


def test_generation_creates_an_asset_with_ai_metadata(client_for_user, user, ai_standin, settings):
    response = generate(client_for_user, tags=["été"], category="mode")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == ASSET_KEYS
    assert body["content"] == COMPLETION_TEXT
    assert body["type"] == "CAPTION" and body["tags"] == ["été"] and body["category"] == "mode"
    assert body["title"] == PROMPT
    assert body["metadata"] == {
        "ai": {"model": MODEL, "prompt": PROMPT, "prompt_tokens": 42, "completion_tokens": 17}
    }
    asset = ContentAsset.objects.get(pk=body["id"])
    assert asset.user == user and asset.metadata["ai"]["prompt_tokens"] == 42
    assert ai_generations_this_month(user=user) == 1

    (request,) = ai_standin.requests
    assert request["path"] == f"/openai/deployments/{DEPLOYMENT}/chat/completions"
    assert request["query"]["api-version"] == [settings.AZURE_OPENAI_API_VERSION]
    assert request["api_key"] == API_KEY
    messages = request["body"]["messages"]
    assert messages == [
        {"role": "system", "content": prompts.SYSTEM_PROMPTS["CAPTION"]},
        {"role": "user", "content": PROMPT},
    ]


def test_explicit_title_is_kept(client_for_user, ai_standin):
    response = generate(client_for_user, title="Mon titre")
    assert response.status_code == 201 and response.json()["title"] == "Mon titre"


@pytest.mark.parametrize("content_type", ContentType.values)
def test_each_type_sends_its_own_system_prompt(client_for_user, ai_standin, content_type):
    assert generate(client_for_user, type=content_type).status_code == 201
    system = ai_standin.requests[-1]["body"]["messages"][0]
    assert system == {"role": "system", "content": prompts.SYSTEM_PROMPTS[content_type]}


def test_prompts_are_distinct_and_the_caption_asks_for_emojis_and_hashtags():
    assert set(prompts.SYSTEM_PROMPTS) == set(ContentType.values)
    assert len(set(prompts.SYSTEM_PROMPTS.values())) == len(ContentType.values)
    caption = prompts.SYSTEM_PROMPTS["CAPTION"].lower()
    assert "emojis" in caption and "hashtags" in caption and "français" in caption


def test_a_500_then_success_is_retried(client_for_user, user, ai_standin):
    ai_standin.script(["500"])
    response = generate(client_for_user)
    assert response.status_code == 201, response.content
    assert ai_standin.count == 2
    assert ai_generations_this_month(user=user) == 1


def test_persistent_500_is_503_after_two_retries(client_for_user, user, ai_standin):
    ai_standin.default = "500"
    assert_error(generate(client_for_user), 503, "service_unavailable")
    assert ai_standin.count == 3
    assert_nothing_written(user)


def test_persistent_429_is_503_after_retries_that_honour_retry_after(
    client_for_user, user, ai_standin
):
    ai_standin.default = "429"
    ai_standin.retry_after = 1
    started = time.monotonic()
    assert_error(generate(client_for_user), 503, "service_unavailable")
    assert ai_standin.count == 3
    times = [r["at"] for r in ai_standin.requests]
    assert all(b - a >= 0.9 for a, b in itertools.pairwise(times)), times
    assert time.monotonic() - started < 5
    assert_nothing_written(user)


def test_a_retry_after_beyond_the_deadline_is_not_waited_for(client_for_user, user, ai_standin):
    ai_standin.default = "429"
    ai_standin.retry_after = 120
    started = time.monotonic()
    assert_error(generate(client_for_user), 503, "service_unavailable")
    assert time.monotonic() - started < 2
    assert ai_standin.count == 1
    assert_nothing_written(user)


def test_a_hanging_model_is_503_within_the_bounded_time(client_for_user, user, ai_standin):
    ai_standin.default = "hang"  # per-attempt timeout 1 s (fixture), 3 attempts
    started = time.monotonic()
    assert_error(generate(client_for_user), 503, "service_unavailable")
    elapsed = time.monotonic() - started
    assert ai_standin.count == 3
    assert 2.9 <= elapsed < 5, elapsed
    assert_nothing_written(user)


def test_the_overall_deadline_cuts_retries_short(client_for_user, user, ai_standin, settings):
    ai_standin.default = "hang"
    settings.AI_TOTAL_DEADLINE_SECONDS = 1.5
    started = time.monotonic()
    assert_error(generate(client_for_user), 503, "service_unavailable")
    elapsed = time.monotonic() - started
    assert elapsed < 2.2, elapsed
    assert ai_standin.count == 2  # 1 s, then the 0.5 s left
    assert_nothing_written(user)


def test_a_hang_then_success_is_retried(client_for_user, ai_standin):
    ai_standin.script(["hang"])
    assert generate(client_for_user).status_code == 201
    assert ai_standin.count == 2


@pytest.mark.parametrize(("key", "endpoint"), [("", "x"), ("x", ""), ("", "")])
def test_not_configured_is_503_without_a_call(
    client_for_user, user, ai_standin, settings, monkeypatch, key, endpoint
):
    settings.AZURE_OPENAI_API_KEY = key
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", key)
    if endpoint != "x":
        settings.AZURE_OPENAI_ENDPOINT = endpoint
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", endpoint)
    assert_error(generate(client_for_user), 503, "service_unavailable")
    assert ai_standin.count == 0
    assert_nothing_written(user)
    assert not AiUsage.objects.exists()


def test_a_wrong_key_is_503_without_retries_and_never_echoed(
    client_for_user, user, ai_standin, settings, monkeypatch
):
    settings.AZURE_OPENAI_API_KEY = "wrong-secret-key"
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "wrong-secret-key")
    response = generate(client_for_user)
    assert_error(response, 503, "service_unavailable")
    assert b"wrong-secret-key" not in response.content
    assert ai_standin.count == 1
    assert_nothing_written(user)


def test_an_unreachable_endpoint_is_503(client_for_user, user, ai_standin, settings, monkeypatch):
    from tests.servers import free_port

    url = f"http://127.0.0.1:{free_port()}"
    settings.AZURE_OPENAI_ENDPOINT = url
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", url)
    assert_error(generate(client_for_user), 503, "service_unavailable")
    assert_nothing_written(user)


def test_a_prompt_refused_by_the_content_filter_is_a_400(client_for_user, user, ai_standin):
    ai_standin.default = "content_filter"
    error = assert_error(generate(client_for_user), 400, "validation_error")
    assert "prompt" in error["fields"]
    assert ai_standin.count == 1
    assert_nothing_written(user)


def test_an_empty_completion_is_503(client_for_user, user, ai_standin):
    ai_standin.default = "empty"
    assert_error(generate(client_for_user), 503, "service_unavailable")
    assert_nothing_written(user)


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": ""},
        {"prompt": "   "},
        {"prompt": "p" * 2001},
        {"prompt": None},
        {"prompt": 5},
        {"type": "FOO"},
        {"type": None},
        {"title": "t" * 201},
        {"category": "c" * 101},
        {"tags": ["t"] * 21},
        {"tags": ["x" * 51]},
    ],
)
def test_generate_bounds_are_a_400_without_a_call(client_for_user, user, ai_standin, body):
    assert_error(generate(client_for_user, **body), 400, "validation_error")
    assert ai_standin.count == 0
    assert_nothing_written(user)


def test_prompt_of_2000_chars_is_accepted_and_the_title_derived(client_for_user, ai_standin):
    response = generate(client_for_user, prompt="mot " * 499 + "fin")
    assert response.status_code == 201, response.content
    title = response.json()["title"]
    assert len(title) <= 80 and title.endswith("…") and title.startswith("mot mot")


def test_title_from_prompt():
    assert title_from_prompt("  Une idée  \n de post ") == "Une idée"
    assert title_from_prompt("\n\nSecond line first") == "Second line first"
    long = title_from_prompt("abcdefghij " * 20)
    assert len(long) <= 80 and long.endswith("…") and not long.endswith(" …")
    assert len(title_from_prompt("x" * 500)) <= 80


def test_per_user_rate_limit_is_429_throttled_with_retry_after(
    client_for_user, make_user, auth_client, ai_standin, settings
):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "ai_generate_user": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    settings.AI_MONTHLY_QUOTA_FREE = -1
    assert generate(client_for_user).status_code == 201
    assert generate(client_for_user).status_code == 201
    response = generate(client_for_user)
    assert_error(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert ai_standin.count == 2
    # Another user has their own bucket.
    assert generate(auth_client(make_user())).status_code == 201
