"""manage.py check_secrets: ok or what is missing, exit 1 when required, never a value."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.management import CommandError, call_command

from tests.secrets.conftest import assert_not_logged
from tests.secrets.test_runtime_cache import AZURE, STRIPE

DB_URL = "postgres://huntaze:Db-Passw0rd-Very-Secret@db.internal:5432/huntaze"
VALUES = [*STRIPE.values(), *AZURE.values(), DB_URL, "Db-Passw0rd-Very-Secret"]


def _run(*args: str) -> tuple[str, int]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("check_secrets", *args, stdout=out)
        return out.getvalue(), 0
    except CommandError as exc:
        return out.getvalue() + str(exc), exc.returncode


def _clean(*texts: str) -> None:
    for text in texts:
        for value in VALUES:
            assert value not in text


@pytest.fixture(autouse=True)
def _env_values(settings, caplog):
    caplog.set_level(logging.INFO)
    for name in [*STRIPE, *AZURE]:
        setattr(settings, name, "")


def test_everything_in_aws_is_ok_and_no_value_is_printed(aws, capsys, caplog):
    aws.put("huntaze/database", {"DATABASE_URL": DB_URL})
    aws.put("huntaze/stripe", STRIPE)
    aws.put("huntaze/azure", AZURE)

    out, code = _run()

    assert code == 0
    assert "database (huntaze/database): fetch ok" in out
    assert "DATABASE_URL: ok (secret)" in out
    assert "STRIPE_SECRET_KEY: ok (secret)" in out
    assert "AZURE_OPENAI_API_KEY: ok (secret)" in out
    assert "STRIPE_PRICE_PRO_YEARLY: not set (optional)" in out
    assert out.rstrip().endswith("result: ok")
    captured = capsys.readouterr()
    _clean(out, captured.out, captured.err)
    assert_not_logged(caplog, *VALUES)


def test_missing_stripe_and_azure_are_reported_as_features_not_failures(aws, settings, capsys):
    aws.put("huntaze/database", {"DATABASE_URL": DB_URL})
    settings.AZURE_OPENAI_API_KEY = AZURE["AZURE_OPENAI_API_KEY"]  # environment fallback

    out, code = _run()

    assert code == 0
    assert "stripe (huntaze/stripe): fetch failed: ResourceNotFoundException" in out
    assert "STRIPE_SECRET_KEY: MISSING (billing answers 503)" in out
    assert "AZURE_OPENAI_API_KEY: ok (environment)" in out
    assert "AZURE_OPENAI_ENDPOINT: MISSING (AI generation answers 503)" in out
    _clean(out, *capsys.readouterr())

    out, code = _run("--strict")
    assert code == 1
    assert "missing required secrets: stripe, azure" in out


def test_missing_database_exits_1_naming_what_is_missing(aws, monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    aws.put("huntaze/database", {"username": "huntaze", "password": "Db-Passw0rd-Very-Secret"})

    out, code = _run()

    assert code == 1
    assert "DATABASE_URL: MISSING (the secret has no DATABASE_URL (or host, dbname))" in out
    assert "missing required secrets: database" in out
    _clean(out, *capsys.readouterr())


def test_database_from_the_environment_when_the_secret_is_missing(aws, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", DB_URL)
    out, code = _run()
    assert code == 0
    assert "database (huntaze/database): fetch failed: ResourceNotFoundException" in out
    assert "DATABASE_URL: ok (environment)" in out
    _clean(out)


def test_json_report(aws):
    aws.put("huntaze/database", {"DATABASE_URL": DB_URL})
    aws.put("huntaze/stripe", STRIPE)

    out, code = _run("--json")

    report = json.loads(out)
    assert code == 0 and report["ok"] is True and report["backend"] == "aws"
    by_name = {s["name"]: s for s in report["secrets"]}
    assert by_name["stripe"]["ok"] is True
    assert by_name["azure"]["ok"] is False and by_name["azure"]["required"] is False
    _clean(out)


def test_env_backend_does_not_call_aws(settings, monkeypatch):
    settings.SECRETS_BACKEND = "env"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # would fail if called
    settings.STRIPE_SECRET_KEY = STRIPE["STRIPE_SECRET_KEY"]
    settings.STRIPE_WEBHOOK_SECRET = STRIPE["STRIPE_WEBHOOK_SECRET"]

    out, code = _run()

    assert code == 0
    assert "secrets backend: env" in out
    assert "fetch not used (SECRETS_BACKEND=env)" in out
    assert "STRIPE_SECRET_KEY: ok (environment)" in out
    _clean(out)
