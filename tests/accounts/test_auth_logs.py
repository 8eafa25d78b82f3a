"""No password or token in the logs of a full sign-up → refresh → sign-out run."""

from __future__ import annotations

import logging

import pytest
from django.core import mail

from huntaze.logging import JsonFormatter
from tests.queue import run_jobs

pytestmark = pytest.mark.django_db

PASSWORD = "Tr1cky-Passphrase-42"
NEW_PASSWORD = "Brand-New-Passw0rd!"


def test_no_secret_in_logs_of_a_full_auth_run(api_client, make_invite, caplog):
    # Every logger that sees these requests, at DEBUG (settings raise django.request to ERROR).
    # SQL logging (django.db.backends) is left out: it only runs with DEBUG=True.
    for name in (
        "",
        "django",
        "django.request",
        "django.security",
        "accounts",
        "allauth",
        "huntaze",
        "invites",
    ):
        caplog.set_level(logging.DEBUG, logger=name)
    invite = make_invite(email="logs@example.test")
    secrets: list[str] = [PASSWORD, NEW_PASSWORD, invite.code]

    r = api_client.post(
        "/api/auth/signup",
        {"email": invite.email, "password": PASSWORD, "name": "L", "invite_code": invite.code},
        format="json",
    )
    assert r.status_code == 201
    secrets += [r.json()["access"], r.json()["refresh"]]
    r = api_client.post("/api/auth/refresh", {"refresh": r.json()["refresh"]}, format="json")
    assert r.status_code == 200
    secrets += [r.json()["access"], r.json()["refresh"]]
    # A failed refresh (reuse) and a failed sign-in are logged as 4xx: still no secret.
    assert (
        api_client.post("/api/auth/refresh", {"refresh": secrets[4]}, format="json").status_code
        == 401
    )
    assert (
        api_client.post(
            "/api/auth/signin",
            {"email": invite.email, "password": "wrong-" + PASSWORD},
            format="json",
        ).status_code
        == 401
    )
    secrets.append("wrong-" + PASSWORD)
    r = api_client.post(
        "/api/auth/signin", {"email": invite.email, "password": PASSWORD}, format="json"
    )
    assert r.status_code == 200
    secrets += [r.json()["access"], r.json()["refresh"]]
    api_client.post("/api/auth/password/reset", {"email": invite.email}, format="json")
    run_jobs()  # the worker's log lines are checked too
    reset_token = mail.outbox[-1].body.split("token=")[1].split()[0]
    secrets.append(reset_token)
    r = api_client.post(
        "/api/auth/password/reset/confirm",
        {"token": reset_token, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert r.status_code == 204
    r = api_client.post("/api/auth/signout", {"refresh": secrets[-2]}, format="json")
    assert r.status_code == 204

    assert caplog.records, "expected some log records (4xx warnings at least)"
    formatter = JsonFormatter()
    for record in caplog.records:
        rendered = " ".join([record.getMessage(), formatter.format(record), repr(record.__dict__)])
        for secret in secrets:
            assert secret not in rendered, (record.name, record.levelname)
