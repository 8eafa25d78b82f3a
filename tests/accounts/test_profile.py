"""GET / PATCH /api/users/profile (docs/api.md, Users)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone

from accounts.models import Plan, Role
from billing.models import SubscriptionRecord, SubscriptionStatus
from content.selectors import ai_generations_this_month
from tests.conftest import assert_error
from tests.factories import api_key_client
from tests.queue import run_jobs

pytestmark = pytest.mark.django_db
URL = "/api/users/profile"


def test_profile_has_the_user_fields_a_free_subscription_and_stats(user, client_for_user):
    response = client_for_user.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id",
        "email",
        "name",
        "avatar",
        "role",
        "subscription",
        "created_at",
        "subscription_record",
        "stats",
    }
    assert body["id"] == str(user.pk)
    assert body["email"] == user.email
    assert body["subscription"] == "FREE"
    assert body["subscription_record"] == {
        "plan": "FREE",
        "status": "ACTIVE",
        "current_period_start": None,
        "current_period_end": None,
        "cancel_at_period_end": False,
    }
    assert body["stats"] == {"content_count": 0, "ai_generations_this_month": 0}


def test_profile_shows_the_subscription_record_and_counts_own_content_only(
    user, client_for_user, make_user, make_asset
):
    start = timezone.now().replace(microsecond=0)
    SubscriptionRecord.objects.create(
        user=user,
        plan=Plan.PRO,
        status=SubscriptionStatus.PAST_DUE,
        current_period_start=start,
        current_period_end=start + timedelta(days=30),
        cancel_at_period_end=True,
    )
    make_asset(user=user)
    make_asset(user=user, metadata={"ai": {"model": "gpt-4o"}})
    make_asset(user=make_user())
    body = client_for_user.get(URL).json()
    record = body["subscription_record"]
    assert record["plan"] == "PRO" and record["status"] == "PAST_DUE"
    assert record["cancel_at_period_end"] is True
    assert record["current_period_end"].startswith(
        (start + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S")
    )
    # The count is content's (content.selectors.ai_generations_this_month), whatever it reads.
    assert body["stats"] == {
        "content_count": 2,
        "ai_generations_this_month": ai_generations_this_month(user=user),
    }


def test_profile_runs_a_fixed_number_of_queries(
    user, client_for_user, make_asset, django_assert_max_num_queries
):
    for _ in range(5):
        make_asset(user=user)
    SubscriptionRecord.objects.create(user=user, plan=Plan.PRO)
    # one query: the token's user with its record, content count and AI generations
    with django_assert_max_num_queries(1):
        assert client_for_user.get(URL).status_code == 200


def test_profile_needs_authentication(api_client):
    assert_error(api_client.get(URL), 401, "not_authenticated")
    assert_error(api_client.patch(URL, {"name": "x"}, format="json"), 401, "not_authenticated")


def test_patch_changes_name_and_avatar(user, client_for_user):
    response = client_for_user.patch(
        URL, {"name": "  Lina  ", "avatar": "https://cdn.example.test/a.png"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Lina"
    assert response.json()["avatar"] == "https://cdn.example.test/a.png"
    assert "stats" in response.json()
    user.refresh_from_db()
    assert (user.name, user.avatar) == ("Lina", "https://cdn.example.test/a.png")
    response = client_for_user.patch(URL, {"avatar": None}, format="json")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.avatar is None


@pytest.mark.parametrize(
    "body,field",
    [
        ({"avatar": "javascript:alert(1)"}, "avatar"),
        ({"avatar": "not a url"}, "avatar"),
        ({"name": "x" * 201}, "name"),
        ({"name": ""}, "name"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_patch_rejects_invalid_values(user, client_for_user, body, field):
    error = assert_error(client_for_user.patch(URL, body, format="json"), 400, "validation_error")
    assert field in error["fields"]
    user.refresh_from_db()
    assert user.name != "" and user.avatar is None


@pytest.mark.parametrize(
    "field,value",
    [
        ("role", Role.ADMIN),
        ("subscription", "ENTERPRISE"),
        ("stripe_customer_id", "cus_evil"),
        ("id", "00000000-0000-0000-0000-000000000000"),
        ("is_active", False),
        ("deleted_at", None),
        ("password", "N3w-password-123"),
        ("created_at", "2020-01-01T00:00:00Z"),
    ],
)
def test_patch_refuses_read_only_and_unknown_fields_and_changes_nothing(
    user, client_for_user, field, value
):
    before = user.__class__.objects.values().get(pk=user.pk)
    error = assert_error(
        client_for_user.patch(URL, {"name": "Changed", field: value}, format="json"),
        400,
        "validation_error",
    )
    assert list(error["fields"]) == [field]
    after = user.__class__.objects.values().get(pk=user.pk)
    assert after == before


def test_patch_email_is_stored_lower_case_and_recorded_unverified_with_a_confirmation(
    user, client_for_user, django_capture_on_commit_callbacks
):
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    old = user.email
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for_user.patch(
            URL, {"email": "  New.Address@Example.TEST "}, format="json"
        )
    assert response.status_code == 200
    assert response.json()["email"] == "new.address@example.test"
    user.refresh_from_db()
    assert user.email == "new.address@example.test"
    addresses = list(EmailAddress.objects.filter(user=user).values("email", "primary", "verified"))
    assert addresses == [{"email": "new.address@example.test", "primary": True, "verified": False}]
    assert not EmailAddress.objects.filter(email=old).exists()
    run_jobs()  # allauth's confirmation email goes through the queue
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.address@example.test"]


def test_patch_same_email_in_other_case_changes_nothing_and_sends_nothing(
    user, client_for_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for_user.patch(URL, {"email": user.email.upper()}, format="json")
    assert response.status_code == 200
    assert mail.outbox == []
    assert not EmailAddress.objects.filter(user=user, verified=False).exists()


def test_patch_email_taken_by_another_user_is_a_conflict(user, client_for_user, make_user):
    other = make_user(email="taken@example.test")
    error = assert_error(
        client_for_user.patch(URL, {"email": "TAKEN@example.test", "name": "N"}, format="json"),
        409,
        "conflict",
    )
    assert error["message"]
    user.refresh_from_db()
    assert user.email != other.email and user.name != "N"


def test_patch_email_held_as_another_users_allauth_address_is_a_conflict(
    user, client_for_user, make_user
):
    other = make_user()
    EmailAddress.objects.create(user=other, email="second@example.test", verified=True)
    assert_error(
        client_for_user.patch(URL, {"email": "second@example.test"}, format="json"), 409, "conflict"
    )


def test_patch_with_a_non_object_body_is_a_400(client_for_user):
    assert_error(client_for_user.patch(URL, ["name"], format="json"), 400, "validation_error")


def test_profile_get_with_a_profile_read_key(user, make_api_key):
    _key, raw = make_api_key(user=user, permissions=["profile:read"])
    response = api_key_client(raw).get(URL)
    assert response.status_code == 200
    assert response.json()["id"] == str(user.pk)


def test_profile_get_with_a_key_without_profile_read_is_403(user, make_api_key):
    _key, raw = make_api_key(user=user, permissions=["content:read"])
    assert_error(api_key_client(raw).get(URL), 403, "permission_denied")


def test_profile_patch_and_export_refuse_api_keys_even_with_every_scope(user, make_api_key):
    _key, raw = make_api_key(
        user=user, permissions=["profile:read", "content:read", "content:write", "billing:read"]
    )
    client = api_key_client(raw)
    assert_error(client.patch(URL, {"name": "x"}, format="json"), 403, "permission_denied")
    assert_error(client.get(f"{URL}/export"), 403, "permission_denied")
    user.refresh_from_db()
    assert user.name != "x"


def test_profile_path_with_trailing_slash_works(client_for_user):
    assert client_for_user.get(URL + "/").status_code == 200
