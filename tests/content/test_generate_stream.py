"""POST /api/content/generate with ``Accept: text/event-stream``: the streamed path, in-process,
with the real openai client against the local Azure stand-in (docs/content.md, Streaming).

The same path through the real gunicorn server (chunks as they are written, a client hanging up,
other requests answered meanwhile) is in test_generate_server.py.
"""

from __future__ import annotations

import time

import pytest

from content import services
from content.models import AiBudgetMonth, AiUsage, ContentAsset, ContentType
from content.selectors import ai_generations_this_month, usage_month
from tests.conftest import assert_error
from tests.content.sse import parse_events, text_of
from tests.content.standin import COMPLETION_TEXT, MODEL
from tests.content.test_assets_api import ASSET_KEYS

pytestmark = pytest.mark.django_db

URL = "/api/content/generate"
PROMPT = "Annonce le lancement de ma collection d'été"
SSE = "text/event-stream"


def stream(client, accept: str = SSE, **body):
    return client.post(
        URL, {"type": "CAPTION", "prompt": PROMPT, **body}, format="json", HTTP_ACCEPT=accept
    )


def read(response) -> list[tuple[str, dict]]:
    assert response.status_code == 200, response.content
    assert response.streaming
    # The test client closes the answer once its content is read to the end.
    return parse_events(b"".join(response.streaming_content))


def assert_nothing_counted(user) -> None:
    assert not ContentAsset.objects.filter(user=user).exists()
    assert ai_generations_this_month(user=user) == 0


def test_stream_sends_deltas_then_the_saved_asset(client_for_user, user, ai_standin):
    response = stream(client_for_user, tags=["été"])
    assert response["Content-Type"] == "text/event-stream; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Accel-Buffering"] == "no"
    events = read(response)
    names = [name for name, _ in events]
    assert names == ["delta"] * (len(names) - 1) + ["done"]
    assert len(names) > 2  # the stand-in writes the text in several pieces
    assert text_of(events) == COMPLETION_TEXT
    asset = events[-1][1]
    assert set(asset) == ASSET_KEYS
    assert asset["content"] == COMPLETION_TEXT and asset["tags"] == ["été"]
    assert asset["metadata"] == {
        "ai": {"model": MODEL, "prompt": PROMPT, "prompt_tokens": 42, "completion_tokens": 17}
    }
    (saved,) = ContentAsset.objects.filter(user=user)
    assert str(saved.pk) == asset["id"] and saved.content == COMPLETION_TEXT
    assert ai_generations_this_month(user=user) == 1
    (request,) = ai_standin.requests
    assert request["body"]["stream"] is True
    assert request["body"]["stream_options"] == {"include_usage": True}


def test_done_event_is_the_json_answer(client_for_user, ai_standin):
    """The ``done`` event carries what the JSON path answers (the 201 body), field for field."""
    streamed = read(stream(client_for_user, title="Titre", category="mode"))[-1][1]
    answered = client_for_user.post(
        URL,
        {"type": "CAPTION", "prompt": PROMPT, "title": "Titre", "category": "mode"},
        format="json",
    )
    assert answered.status_code == 201
    plain = answered.json()
    for key in ("id", "created_at", "updated_at"):
        streamed.pop(key), plain.pop(key)
    assert streamed == plain


@pytest.mark.parametrize("accept", ["application/json", "*/*", "application/json, */*"])
def test_without_the_stream_header_the_answer_is_json(client_for_user, ai_standin, accept):
    response = stream(client_for_user, accept=accept)
    assert response.status_code == 201 and not response.streaming
    assert response["Content-Type"] == "application/json"
    assert "stream" not in ai_standin.requests[-1]["body"]


def test_an_unknown_accept_is_still_406(client_for_user, ai_standin):
    assert_error(stream(client_for_user, accept="text/html"), 406, "not_acceptable")
    assert ai_standin.count == 0


@pytest.mark.parametrize("body", [{"prompt": ""}, {"type": "FOO"}, {"tags": ["x" * 51]}])
def test_validation_errors_are_json_before_the_stream(client_for_user, user, ai_standin, body):
    response = stream(client_for_user, **body)
    assert not response.streaming and response["Content-Type"] == "application/json"
    assert_error(response, 400, "validation_error")
    assert ai_standin.count == 0
    assert_nothing_counted(user)


def test_quota_exceeded_is_json_before_the_stream(client_for_user, user, ai_standin, settings):
    settings.AI_MONTHLY_QUOTA_FREE = 1
    assert read(stream(client_for_user))[-1][0] == "done"
    response = stream(client_for_user)
    assert not response.streaming
    assert_error(response, 429, "quota_exceeded")
    assert ai_standin.count == 1


def test_rate_limit_is_json_before_the_stream(client_for_user, ai_standin, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "ai_generate_user": "1/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    assert read(stream(client_for_user))[-1][0] == "done"
    response = stream(client_for_user)
    assert not response.streaming
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1


def test_unauthenticated_is_json_401(api_client, ai_standin):
    response = stream(api_client)
    assert_error(response, 401, "not_authenticated")


def test_not_configured_is_json_503_before_the_stream(
    client_for_user, user, ai_standin, settings, monkeypatch
):
    settings.AZURE_OPENAI_API_KEY = ""
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "")
    response = stream(client_for_user)
    assert not response.streaming
    assert_error(response, 503, "service_unavailable")
    assert not AiUsage.objects.exists()


@pytest.mark.parametrize(
    ("mode", "code"),
    [
        ("500", "service_unavailable"),
        ("stream_cut", "service_unavailable"),
        ("empty", "service_unavailable"),
        ("content_filter", "validation_error"),
        ("stream_filtered", "validation_error"),
    ],
)
def test_a_failed_generation_ends_with_one_error_event_and_is_not_counted(
    client_for_user, user, ai_standin, mode, code
):
    ai_standin.default = mode
    events = read(stream(client_for_user))
    assert events[-1][0] == "error"
    assert [name for name, _ in events].count("error") == 1
    assert "done" not in [name for name, _ in events]
    error = events[-1][1]
    assert set(error) == {"error"} and error["error"]["code"] == code
    assert error["error"]["message"]
    assert_nothing_counted(user)
    assert AiUsage.objects.get(user=user).count == 0


def test_error_event_speaks_the_clients_language(client_for_user, ai_standin):
    ai_standin.default = "500"
    fr = read(stream(client_for_user))[-1][1]["error"]["message"]
    response = client_for_user.post(
        URL,
        {"type": "CAPTION", "prompt": PROMPT},
        format="json",
        HTTP_ACCEPT=SSE,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    en = read(response)[-1][1]["error"]["message"]
    assert fr != en and "indisponible" in fr


def test_opening_the_stream_is_retried_before_any_text(client_for_user, user, ai_standin):
    ai_standin.script(["500", "429"])
    ai_standin.retry_after = 0
    events = read(stream(client_for_user))
    assert events[-1][0] == "done" and text_of(events) == COMPLETION_TEXT
    assert ai_standin.count == 3
    assert ai_generations_this_month(user=user) == 1


def test_a_stream_past_the_overall_deadline_is_cut(client_for_user, user, ai_standin, settings):
    settings.AI_TOTAL_DEADLINE_SECONDS = 0.5
    ai_standin.delay = 1.6  # 8 pieces, 0.2 s apart
    events = read(stream(client_for_user))
    assert events[-1] == (
        "error",
        {"error": {"code": "service_unavailable", "message": events[-1][1]["error"]["message"]}},
    )
    assert 0 < len(events) - 1 < 8  # some text came, then the cut
    assert_nothing_counted(user)


# --- the client hangs up (the server closes the answer) -------------------------------------


def _events(user, **request):
    return services.content_generate_stream(
        user=user, request=services.GenerationRequest(type="CAPTION", prompt=PROMPT, **request)
    )


def test_a_client_leaving_mid_stream_still_gets_the_whole_answer_saved(user, ai_standin):
    """Azure bills the whole answer: the rest is read without the client and saved once."""
    events = _events(user)
    assert next(events) == ("delta", COMPLETION_TEXT[: len(COMPLETION_TEXT) // 8 + 1])
    events.close()
    (asset,) = ContentAsset.objects.filter(user=user)
    assert asset.content == COMPLETION_TEXT
    assert asset.metadata["ai"]["completion_tokens"] == 17
    assert events.disconnected and events.asset == asset
    assert ai_generations_this_month(user=user) == 1  # the slot stays spent
    assert ai_standin.streams_finished == 1
    events.close()  # a second close changes nothing
    assert ContentAsset.objects.filter(user=user).count() == 1


def test_a_client_leaving_during_the_done_event_keeps_one_asset(user, ai_standin):
    events = _events(user)
    kinds = []
    for kind, _value in events:
        kinds.append(kind)
        if kind == "done":
            break
    events.close()
    assert kinds[-1] == "done" and not events.disconnected
    assert ContentAsset.objects.filter(user=user).count() == 1
    assert ai_generations_this_month(user=user) == 1


def test_a_client_leaving_before_the_model_is_called_gives_the_slot_back(user, ai_standin):
    events = _events(user)
    assert ai_generations_this_month(user=user) == 1  # reserved before the first byte
    events.close()
    assert ai_standin.count == 0
    assert_nothing_counted(user)


def test_a_client_leaving_then_the_model_failing_gives_the_slot_back(user, ai_standin):
    ai_standin.default = "stream_cut"
    events = _events(user)
    assert next(events)[0] == "delta"
    events.close()
    assert_nothing_counted(user)


# --- a paid-for answer is never cut --------------------------------------------------------


@pytest.mark.parametrize("accept", ["application/json", SSE])
def test_an_answer_longer_than_the_content_bound_is_stored_whole(
    client_for_user, user, ai_standin, accept
):
    ai_standin.text = "Très long. " * 1900  # 20,900 characters, over CONTENT_MAX (20,000)
    response = stream(client_for_user, accept=accept)
    if accept == SSE:
        content = read(response)[-1][1]["content"]
    else:
        assert response.status_code == 201
        content = response.json()["content"]
    assert content == ai_standin.text.strip() and len(content) > 20_000
    assert ContentAsset.objects.get(user=user).content == content


def test_max_output_tokens_keeps_answers_far_below_the_content_bound():
    """1,500 tokens average ~4 characters each (~6,000): the bound is only a safety net."""
    from content.ai_client import MAX_OUTPUT_TOKENS
    from content.models import CONTENT_MAX

    assert MAX_OUTPUT_TOKENS * 4 * 2 < CONTENT_MAX


# --- the schema ------------------------------------------------------------------------------


def test_schema_documents_the_stream(client_for_user):
    import yaml

    response = client_for_user.get("/api/schema")
    schema = yaml.safe_load(response.content)
    operation = schema["paths"]["/api/content/generate"]["post"]
    assert "format" not in {p["name"] for p in operation.get("parameters", [])}
    responses = operation["responses"]
    assert list(responses["201"]["content"]) == ["application/json"]
    assert list(responses["200"]["content"]) == ["text/event-stream"]
    assert "event: done" in responses["200"]["description"].replace("`", "")
    assert "429" in responses and "400" in responses


@pytest.mark.parametrize("content_type", ContentType.values)
def test_each_type_streams_with_its_own_system_prompt(client_for_user, ai_standin, content_type):
    from content import prompts

    assert read(stream(client_for_user, type=content_type))[-1][0] == "done"
    system = ai_standin.requests[-1]["body"]["messages"][0]
    assert system == {"role": "system", "content": prompts.SYSTEM_PROMPTS[content_type]}


def test_the_format_query_parameter_is_not_an_override(client_for_user, ai_standin):
    """The format follows the Accept header only: ``?format=`` is ignored (DRF answered an
    unknown one 404, found by the contract fuzzer), and the schema does not offer it."""
    response = client_for_user.post(
        URL + "?format=sse", {"type": "CAPTION", "prompt": PROMPT}, format="json"
    )
    assert response.status_code == 201 and not response.streaming
    response = client_for_user.post(
        URL + "?format=AAA", {"type": "CAPTION", "prompt": PROMPT}, format="json"
    )
    assert response.status_code == 201


def test_a_stream_that_stops_writing_is_cut_at_the_overall_deadline(
    client_for_user, user, ai_standin, settings
):
    """Azure keeping the stream open without writing (comments only: no read timeout fires)
    cannot stretch a generation past AI_TOTAL_DEADLINE_SECONDS."""
    settings.AI_TOTAL_DEADLINE_SECONDS = 1.5
    settings.AI_REQUEST_TIMEOUT_SECONDS = 15
    ai_standin.default = "stream_stall"
    started = time.monotonic()
    events = read(stream(client_for_user))
    elapsed = time.monotonic() - started
    assert elapsed < 4, elapsed
    assert events[-1][0] == "error"
    assert events[-1][1]["error"]["code"] == "service_unavailable"
    assert "delta" in [name for name, _ in events]
    assert_nothing_counted(user)


@pytest.mark.parametrize("mode", ["stream_cut", "stream_filtered"])
def test_tokens_azure_wrote_before_a_failure_count_on_the_budget_not_the_quota(
    client_for_user, user, ai_standin, mode
):
    """Azure bills what it wrote before the stream failed: the month's spend records it (the
    budget guard must see it), while the creator gets their quota slot back."""
    ai_standin.default = mode
    assert read(stream(client_for_user))[-1][0] == "error"
    assert_nothing_counted(user)
    month = AiBudgetMonth.objects.get(month=usage_month())
    assert month.completion_tokens > 0 and month.prompt_tokens > 0
    assert month.in_flight == 0 and month.reserved_usd == 0
