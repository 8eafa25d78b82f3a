"""Production settings: the deploy check passes, DEBUG is off by default, migrations complete."""

import os

import pytest

from tests.servers import manage


def _run(args, **env_overrides):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_overrides)
    return manage(*args, env=env)


@pytest.mark.slow
def test_deploy_check_passes_with_production_env(settings):
    result = _run(
        ["check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_SECRET_KEY="prod-like-" + "k" * 64,
        DJANGO_ALLOWED_HOSTS="api.huntaze.com",
        CSRF_TRUSTED_ORIGINS="https://app.huntaze.com",
        DATABASE_URL=os.environ.get("DATABASE_URL")
        or "postgres://postgres@127.0.0.1:5432/postgres",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_production_refuses_to_start_without_secret_key():
    result = _run(["check"], DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr


@pytest.mark.slow
def test_production_refuses_the_embedded_server():
    env_url = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = manage(
        "check",
        env={
            **{k: v for k, v in env_url.items() if not k.startswith("DJANGO_")},
            "DJANGO_SECRET_KEY": "x" * 64,
        },
    )
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr


def test_debug_is_off_by_default(settings):
    assert settings.DEBUG is False


@pytest.mark.django_db
def test_no_missing_migrations():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
