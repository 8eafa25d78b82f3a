from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from invites.models import BetaInvite
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db

CHECK = "/api/invites/check"
LIST = "/api/invites"


@pytest.fixture
def staff(make_admin, auth_client):
    admin = make_admin()
    client = auth_client(admin)
    client.user = admin
    return client


@pytest.fixture
def creator(make_user, auth_client):
    return auth_client(make_user())


# --- POST /api/invites/check --------------------------------------------------------------


def test_check_says_valid_for_a_pending_invite_case_insensitively(api_client, make_invite):
    invite = make_invite(email="check@example.test")
    for path in (CHECK, CHECK + "/"):
        response = api_client.post(
            path, {"email": "Check@Example.TEST", "code": invite.code.lower()}, format="json"
        )
        assert response.status_code == 200
        assert response.json() == {"valid": True}


def test_check_says_only_false_whatever_the_reason(api_client, make_invite, make_user):
    invite = make_invite(email="mine@example.test")
    cases = [
        {"email": "other@example.test", "code": invite.code},
        {"email": "mine@example.test", "code": "0123456789ABCDEF"},
        {"email": "mine@example.test", "code": "short"},
    ]
    for kwargs in (
        {"expires_in": timedelta(seconds=-1)},
        {"revoked_at": timezone.now()},
        {"used_at": timezone.now(), "used_by": make_user()},
    ):
        closed = make_invite(**kwargs)
        cases.append({"email": closed.email, "code": closed.code})
    for body in cases:
        response = api_client.post(CHECK, body, format="json")
        assert response.status_code == 200, body
        assert response.json() == {"valid": False}, body


@pytest.mark.parametrize(
    "body",
    [{}, {"email": "a@example.test"}, {"code": "ABC"}, {"email": "nope", "code": "ABC"}],
)
def test_check_validates_its_body(api_client, body):
    error = assert_error(api_client.post(CHECK, body, format="json"), 400, "validation_error")
    assert error["fields"]


def test_check_needs_no_credentials_and_ignores_a_stale_token(api_client, make_invite):
    invite = make_invite()
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    response = api_client.post(CHECK, {"email": invite.email, "code": invite.code}, format="json")
    assert response.status_code == 200 and response.json() == {"valid": True}


def test_check_is_rate_limited_per_ip(api_client):
    body = {"email": "a@example.test", "code": "0123456789ABCDEF"}
    statuses = [api_client.post(CHECK, body, format="json").status_code for _ in range(20)]
    assert statuses == [200] * 20
    response = api_client.post(CHECK, body, format="json")
    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1
    other_ip = api_client.post(CHECK, body, format="json", REMOTE_ADDR="10.9.8.7")
    assert other_ip.status_code == 200


# --- who may use the ADMIN routes ---------------------------------------------------------


def test_admin_routes_refuse_anonymous_with_401(api_client, make_invite):
    invite = make_invite()
    assert_error(api_client.get(LIST), 401, "not_authenticated")
    assert_error(
        api_client.post(LIST, {"emails": ["a@example.test"]}, format="json"),
        401,
        "not_authenticated",
    )
    assert_error(api_client.delete(f"{LIST}/{invite.pk}"), 401, "not_authenticated")


def test_admin_routes_refuse_a_creator_with_403(creator, make_invite):
    invite = make_invite()
    assert_error(creator.get(LIST), 403, "permission_denied")
    assert_error(
        creator.post(LIST, {"emails": ["a@example.test"]}, format="json"), 403, "permission_denied"
    )
    assert_error(creator.delete(f"{LIST}/{invite.pk}"), 403, "permission_denied")
    assert BetaInvite.objects.count() == 1
    invite.refresh_from_db()
    assert invite.revoked_at is None


# --- GET /api/invites ---------------------------------------------------------------------


def test_list_is_paginated_newest_first_with_status(staff, make_invite, make_user):
    now = timezone.now()
    used_by = make_user()
    a = make_invite(email="a@example.test")
    a.created_at = now - timedelta(hours=3)
    a.save()
    b = make_invite(email="b@example.test", used_at=now, used_by=used_by)
    b.created_at = now - timedelta(hours=2)
    b.save()
    c = make_invite(email="c@example.test", revoked_at=now)
    c.created_at = now - timedelta(hours=1)
    c.save()
    response = staff.get(LIST, {"page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "next", "previous"}
    assert [r["email"] for r in body["results"]] == ["c@example.test", "b@example.test"]
    assert [r["status"] for r in body["results"]] == ["revoked", "used"]
    assert body["results"][1]["used_by"] == str(used_by.pk)
    assert body["previous"] is None and "page=2" in body["next"]
    second = staff.get(body["next"]).json()
    assert [r["email"] for r in second["results"]] == ["a@example.test"]
    assert second["results"][0]["status"] == "pending"
    assert second["next"] is None
    assert set(second["results"][0]) >= {"id", "email", "code", "status", "expires_at", "sent_at"}


def test_list_filters_by_status(staff, make_invite, make_user):
    pending = make_invite()
    expired = make_invite(expires_in=timedelta(seconds=-1))
    revoked = make_invite(revoked_at=timezone.now())
    used = make_invite(used_at=timezone.now(), used_by=make_user())
    for status, invite in [
        ("pending", pending),
        ("expired", expired),
        ("revoked", revoked),
        ("used", used),
    ]:
        results = staff.get(LIST, {"status": status}).json()["results"]
        assert [r["id"] for r in results] == [str(invite.pk)], status


def test_list_refuses_an_unknown_status_or_page_size(staff):
    error = assert_error(staff.get(LIST, {"status": "lost"}), 400, "validation_error")
    assert "status" in error["fields"]
    assert_error(staff.get(LIST, {"page_size": 101}), 400, "validation_error")


# --- POST /api/invites --------------------------------------------------------------------


def test_create_answers_one_result_per_email_in_order(staff, make_invite):
    existing = make_invite(email="known@example.test")
    response = staff.post(
        LIST,
        {
            "emails": [
                "New@Example.test",
                "known@example.test",
                "new@example.test",
                "z@example.test",
            ]
        },
        format="json",
    )
    assert response.status_code == 201
    results = response.json()["results"]
    assert [r["email"] for r in results] == [
        "new@example.test",
        "known@example.test",
        "new@example.test",
        "z@example.test",
    ]
    assert set(results[0]) == {"id", "email", "code", "status", "expires_at", "email_status"}
    assert {r["email_status"] for r in results} == {None}  # sending is opt-in
    assert results[1]["id"] == str(existing.pk) and results[1]["code"] == existing.code
    assert results[0]["id"] == results[2]["id"]
    assert all(r["status"] == "pending" for r in results)
    assert BetaInvite.objects.count() == 3
    created = BetaInvite.objects.get(email="z@example.test")
    assert created.created_by == staff.user
    assert mail.outbox == []  # sending is opt-in


def test_create_honours_expires_in_days(staff):
    response = staff.post(LIST, {"emails": ["d@example.test"], "expires_in_days": 7}, format="json")
    assert response.status_code == 201
    invite = BetaInvite.objects.get(email="d@example.test")
    assert timedelta(days=6, hours=23) < invite.expires_at - timezone.now() <= timedelta(days=7)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"emails": ["a@example.test"], "expires_in_days": 0}, "expires_in_days"),
        ({"emails": ["a@example.test"], "expires_in_days": 366}, "expires_in_days"),
        ({"emails": ["a@example.test"], "expires_in_days": "x"}, "expires_in_days"),
        ({"emails": []}, "emails"),
        ({"emails": "a@example.test"}, "emails"),
        ({}, "emails"),
        ({"emails": ["a@example.test", "not-an-email"]}, "emails.1"),
    ],
)
def test_create_validates_and_writes_nothing_on_error(staff, body, field):
    error = assert_error(staff.post(LIST, body, format="json"), 400, "validation_error")
    assert field in error["fields"], error
    assert not BetaInvite.objects.exists()


def test_create_with_send_queues_the_emails_and_answers_before_delivery(staff, run_jobs):
    response = staff.post(
        LIST, {"emails": ["s1@example.test", "s2@example.test"], "send": True}, format="json"
    )
    assert response.status_code == 201
    assert [r["email_status"] for r in response.json()["results"]] == ["queued", "queued"]
    assert mail.outbox == []  # the answer came before any delivery
    listed = {r["email"]: r for r in staff.get(LIST).json()["results"]}
    assert listed["s1@example.test"]["email_status"] == "queued"
    assert listed["s1@example.test"]["email_error"] is None

    run_jobs()

    assert sorted(m.to[0] for m in mail.outbox) == ["s1@example.test", "s2@example.test"]
    assert not BetaInvite.objects.filter(sent_at__isnull=True).exists()
    listed = {r["email"]: r for r in staff.get(LIST).json()["results"]}
    assert listed["s2@example.test"]["email_status"] == "sent"


def test_the_list_shows_a_failed_email_with_its_error(staff, make_invite):
    make_invite(
        email="f@example.test", email_status="failed", last_send_error="SMTPDataError: 554 no"
    )
    make_invite(email="r@example.test", email_status="sending", last_send_error="timed out")
    listed = {r["email"]: r for r in staff.get(LIST).json()["results"]}
    assert listed["f@example.test"]["email_status"] == "failed"
    assert listed["f@example.test"]["email_error"] == "SMTPDataError: 554 no"
    # Being sent, and tried again after a temporary error: still "queued", with that error.
    assert listed["r@example.test"]["email_status"] == "queued"
    assert listed["r@example.test"]["email_error"] == "timed out"


# --- DELETE /api/invites/{id} -------------------------------------------------------------


def test_delete_revokes_and_is_idempotent(staff, make_invite):
    invite = make_invite()
    response = staff.delete(f"{LIST}/{invite.pk}")
    assert response.status_code == 204 and response.content == b""
    invite.refresh_from_db()
    assert invite.status == "revoked"
    assert staff.delete(f"{LIST}/{invite.pk}/").status_code == 204
    assert staff.post(
        CHECK, {"email": invite.email, "code": invite.code}, format="json"
    ).json() == {"valid": False}


def test_delete_a_used_invite_is_409(staff, make_invite, make_user):
    invite = make_invite(used_at=timezone.now(), used_by=make_user())
    assert_error(staff.delete(f"{LIST}/{invite.pk}"), 409, "conflict")
    invite.refresh_from_db()
    assert invite.revoked_at is None and invite.status == "used"


@pytest.mark.parametrize("pk", [str(uuid.uuid4()), "not-a-uuid", "12"])
def test_delete_unknown_or_malformed_id_is_404(staff, pk):
    assert_error(staff.delete(f"{LIST}/{pk}"), 404, "not_found")
