"""huntaze.compiled: a query compiled once gives exactly what its ORM queryset gives.

Each compiled query of the hot paths is compared field by field (annotations and the
select_related record included) with the queryset it stands for, on representative rows: with
and without a subscription record, nulls, unicode, another user's rows around it.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.authentication import USER_BY_ID
from billing.models import SubscriptionRecord
from billing.selectors import SUBSCRIPTION_USER
from content.models import AiUsage, ContentAsset
from content.selectors import usage_month
from huntaze.compiled import UUID_SENTINEL, CompiledQuery
from members.selectors import PROFILE_USER
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


def test_profile_user_is_the_orm_queryset(creators):
    month = usage_month()
    for user in creators:
        compiled = PROFILE_USER.first(user.pk, month)
        orm = PROFILE_USER.queryset(user.pk, month).get()
        assert _state(compiled) == _state(orm)
    rich = PROFILE_USER.first(creators[0].pk, month)
    assert (rich.content_count, rich.ai_generations_this_month) == (3, 2)
    assert rich.subscription_record.cancel_at_period_end is True
    bare = PROFILE_USER.first(creators[1].pk, month)
    assert (bare.content_count, bare.ai_generations_this_month) == (0, 0)
    with pytest.raises(SubscriptionRecord.DoesNotExist):
        bare.subscription_record  # noqa: B018 - cached as absent, like select_related


def test_subscription_and_plain_user_are_the_orm_queryset(creators):
    for user in creators:
        assert _state(SUBSCRIPTION_USER.first(user.pk)) == _state(
            SUBSCRIPTION_USER.queryset(user.pk).get()
        )
        assert _state(USER_BY_ID.first(user.pk)) == _state(USER_BY_ID.queryset(user.pk).get())


@pytest.mark.parametrize("change", [{"is_active": False}, {"deleted_at": timezone.now()}])
def test_compiled_user_loaders_refuse_inactive_and_deleted_users(creators, change):
    user = creators[0]
    type(user).objects.filter(pk=user.pk).update(**change)
    assert USER_BY_ID.first(user.pk) is None
    assert PROFILE_USER.first(user.pk, usage_month()) is None
    assert SUBSCRIPTION_USER.first(user.pk) is None


def test_unknown_id_is_none_and_one_query(creators):
    with CaptureQueriesContext(connection) as ctx:
        assert USER_BY_ID.first(uuid.uuid4()) is None
    assert len(ctx.captured_queries) == 1


def test_compiled_once_then_parameters_only(creators):
    calls = []

    def build(pk):
        calls.append(pk)
        return ContentAsset.objects.filter(user_id=pk).order_by("title")

    query = CompiledQuery(build, UUID_SENTINEL)
    rich, _, other = creators
    assert [a.title for a in query.fetch(rich.pk)] == ["Asset 0", "Asset 1", "Asset 2"]
    assert [a.pk for a in query.fetch(other.pk)] == list(
        ContentAsset.objects.filter(user=other).values_list("pk", flat=True)
    )
    assert calls == [UUID_SENTINEL]  # built once, with the sentinel


def test_limit_offset_and_missing_sentinel(creators):
    query = CompiledQuery(
        lambda pk: ContentAsset.objects.filter(user_id=pk).order_by("title"),
        UUID_SENTINEL,
        limit_offset=True,
    )
    assert [a.title for a in query.fetch(creators[0].pk, limit=2, offset=1)] == [
        "Asset 1",
        "Asset 2",
    ]
    broken = CompiledQuery(lambda pk: ContentAsset.objects.all(), UUID_SENTINEL)
    with pytest.raises(ValueError, match="sentinel"):
        broken.fetch(uuid.uuid4())


# --- through the views that authenticate with a loader of their own ---------------------------
LOADER_PATHS = ["/api/users/profile", "/api/billing/subscription", "/api/auth/me"]


@pytest.mark.parametrize("path", LOADER_PATHS)
@pytest.mark.parametrize(
    "change",
    [
        lambda: {"is_active": False},
        lambda: {"deleted_at": timezone.now()},
        lambda: {"password_changed_at": timezone.now()},  # after the token was issued
    ],
)
def test_a_token_of_a_refused_user_is_401_on_every_loader(creators, auth_client, path, change):
    user = creators[0]
    client = auth_client(user)
    assert client.get(path).status_code == 200
    type(user).objects.filter(pk=user.pk).update(**change())
    response = client.get(path)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_invalid"


@pytest.mark.parametrize("path", LOADER_PATHS)
def test_the_access_cookie_uses_the_same_loaders(creators, api_client, path):
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
def test_compiled_asset_list_is_the_orm_page(library, filters):
    from content.selectors import CompiledAssetList, content_asset_list

    owner, _ = library
    orm = content_asset_list(user=owner, **filters)
    compiled = CompiledAssetList(user_id=owner.pk, **filters)
    assert list(orm), filters  # every filter finds something: the comparison means something
    for start, stop in [(0, 21), (0, 2), (3, 7), (20, 41), (100, 121)]:
        assert [_state(a) for a in compiled[start:stop]] == [_state(a) for a in orm[start:stop]]


def test_asset_of_user_is_owner_only(library):
    from content.models import ContentAsset
    from content.selectors import ASSET_OF_USER

    owner, other = library
    asset = ContentAsset.objects.filter(user=owner).first()
    assert _state(ASSET_OF_USER.first(owner.pk, asset.pk)) == _state(
        ContentAsset.objects.get(pk=asset.pk)
    )
    assert ASSET_OF_USER.first(other.pk, asset.pk) is None
