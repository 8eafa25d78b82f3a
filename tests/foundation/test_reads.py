"""The hot reads in plain SQL (huntaze.reads) give exactly what their ORM querysets give.

Each read of the hot paths is compared field by field (the subscription summary and the stats
included) with the queryset it stands for, on representative rows: with and without a
subscription record, nulls, unicode, JSON, another user's rows around it. The rule of who may
authenticate (not deleted, active) is checked on every read that applies it.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.selectors import user_by_id
from billing.models import SubscriptionRecord
from billing.selectors import subscription_summary, subscription_user_read
from content.models import AiUsage
from content.selectors import usage_month
from members.selectors import profile_user_read
from tests.factories import make_asset

pytestmark = pytest.mark.django_db


def _state(obj, depth: int = 0) -> dict:
    """Every loaded value of a model instance, its annotations and cached relations (the
    related row's own cache holds the instance back: one level is compared)."""
    values = {k: v for k, v in vars(obj).items() if k != "_state"}
    for name, related in obj._state.fields_cache.items():
        if depth == 0:
            values[f"rel:{name}"] = None if related is None else _state(related, 1)
        else:
            values[f"rel:{name}"] = related is obj or related  # the back reference


@pytest.fixture
def creators(make_user):
    rich = make_user(name="Zoë « Lumière » 🌅", avatar="https://example.test/a.png")
    SubscriptionRecord.objects.create(
        user=rich,
        plan="PRO",
        status="PAST_DUE",
        current_period_start=timezone.now() - dt.timedelta(days=3),
        current_period_end=timezone.now() + dt.timedelta(days=27),
        cancel_at_period_end=True,
        stripe_subscription_id="sub_compiled",
    )
    for i in range(3):
        make_asset(user=rich, title=f"Asset {i}")
    AiUsage.objects.create(user=rich, month=usage_month(), count=2)
    AiUsage.objects.create(user=rich, month=dt.date(2000, 1, 1), count=9)
    bare = make_user(name="", avatar=None)
    other = make_user()
    make_asset(user=other)
    return rich, bare, other


def _orm_user(pk):
    return User.objects.authenticatable().get(pk=pk)


def _orm_subscription(pk) -> dict:
    return subscription_summary(SubscriptionRecord.objects.filter(user_id=pk).first())


def _plain(user) -> dict:
    """The model's loaded values only (no read-specific attribute)."""
    return {f.attname: getattr(user, f.attname) for f in User._meta.concrete_fields}


def test_the_user_read_is_the_orm_queryset(creators):
    for user in creators:
        assert _state(user_by_id(user.pk)) == _state(_orm_user(user.pk))


def test_the_subscription_read_is_the_orm_user_and_summary(creators):
    for user in creators:
        read = subscription_user_read(user.pk)
        assert _plain(read) == _plain(_orm_user(user.pk))
        assert read.subscription_summary == _orm_subscription(user.pk)
    assert subscription_user_read(creators[0].pk).subscription_summary["cancel_at_period_end"]
    assert subscription_user_read(creators[1].pk).subscription_summary["plan"] == "FREE"


def test_the_profile_read_is_the_orm_user_summary_and_counts(creators):
    month = usage_month()
    for user in creators:
        read = profile_user_read(user.pk)
        assert _plain(read) == _plain(_orm_user(user.pk))
        assert read.subscription_summary == _orm_subscription(user.pk)
        usage = AiUsage.objects.filter(user=user, month=month).first()
        assert (read.content_count, read.ai_generations_this_month) == (
            user.content_assets.count(),
            usage.count if usage else 0,
        )
    rich = profile_user_read(creators[0].pk)
    assert (rich.content_count, rich.ai_generations_this_month) == (3, 2)
    bare = profile_user_read(creators[1].pk)
    assert (bare.content_count, bare.ai_generations_this_month) == (0, 0)


@pytest.mark.parametrize("change", [{"is_active": False}, {"deleted_at": timezone.now()}])
def test_user_reads_refuse_inactive_and_deleted_users(creators, change):
    user = creators[0]
    type(user).objects.filter(pk=user.pk).update(**change)
    assert user_by_id(user.pk) is None
    assert profile_user_read(user.pk) is None
    assert subscription_user_read(user.pk) is None


def test_unknown_id_is_none_and_one_query(creators):
    for read in (user_by_id, profile_user_read, subscription_user_read):
        with CaptureQueriesContext(connection) as ctx:
            assert read(uuid.uuid4()) is None
        assert len(ctx.captured_queries) == 1


# --- through the views that authenticate with a read of their own -----------------------------
READ_PATHS = ["/api/users/profile", "/api/billing/subscription", "/api/auth/me"]


@pytest.mark.parametrize("path", READ_PATHS)
@pytest.mark.parametrize(
    "change",
    [
        lambda: {"is_active": False},
        lambda: {"deleted_at": timezone.now()},
        lambda: {"password_changed_at": timezone.now()},  # after the token was issued
    ],
)
def test_a_token_of_a_refused_user_is_401_on_every_read(creators, auth_client, path, change):
    user = creators[0]
    client = auth_client(user)
    assert client.get(path).status_code == 200
    type(user).objects.filter(pk=user.pk).update(**change())
    response = client.get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


@pytest.mark.parametrize("path", READ_PATHS)
def test_the_access_cookie_uses_the_same_reads(creators, api_client, path):
    from accounts.authentication import ACCESS_COOKIE
    from accounts.services.tokens import access_token_issue

    user = creators[0]
    api_client.cookies[ACCESS_COOKIE] = access_token_issue(user=user)
    with CaptureQueriesContext(connection) as ctx:
        response = api_client.get(path)
    assert response.status_code == 200
    assert len(ctx.captured_queries) == 1
    type(user).objects.filter(pk=user.pk).update(deleted_at=timezone.now())
    assert api_client.get(path).status_code == 401


# --- content: one asset, and the list for every shape of filters -----------------------------
@pytest.fixture
def library(make_user):
    from content.models import ContentAsset

    owner, other = make_user(), make_user()
    rows = []
    for i in range(30):
        rows.append(
            ContentAsset(
                user=owner,
                title=["Lumière du soir", "Sunset workout", "100% cœur_"][i % 3] + f" {i}",
                content="Un entraînement au coucher du soleil" if i % 2 else "",
                type=["POST", "STORY", "VIDEO"][i % 3],
                category=[None, "Mode", "mode", "promo"][i % 4],
                tags=[["summer"], ["summer", "fitness"], []][i % 3],
                metadata={"n": i, "é": [None, True]} if i % 5 else {},
            )
        )
    rows.append(ContentAsset(user=other, title="Sunset elsewhere", content="", type="POST"))
    ContentAsset.objects.bulk_create(rows)
    return owner, other


FILTERS = [
    {},
    {"type": "POST"},
    {"category": "MODE"},
    {"tags": ["summer"]},
    {"tags": ["summer", "fitness"]},
    {"q": "lumiere"},
    {"q": "100%"},
    {"q": "_"},
    {"type": "STORY", "category": "mode", "tags": ["fitness", "summer"], "q": "SUNSET"},
]


@pytest.mark.parametrize("filters", FILTERS)
def test_the_asset_list_page_is_the_orm_page(library, filters):
    from content.selectors import AssetListPage, content_asset_list

    owner, _ = library
    orm = content_asset_list(user=owner, **filters)
    read = AssetListPage(user_id=owner.pk, **filters)
    assert list(orm), filters  # every filter finds something: the comparison means something
    for start, stop in [(0, 21), (0, 2), (3, 7), (20, 41), (100, 121)]:
        assert [_state(a) for a in read[start:stop]] == [_state(a) for a in orm[start:stop]]


def test_asset_of_user_is_owner_only(library):
    from content.models import ContentAsset
    from content.selectors import content_asset_get

    owner, other = library
    for asset in ContentAsset.objects.filter(user=owner)[:6]:  # nulls, JSON and none
        assert _state(content_asset_get(user=owner, asset_id=str(asset.pk))) == _state(
            ContentAsset.objects.get(pk=asset.pk)
        )
        assert content_asset_get(user=other, asset_id=str(asset.pk)) is None
    assert content_asset_get(user=owner, asset_id="not-a-uuid") is None


# --- one code path: every credential gives the view the same user ---------------------------
@pytest.mark.parametrize(
    ("path", "scope"),
    [("/api/users/profile", "profile:read"), ("/api/billing/subscription", "billing:read")],
)
def test_every_credential_gets_the_same_answer_from_the_views_read(
    creators, api_client, path, scope
):
    """Bearer, the access cookie, an API key and a session all authenticate with the view's read
    (``authentication_reading``): one answer, whatever the credential; a token is one query."""
    from accounts.authentication import ACCESS_COOKIE
    from accounts.services.tokens import access_token_issue
    from tests.factories import auth_client, scoped_key_client

    user = creators[0]
    answers = {}
    with CaptureQueriesContext(connection) as ctx:
        answers["bearer"] = auth_client(user).get(path)
    assert len(ctx.captured_queries) == 1
    answers["api key"] = scoped_key_client(user, [scope]).get(path)
    cookie = api_client.__class__()
    cookie.cookies[ACCESS_COOKIE] = access_token_issue(user=user)
    answers["cookie"] = cookie.get(path)
    session = api_client.__class__()
    session.force_login(user)
    answers["session"] = session.get(path)
    bodies = {name: (r.status_code, r.json()) for name, r in answers.items()}
    assert len({repr(b) for b in bodies.values()}) == 1, bodies
    assert bodies["bearer"][0] == 200


@pytest.mark.parametrize("path", READ_PATHS[:2])
def test_a_deleted_users_api_key_and_session_are_refused_by_the_views_read(
    creators, api_client, path
):
    from tests.factories import scoped_key_client

    user = creators[0]
    key = scoped_key_client(user, ["profile:read", "billing:read"])
    session = api_client.__class__()
    session.force_login(user)
    type(user).objects.filter(pk=user.pk).update(deleted_at=timezone.now())
    assert key.get(path).status_code == 401
    assert session.get(path).status_code in (401, 403)
