import uuid

import pytest
from django.contrib.postgres.fields import ArrayField
from django.db import IntegrityError, connection, transaction

from accounts.models import ApiKey, RefreshToken, Role, User
from billing.models import StripeEvent, SubscriptionRecord
from content.models import ContentAsset
from invites.models import BetaInvite

pytestmark = pytest.mark.django_db


def test_tables_keep_the_original_names():
    tables = set(connection.introspection.table_names())
    assert {
        "users",
        "subscription_records",
        "beta_invites",
        "content_assets",
        "api_keys",
        "refresh_tokens",
        "stripe_events",
        "huntaze_cache",
        "django_session",
        "account_emailaddress",
    } <= tables


@pytest.mark.parametrize(
    "model", [User, ApiKey, RefreshToken, SubscriptionRecord, StripeEvent, BetaInvite, ContentAsset]
)
def test_public_ids_are_uuids_and_rows_are_timestamped(model):
    assert isinstance(model._meta.pk.default(), uuid.UUID)
    assert model._meta.get_field("created_at")


def test_email_is_stored_lower_case_and_unique_case_insensitively(make_user):
    user = make_user(email="Mixed.Case@Example.TEST")
    assert user.email == "mixed.case@example.test"
    with pytest.raises(IntegrityError), transaction.atomic():
        make_user(email="MIXED.case@example.test")
    # The functional constraint also holds for writes that bypass save().
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(email="MIXED.CASE@EXAMPLE.TEST", password="x")])


def test_content_tags_are_a_postgres_array_and_metadata_jsonb(make_user, make_asset):
    assert isinstance(ContentAsset._meta.get_field("tags"), ArrayField)
    asset = make_asset(user=make_user(), tags=["a", "b"], metadata={"k": {"n": 1}})
    assert ContentAsset.objects.filter(tags__contains=["b"], metadata__k__n=1).get() == asset
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'content_assets' AND column_name = 'metadata'"
        )
        assert cursor.fetchone()[0] == "jsonb"


def test_content_indexes_exist():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "content_assets")
    indexed = [tuple(c["columns"]) for c in constraints.values() if c["index"]]
    assert ("user_id", "created_at") in indexed
    assert ("tags",) in indexed
    assert ("created_at",) in indexed
    assert any(cols[:2] == ("user_id", "type") for cols in indexed)


@pytest.mark.parametrize(
    ("model", "field"),
    [
        (BetaInvite, "code"),
        (ApiKey, "key_hash"),
        (RefreshToken, "jti"),
        (RefreshToken, "token_hash"),
        (User, "stripe_customer_id"),
        (SubscriptionRecord, "stripe_subscription_id"),
        (StripeEvent, "event_id"),
    ],
)
def test_unique_fields(model, field):
    assert model._meta.get_field(field).unique


def test_invite_status_is_derived(make_invite, make_user):
    from datetime import timedelta

    from django.utils import timezone

    assert make_invite().status == "pending"
    assert make_invite(expires_in=timedelta(seconds=-1)).status == "expired"
    assert make_invite(revoked_at=timezone.now()).status == "revoked"
    assert make_invite(used_at=timezone.now(), used_by=make_user()).status == "used"


def test_createsuperuser_makes_an_admin_who_can_use_the_admin(client, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Boss@Huntaze.test")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "A-long-admin-passphrase-42")
    call_command("createsuperuser", "--noinput", verbosity=0)
    admin_user = User.objects.get(email="boss@huntaze.test")
    assert admin_user.role == Role.ADMIN and admin_user.is_staff
    assert client.login(email="boss@huntaze.test", password="A-long-admin-passphrase-42")
    assert client.get("/admin/").status_code == 200
    for path in (
        "/admin/accounts/user/",
        "/admin/accounts/apikey/",
        "/admin/accounts/refreshtoken/",
        "/admin/invites/betainvite/",
        "/admin/billing/subscriptionrecord/",
        "/admin/billing/stripeevent/",
        "/admin/content/contentasset/",
    ):
        assert client.get(path).status_code == 200, path


def test_a_creator_cannot_reach_the_admin(client, make_user):
    make_user(email="creator@huntaze.test", password="Creator-pass-123")
    assert client.login(email="creator@huntaze.test", password="Creator-pass-123")
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
