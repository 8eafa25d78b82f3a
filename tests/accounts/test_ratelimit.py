"""Rate limits (docs/api.md, Rate limits): per client IP and per email, 429 throttled + Retry-After,
counted in the database cache and in Redis (``REDIS_URL``)."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from huntaze.throttles import rate_for, rate_parse
from tests.concurrency import run_concurrently
from tests.conftest import assert_error
from tests.factories import DEFAULT_PASSWORD
from tests.queue import run_jobs

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_each_cache")]

PASSWORD = "Tr1cky-Passphrase-42"


def avoid_window_edge(window: int) -> None:
    """Buckets are fixed windows: never start a burst in the last seconds of one."""
    left = window - time.time() % window
    if left < 3:
        time.sleep(left + 0.05)


def assert_throttled(r):
    assert_error(r, 429, "throttled")
    assert 1 <= int(r["Retry-After"]) <= 3600


def test_default_rates_match_the_spec():
    assert rate_for("signin_ip") == (10, 60)
    assert rate_for("signin_email_failures") == (5, 300)
    assert rate_for("signup_ip") == (10, 60)
    assert rate_for("invite_check_ip") == (20, 60)
    assert rate_for("refresh_ip") == (60, 60)
    assert rate_for("password_reset_ip") == (5, 60)
    assert rate_for("password_reset_email") == (3, 3600)


@pytest.mark.parametrize(
    "rate,expected",
    [
        ("5/5min", (5, 300)),
        ("10/m", (10, 60)),
        ("3/hour", (3, 3600)),
        ("1/2d", (1, 172800)),
        ("7/s", (7, 1)),
    ],
)
def test_rate_parse(rate, expected):
    assert rate_parse(rate) == expected


def test_rate_parse_rejects_garbage():
    with pytest.raises(ValueError):
        rate_parse("lots")


def signin(client, email="sam@example.test", password=DEFAULT_PASSWORD, **extra):
    return client.post(
        "/api/auth/signin", {"email": email, "password": password}, format="json", **extra
    )


def test_signin_is_limited_per_ip(api_client, make_user):
    make_user(email="sam@example.test")
    avoid_window_edge(60)
    for _ in range(10):
        assert signin(api_client).status_code == 200
    assert_throttled(signin(api_client))
    # Another client IP has its own bucket.
    assert signin(api_client, REMOTE_ADDR="10.9.9.9").status_code == 200


def test_signin_failures_are_limited_per_email(api_client, make_user):
    make_user(email="sam@example.test")
    avoid_window_edge(300)
    for i in range(5):
        r = signin(api_client, password="wrong-password", REMOTE_ADDR=f"10.1.0.{i}")
        assert_error(r, 401, "invalid_credentials")
    # Even the right password, from yet another IP, is refused now.
    assert_throttled(signin(api_client, REMOTE_ADDR="10.1.1.1"))
    # Other emails are not affected; unknown emails are counted the same way.
    make_user(email="other@example.test")
    assert signin(api_client, email="other@example.test", REMOTE_ADDR="10.1.1.2").status_code == 200


def test_successful_signins_do_not_count_as_failures(api_client, make_user):
    make_user(email="sam@example.test")
    for i in range(7):
        assert signin(api_client, REMOTE_ADDR=f"10.2.0.{i}").status_code == 200


def test_unknown_email_failures_are_limited_too(api_client):
    avoid_window_edge(300)
    for i in range(5):
        assert_error(
            signin(api_client, email="ghost@example.test", REMOTE_ADDR=f"10.3.0.{i}"),
            401,
            "invalid_credentials",
        )
    assert_throttled(signin(api_client, email="ghost@example.test", REMOTE_ADDR="10.3.1.1"))


def test_signup_is_limited_per_ip(api_client):
    avoid_window_edge(60)
    body = {"email": "x@example.test", "password": PASSWORD, "name": "x", "invite_code": "NOPE"}
    for _ in range(10):
        assert_error(
            api_client.post("/api/auth/signup", body, format="json"), 403, "invite_required"
        )
    assert_throttled(api_client.post("/api/auth/signup", body, format="json"))


def test_refresh_is_limited_per_ip(api_client, settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], refresh_ip="3/hour")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    for _ in range(3):
        assert_error(
            api_client.post("/api/auth/refresh", {"refresh": "x"}, format="json"),
            401,
            "token_invalid",
        )
    assert_throttled(api_client.post("/api/auth/refresh", {"refresh": "x"}, format="json"))


def test_password_reset_is_limited_per_ip(api_client):
    avoid_window_edge(60)
    for i in range(5):
        r = api_client.post(
            "/api/auth/password/reset", {"email": f"p{i}@example.test"}, format="json"
        )
        assert r.status_code == 202
    assert_throttled(
        api_client.post("/api/auth/password/reset", {"email": "p9@example.test"}, format="json")
    )


def test_password_reset_is_limited_per_email(api_client, make_user):
    from django.core import mail

    make_user(email="sam@example.test")
    avoid_window_edge(3600)
    for i in range(3):
        r = api_client.post(
            "/api/auth/password/reset",
            {"email": "Sam@example.test"},
            format="json",
            REMOTE_ADDR=f"10.4.0.{i}",
        )
        assert r.status_code == 202
    r = api_client.post(
        "/api/auth/password/reset",
        {"email": "sam@example.test"},
        format="json",
        REMOTE_ADDR="10.4.1.1",
    )
    assert_throttled(r)
    run_jobs()
    assert len(mail.outbox) == 3


@pytest.mark.parametrize("proxies", [0, 1])
def test_forged_x_forwarded_for_does_not_reset_the_limit(api_client, make_user, settings, proxies):
    settings.TRUSTED_PROXY_COUNT = proxies
    make_user(email="sam@example.test")
    avoid_window_edge(60)
    for i in range(10):
        # The client forges a new address each time; with one trusted proxy the proxy appends
        # the real client address (203.0.113.7) on the right.
        xff = f"198.51.100.{i}" if proxies == 0 else f"198.51.100.{i}, 203.0.113.7"
        assert (
            signin(api_client, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=xff).status_code == 200
        )
    xff = "198.51.100.99" if proxies == 0 else "198.51.100.99, 203.0.113.7"
    assert_throttled(signin(api_client, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=xff))
    if proxies == 1:
        # Another real client behind the same load balancer has its own bucket.
        r = signin(api_client, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.8")
        assert r.status_code == 200


def test_admin_login_is_rate_limited(make_admin):
    make_admin(email="boss@example.test")
    client = Client()
    avoid_window_edge(60)
    for _ in range(10):
        r = client.post("/admin/login/", {"username": "boss@example.test", "password": "wrong"})
        assert r.status_code == 200  # the form again, with an error
    r = client.post(
        "/admin/login/", {"username": "boss@example.test", "password": DEFAULT_PASSWORD}
    )
    assert r.status_code == 429
    assert int(r["Retry-After"]) >= 1
    # GET (the form) is not counted or refused.
    assert client.get("/admin/login/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_parallel_requests_cannot_overrun_a_limit():
    """Counts are shared and atomic: of 20 parallel sign-ups from one IP, exactly 10 pass."""
    from rest_framework.test import APIClient

    avoid_window_edge(60)
    body = {"email": "x@example.test", "password": PASSWORD, "name": "x", "invite_code": "NOPE"}

    def signup(client: APIClient) -> int:
        return client.post("/api/auth/signup", body, format="json").status_code

    statuses = run_concurrently(signup, args=[(APIClient(),) for _ in range(20)])
    assert sorted(statuses) == [403] * 10 + [429] * 10, statuses
