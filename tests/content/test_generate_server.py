"""AI generation through the real server (the Procfile's gunicorn line: gevent workers, the
database pool) with a slow local Azure stand-in (docs/content.md, Streaming; docs/benchmark.md).

- other requests are answered while generations wait on the model;
- a stream arrives chunk by chunk, its ``done`` asset saved once;
- a client that hangs up mid-stream still gets the whole answer saved, once;
- quota and validation errors are JSON before the first byte.

A restart with generations in flight: tests/robustness/test_reload_deploy.py.
"""

from __future__ import annotations

import http.client
import json
import threading
import time

import pytest
from django.conf import settings as django_settings
from django.db import connection

from accounts.services.tokens import access_token_issue
from content.models import AiUsage, ContentAsset
from content.selectors import usage_month
from tests import factories
from tests.content.sse import parse_events, text_of
from tests.content.standin import API_KEY, DEPLOYMENT, OpenAIStandIn
from tests.servers import Gunicorn, production_env

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ANSWER = "Une réponse écrite morceau par morceau, comme le modèle l'écrit. " * 3


def _database_url() -> str:
    from tests.ops.conftest import database_url

    return database_url(connection.settings_dict["NAME"])


@pytest.fixture(scope="module")
def model():
    server = OpenAIStandIn().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, model):
    with django_db_blocker.unblock():
        url = _database_url()
    env = production_env(
        url,
        JWT_SIGNING_KEY=django_settings.JWT_SIGNING_KEY,
        AZURE_OPENAI_ENDPOINT=model.url,
        AZURE_OPENAI_API_KEY=API_KEY,
        AZURE_OPENAI_DEPLOYMENT=DEPLOYMENT,
        AI_REQUEST_TIMEOUT_SECONDS="10",
    )
    gunicorn = Gunicorn(env, workers=2)
    yield gunicorn
    gunicorn.stop()


@pytest.fixture
def slow_model(model):
    """The stand-in, reset: ``ANSWER`` in 8 pieces over ``delay`` seconds."""
    model.default, model.delay, model.text = "success", 2.0, ANSWER
    model.stream_pieces, model.first_token_delay = 8, None
    model.streams_finished = model.streams_abandoned = 0
    model.requests.clear()
    yield model
    model.delay = 0.0


def _token(user) -> str:
    return access_token_issue(user=user)


def _post(server, token: str, body: dict, accept: str) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request(
        "POST",
        "/api/content/generate",
        body=json.dumps(body),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": accept,
        },
    )
    return conn.getresponse()


def _generate(server, token: str, *, streamed: bool, body: dict | None = None):
    body = body or {"type": "CAPTION", "prompt": "Annonce la collection d'été"}
    response = _post(server, token, body, "text/event-stream" if streamed else "application/json")
    return response, response.read()


def _profile(server, token: str) -> tuple[int, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.request("GET", "/api/users/profile", headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, time.monotonic() - started


def test_other_requests_are_answered_while_generations_wait(server, slow_model):
    """Four creators wait on 3-second answers (two streamed, two JSON) on a 2-worker server:
    another creator's profile reads go on, each well under a second."""
    slow_model.delay = 3.0
    generators = [factories.make_user() for _ in range(4)]
    reader = factories.make_user()
    tokens = [_token(u) for u in generators]
    reader_token = _token(reader)
    results: list[tuple[int, bytes, float]] = []

    def generate(i: int) -> None:
        started = time.monotonic()
        response, raw = _generate(server, tokens[i], streamed=i % 2 == 0)
        results.append((response.status, raw, time.monotonic() - started))

    threads = [threading.Thread(target=generate, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # the four are waiting on the model
    reads = []
    while any(t.is_alive() for t in threads) and len(reads) < 400:
        reads.append(_profile(server, reader_token))
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(status for status, _, _ in results) == [200, 200, 201, 201]
    for status, raw, elapsed in results:
        assert elapsed >= 2.9
        if status == 200:
            assert parse_events(raw)[-1][0] == "done"
    assert len(reads) >= 10, reads
    assert all(status == 200 for status, _ in reads)
    assert max(seconds for _, seconds in reads) < 1.0, max(seconds for _, seconds in reads)
    assert ContentAsset.objects.filter(user__in=generators).count() == 4


def test_a_stream_arrives_as_the_model_writes_and_its_asset_is_saved_once(server, slow_model):
    user = factories.make_user()
    started = time.monotonic()
    response = _post(
        server, _token(user), {"type": "CAPTION", "prompt": "Été"}, "text/event-stream"
    )
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/event-stream; charset=utf-8"
    assert response.getheader("Cache-Control") == "no-store"
    assert response.getheader("X-Accel-Buffering") == "no"
    raw, arrivals = b"", []
    while chunk := response.read1():
        raw += chunk
        arrivals.append((time.monotonic() - started, chunk.count(b"event: delta")))
    events = parse_events(raw)
    first = next(at for at, deltas in arrivals if deltas)
    last = max(at for at, deltas in arrivals if deltas)
    assert first < 1.0, arrivals  # the model's first piece comes after 0.25 s
    assert last - first > 1.0, arrivals  # the pieces came as written, not all at the end
    assert sum(deltas for _, deltas in arrivals) == 8
    assert text_of(events) == ANSWER
    name, asset = events[-1]
    assert name == "done" and asset["content"] == ANSWER.strip()
    assert [
        str(pk) for pk in ContentAsset.objects.filter(user=user).values_list("id", flat=True)
    ] == [asset["id"]]
    assert AiUsage.objects.get(user=user, month=usage_month()).count == 1


def test_a_client_hanging_up_mid_stream_still_gets_the_answer_saved_once(server, slow_model):
    user = factories.make_user()
    response = _post(
        server, _token(user), {"type": "CAPTION", "prompt": "Été"}, "text/event-stream"
    )
    raw = b""
    while b"event: delta" not in raw:
        raw += response.read1()
    response.close()  # hang up after the first piece
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not ContentAsset.objects.filter(user=user).exists():
        time.sleep(0.2)
    (asset,) = ContentAsset.objects.filter(user=user)
    assert asset.content == ANSWER.strip()  # the whole paid-for answer, not the first piece
    assert asset.metadata["ai"]["completion_tokens"] == 17
    assert AiUsage.objects.get(user=user, month=usage_month()).count == 1
    assert slow_model.streams_finished == 1 and slow_model.streams_abandoned == 0
    time.sleep(0.5)
    assert ContentAsset.objects.filter(user=user).count() == 1


@pytest.mark.parametrize("streamed", [True, False])
def test_quota_and_validation_errors_come_before_the_first_byte(server, slow_model, streamed):
    user = factories.make_user()  # FREE: 5 a month
    AiUsage.objects.create(user=user, month=usage_month(), count=5)
    response, raw = _generate(server, _token(user), streamed=streamed)
    assert response.status == 429
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(raw)["error"]["code"] == "quota_exceeded"
    response, raw = _generate(
        server, _token(factories.make_user()), streamed=streamed, body={"type": "CAPTION"}
    )
    assert response.status == 400 and json.loads(raw)["error"]["code"] == "validation_error"
    assert response.getheader("Content-Type") == "application/json"
    assert slow_model.requests == []
