"""runtime_secret(): Stripe/Azure keys from Secrets Manager through the TTL cache (docs/configuration.md, Secrets)."""

from __future__ import annotations

import logging
import time

import pytest

from huntaze.secrets import runtime_secret
from tests.concurrency import run_concurrently
from tests.secrets.conftest import assert_not_logged

STRIPE = {
    "STRIPE_SECRET_KEY": "sk_test_fromAwsSecret0001",
    "STRIPE_WEBHOOK_SECRET": "whsec_fromAwsSecret0001",
    "STRIPE_PRICE_PRO_MONTHLY": "price_pro_monthly",
}
AZURE = {
    "AZURE_OPENAI_API_KEY": "0123456789abcdef0123456789abcdef",
    "AZURE_OPENAI_ENDPOINT": "https://huntaze.openai.azure.com",
    "AZURE_OPENAI_DEPLOYMENT": "gpt-4o-beta",
}
ALL_VALUES = [*STRIPE.values(), AZURE["AZURE_OPENAI_API_KEY"]]


@pytest.fixture(autouse=True)
def _capture(caplog):
    caplog.set_level(logging.INFO, logger="huntaze")


def test_env_backend_returns_the_setting(settings):
    settings.SECRETS_BACKEND = "env"
    settings.STRIPE_SECRET_KEY = "sk_test_fromTheEnvironment01"
    settings.AZURE_OPENAI_API_KEY = ""
    assert runtime_secret("STRIPE_SECRET_KEY") == "sk_test_fromTheEnvironment01"
    assert runtime_secret("AZURE_OPENAI_API_KEY") == ""


def test_values_come_from_their_secrets_and_each_fetch_is_audited(aws, settings, caplog):
    settings.STRIPE_SECRET_KEY = "sk_test_environmentValue01"
    aws.put("huntaze/stripe", STRIPE)
    aws.put("huntaze/azure", AZURE)
    aws.count_calls()

    assert runtime_secret("STRIPE_SECRET_KEY") == STRIPE["STRIPE_SECRET_KEY"]
    assert runtime_secret("STRIPE_WEBHOOK_SECRET") == STRIPE["STRIPE_WEBHOOK_SECRET"]
    assert runtime_secret("STRIPE_PRICE_PRO_MONTHLY") == "price_pro_monthly"
    assert runtime_secret("AZURE_OPENAI_API_KEY") == AZURE["AZURE_OPENAI_API_KEY"]
    assert runtime_secret("AZURE_OPENAI_DEPLOYMENT") == "gpt-4o-beta"
    assert aws.calls == 2  # one per secret, then the cache

    audits = [r for r in caplog.records if getattr(r, "event", "") == "secret_fetch"]
    assert [(r.secret_id, r.outcome) for r in audits] == [
        ("huntaze/stripe", "ok"),
        ("huntaze/azure", "ok"),
    ]
    assert all(r.version_id for r in audits)
    assert_not_logged(caplog, *ALL_VALUES)


def test_secret_ids_are_configurable(aws, settings):
    settings.SECRETS_STRIPE_ID = "prod/billing/stripe"
    aws.put("prod/billing/stripe", STRIPE)
    assert runtime_secret("STRIPE_SECRET_KEY") == STRIPE["STRIPE_SECRET_KEY"]


def test_rotated_value_is_used_after_the_ttl_without_restart(aws, settings):
    settings.SECRETS_CACHE_SECONDS = 1
    aws.put("huntaze/stripe", STRIPE)
    aws.count_calls()
    assert runtime_secret("STRIPE_SECRET_KEY") == STRIPE["STRIPE_SECRET_KEY"]

    aws.put("huntaze/stripe", {**STRIPE, "STRIPE_SECRET_KEY": "sk_test_rotatedValue0002"})
    assert runtime_secret("STRIPE_SECRET_KEY") == STRIPE["STRIPE_SECRET_KEY"]  # still cached
    assert aws.calls == 1

    time.sleep(1.2)
    assert runtime_secret("STRIPE_SECRET_KEY") == "sk_test_rotatedValue0002"
    assert runtime_secret("STRIPE_WEBHOOK_SECRET") == STRIPE["STRIPE_WEBHOOK_SECRET"]
    assert aws.calls == 2


def _read_concurrently(n: int) -> list[str]:
    return run_concurrently(runtime_secret, n, args=[("STRIPE_SECRET_KEY",)] * n)


def test_ten_concurrent_reads_of_a_cold_secret_make_one_call(aws):
    aws.put("huntaze/stripe", STRIPE)
    aws.count_calls()
    aws.call_delay = 0.3  # the first fetch is slow: the other nine arrive while it runs

    results = _read_concurrently(10)

    assert results == [STRIPE["STRIPE_SECRET_KEY"]] * 10
    assert aws.calls == 1


def test_ten_concurrent_reads_of_an_expired_secret_make_one_call(aws, settings):
    settings.SECRETS_CACHE_SECONDS = 1
    aws.put("huntaze/stripe", STRIPE)
    aws.count_calls()
    runtime_secret("STRIPE_SECRET_KEY")
    aws.put("huntaze/stripe", {**STRIPE, "STRIPE_SECRET_KEY": "sk_test_rotatedValue0003"})
    time.sleep(1.2)
    aws.call_delay = 0.3

    results = _read_concurrently(10)

    assert results == ["sk_test_rotatedValue0003"] * 10
    assert aws.calls == 2


def test_failed_refresh_keeps_the_last_good_value_with_a_warning(own_aws, settings, caplog):
    settings.SECRETS_CACHE_SECONDS = 1
    settings.STRIPE_SECRET_KEY = ""
    own_aws.put("huntaze/stripe", STRIPE)
    own_aws.count_calls()
    assert runtime_secret("STRIPE_SECRET_KEY") == STRIPE["STRIPE_SECRET_KEY"]

    own_aws.server.stop()
    time.sleep(1.2)
    assert runtime_secret("STRIPE_SECRET_KEY") == STRIPE["STRIPE_SECRET_KEY"]
    assert runtime_secret("STRIPE_WEBHOOK_SECRET") == STRIPE["STRIPE_WEBHOOK_SECRET"]
    assert own_aws.calls == 2  # the failure is not retried on every read

    stale = [r for r in caplog.records if getattr(r, "event", "") == "secret_stale"]
    assert len(stale) == 1
    assert stale[0].levelno == logging.WARNING
    assert "huntaze/stripe" in stale[0].getMessage()
    failed = [
        r for r in caplog.records if getattr(r, "event", "") == "secret_fetch" and r.outcome != "ok"
    ]
    assert len(failed) == 1 and failed[0].outcome == "EndpointConnectionError"
    assert_not_logged(caplog, *ALL_VALUES)


def test_unreachable_secret_falls_back_to_the_environment(aws, settings, caplog):
    settings.STRIPE_SECRET_KEY = "sk_test_environmentValue02"
    settings.STRIPE_WEBHOOK_SECRET = ""
    # no huntaze/stripe secret in the stand-in: ResourceNotFoundException
    assert runtime_secret("STRIPE_SECRET_KEY") == "sk_test_environmentValue02"
    assert runtime_secret("STRIPE_WEBHOOK_SECRET") == ""  # nowhere: callers answer 503

    fallback = [r for r in caplog.records if getattr(r, "event", "") == "secret_fallback"]
    assert len(fallback) == 1 and fallback[0].outcome == "ResourceNotFoundException"
    assert_not_logged(caplog, "sk_test_environmentValue02")


def test_secret_without_an_expected_key_is_an_error_naming_the_key(aws, settings, caplog):
    settings.STRIPE_WEBHOOK_SECRET = ""
    partial = {k: v for k, v in STRIPE.items() if k != "STRIPE_WEBHOOK_SECRET"}
    aws.put("huntaze/stripe", partial)

    assert runtime_secret("STRIPE_WEBHOOK_SECRET") == ""
    assert runtime_secret("STRIPE_SECRET_KEY") == STRIPE["STRIPE_SECRET_KEY"]

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1  # once per fetch, not once per read
    assert "STRIPE_WEBHOOK_SECRET" in errors[0].getMessage()
    assert "huntaze/stripe" in errors[0].getMessage()
    assert errors[0].missing_keys == ["STRIPE_WEBHOOK_SECRET"]
    assert_not_logged(caplog, *ALL_VALUES)


def test_missing_key_falls_back_to_the_environment_variable(aws, settings):
    settings.AZURE_OPENAI_ENDPOINT = "https://fallback.openai.azure.com"
    aws.put("huntaze/azure", {"AZURE_OPENAI_API_KEY": AZURE["AZURE_OPENAI_API_KEY"]})
    assert runtime_secret("AZURE_OPENAI_ENDPOINT") == "https://fallback.openai.azure.com"
    assert runtime_secret("AZURE_OPENAI_API_KEY") == AZURE["AZURE_OPENAI_API_KEY"]


def test_a_secret_that_is_not_json_falls_back(aws, settings, caplog):
    settings.STRIPE_SECRET_KEY = ""
    aws.put("huntaze/stripe", "sk_test_plainStringSecret01")
    assert runtime_secret("STRIPE_SECRET_KEY") == ""
    assert_not_logged(caplog, "sk_test_plainStringSecret01")
