"""Fault injection, all on loopback and bounded in time (docs/api.md: Content, Billing, Health; docs/robustness.md).

Faults the feature suites already inject (not repeated here; docs/robustness.md lists them):
Stripe answering 500 / hanging / losing a response (tests/billing/test_checkout.py,
test_portal.py), the AI model answering 500 / 429 / hanging / failing and the quota not consumed
(tests/content/test_generate.py, test_quota.py), Secrets Manager failing a refresh
(tests/secrets/test_runtime_cache.py), /api/health with the database stopped
(tests/foundation/test_health_outage.py).
"""

from __future__ import annotations

import json
import threading
import time
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

import pytest

from content.models import ContentAsset
from content.selectors import ai_generations_this_month
from tests import factories
from tests.billing import events
from tests.conftest import assert_error
from tests.robustness.conftest import report
from tests.servers import EmbeddedPostgres, Gunicorn, manage, migrate, production_env

CHECKOUT = "/api/billing/checkout"


def _get(url: str, token: str) -> tuple[int, dict, float]:
    started = time.monotonic()
    try:
        with urlopen(Request(url, headers={"Authorization": f"Bearer {token}"}), timeout=30) as r:
            status, body = r.status, r.read()
    except HTTPError as error:
        status, body = error.code, error.read()
    except URLError as error:  # the server itself must never drop a connection
        return -1, {"transport": str(error)}, time.monotonic() - started
    return status, json.loads(body or b"{}"), time.monotonic() - started


def _create_user_and_token(env: dict[str, str]) -> str:
    """A creator with one asset in the server's database; its access token, signed with the
    server's key (the same code path as sign-in)."""
    code = (
        "from accounts.models import User; from accounts.services.tokens import access_token_issue;"
        "from content.models import ContentAsset;"
        "u = User.objects.create_user(email='outage@example.test', password='Corr3ct-Horse-1');"
        "ContentAsset.objects.create(user=u, title='t', content='c', type='POST');"
        "print(access_token_issue(user=u))"
    )
    done = manage("shell", "-c", code, env=env, check=True)
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_postgres_stopped_and_restarted_under_a_stream_of_requests():
    """Four clients call GET /api/content (authentication + query) without pause while
    PostgreSQL stops for ~3 s and comes back: every answer is a 200 or a 503 in the error shape
    within 5 s (the pool waits 2 s for a connection), never a 500 or a dropped connection, every
    answer given while the database is down is a 503, and the same gunicorn (the Procfile's:
    gevent workers, the database pool) serves 200s again."""
    pg = EmbeddedPostgres("faults")
    server = None
    try:
        env = production_env(pg.start())
        migrate(env)
        token = _create_user_and_token(env)
        server = Gunicorn(env, workers=2)
        pid = server.proc.pid
        url = server.base + "/api/content"
        assert _get(url, token)[0] == 200

        results: list[tuple[float, int, dict, float]] = []
        lock = threading.Lock()
        stop = threading.Event()

        def client() -> None:
            while not stop.is_set():
                started = time.monotonic()
                status, body, elapsed = _get(url, token)
                with lock:
                    results.append((started, status, body, elapsed))

        threads = [threading.Thread(target=client) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1)
            pg.stop()
            stopped_at = time.monotonic()
            time.sleep(3)
            pg.restart()
            restarted_at = time.monotonic()
            deadline = restarted_at + 20
            while time.monotonic() < deadline:
                with lock:
                    recent = [r for r in results if r[0] > restarted_at and r[1] == 200]
                if len(recent) >= 8:
                    break
                time.sleep(0.2)
            recovered_at = time.monotonic()
            time.sleep(1)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=40)

        statuses = {r[1] for r in results}
        assert statuses <= {200, 503}, sorted(statuses)
        assert max(r[3] for r in results) < 5, max(r[3] for r in results)
        # Every answer given while the database was down is a 503. (A request waiting for a
        # pooled connection when PostgreSQL comes back is served: it may answer 200 after the
        # restart, so answers are placed by when they were given, not when they were asked.)
        during = [r for r in results if stopped_at + 0.5 < r[0] + r[3] < restarted_at - 0.1]
        assert during and all(r[1] == 503 for r in during), {r[1] for r in during}
        for _, status, body, _ in results:
            if status == 503:
                assert body["error"]["code"] == "service_unavailable"
                assert "postgres" not in json.dumps(body).lower()
        assert recovered_at < deadline, "no 200 within 20 s of the restart"
        tail = [r for r in results if r[0] > recovered_at]
        assert tail and all(r[1] == 200 for r in tail)
        first_good = min(r[0] + r[3] for r in results if r[0] > restarted_at and r[1] == 200)
        report(
            "postgresql stopped 3 s under load",
            answers_503=sum(r[1] == 503 for r in results),
            slowest_503_s=max(r[3] for r in results if r[1] == 503),
            median_503_s=sorted(r[3] for r in results if r[1] == 503)[
                sum(r[1] == 503 for r in results) // 2
            ],
            first_200_after_restart_s=first_good - restarted_at,
        )
        assert server.proc.poll() is None and server.proc.pid == pid  # not restarted
    finally:
        if server:
            server.stop()
        pg.destroy()


# --- Stripe answering 429 (rate limited): 503, then a retry makes one customer ---------------


@pytest.mark.django_db
def test_stripe_rate_limited_is_503_and_a_retry_makes_one_customer(stripe_standin, settings):
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    user = factories.make_user()
    client = factories.auth_client(user)
    stripe_standin.fail_status = 429
    started = time.monotonic()
    assert_error(
        client.post(CHECKOUT, {"plan": "PRO", "interval": "month"}, format="json"),
        503,
        "service_unavailable",
    )
    assert time.monotonic() - started < 10
    user.refresh_from_db()
    assert user.stripe_customer_id is None
    assert stripe_standin.customers == {}

    stripe_standin.fail_status = None
    for _ in range(2):  # the user clicks again, twice
        response = client.post(CHECKOUT, {"plan": "PRO", "interval": "month"}, format="json")
        assert response.status_code == 200, response.content
    assert len(stripe_standin.customers) == 1
    user.refresh_from_db()
    assert user.stripe_customer_id == next(iter(stripe_standin.customers))


# --- the AI model rate limited (429) then back: one asset, one generation counted ------------


@pytest.mark.django_db
def test_ai_rate_limited_then_back_counts_one_generation(ai_standin, settings):
    settings.AI_MONTHLY_QUOTA_FREE = 5
    user = factories.make_user()
    client = factories.auth_client(user)
    ai_standin.default = "429"
    ai_standin.retry_after = 0
    body = {"type": "CAPTION", "prompt": "Summer collection"}
    started = time.monotonic()
    assert_error(
        client.post("/api/content/generate", body, format="json"), 503, "service_unavailable"
    )
    assert time.monotonic() - started < settings.AI_TOTAL_DEADLINE_SECONDS
    assert ContentAsset.objects.filter(user=user).count() == 0
    assert ai_generations_this_month(user=user) == 0

    ai_standin.default = "success"
    assert client.post("/api/content/generate", body, format="json").status_code == 201
    assert ContentAsset.objects.filter(user=user).count() == 1
    assert ai_generations_this_month(user=user) == 1


# --- Secrets Manager unreachable after start-up: a checkout still works ----------------------


@pytest.mark.django_db
def test_checkout_keeps_working_when_secrets_manager_goes_away(
    stripe_standin, settings, monkeypatch
):
    """End to end through billing: the Stripe key and prices live only in Secrets Manager (the
    settings are empty, so no environment fallback can hide a failure); moto stops; the cached
    values keep serving checkouts after the cache's TTL has passed."""
    from huntaze import secrets
    from tests.secrets.conftest import Aws, MotoServer, _aws_env

    moto = MotoServer()
    try:
        _aws_env(monkeypatch, moto.url)
        settings.SECRETS_BACKEND = "aws"
        settings.AWS_REGION = "us-east-1"
        settings.SECRETS_CACHE_SECONDS = 1
        secrets.secrets_cache_clear()
        aws = Aws(moto)
        aws.put(
            "huntaze/stripe",
            {
                "STRIPE_SECRET_KEY": stripe_standin.api_key,
                "STRIPE_WEBHOOK_SECRET": events.WEBHOOK_SECRET,
                **events.PRICES,
            },
        )
        settings.STRIPE_SECRET_KEY = ""
        settings.STRIPE_WEBHOOK_SECRET = ""
        for name in events.PRICES:
            setattr(settings, name, "")

        first = factories.auth_client(factories.make_user())
        assert (
            first.post(CHECKOUT, {"plan": "PRO", "interval": "month"}, format="json").status_code
            == 200
        )

        moto.stop()
        time.sleep(1.2)  # past the TTL: the next read tries AWS, fails, keeps the cached values
        second = factories.auth_client(factories.make_user())
        started = time.monotonic()
        response = second.post(CHECKOUT, {"plan": "ENTERPRISE", "interval": "year"}, format="json")
        assert response.status_code == 200, response.content
        assert time.monotonic() - started < 30
        assert len(stripe_standin.customers) == 2
        session = list(stripe_standin.checkout_sessions.values())[-1]
        assert session["_line_items"][0]["price"] == events.PRICES["STRIPE_PRICE_ENTERPRISE_YEARLY"]
    finally:
        secrets.secrets_cache_clear()
        moto.stop()
