"""Query budgets of every endpoint of the benchmark mix (docs/benchmark.md).

Each request runs a small fixed number of SQL queries, independent of page size. The budgets
are upper bounds (``django_assert_max_num_queries``), kept tight: one more query than the budget
on any of these endpoints is a regression to look at, e.g. an N+1 or a per-request lookup that
could be joined.

How to read the numbers:
- Authentication with a Bearer token is 1 query (the user by primary key). The profile and the
  subscription authenticate with their own read of the user (``authentication_reading``: the
  user with its subscription, and the profile's stats), so they are 1 query in all.
- Tests run inside a transaction, so every ``transaction.atomic()`` block in the code under test
  shows up as 2 extra statements (SAVEPOINT and RELEASE); in production it is BEGIN/COMMIT,
  which Django does not count. Budgets below include them where a write is expected to be atomic.
- Rate-limit counters live in the cache. With ``REDIS_URL`` they cost no SQL; with the database
  cache (the default without Redis) each throttle scope adds a few queries. The budgets measure
  our code, so these tests run with an in-memory cache.

"""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache

from content.models import ContentAsset
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

BUDGET = {
    "health": 1,  # SELECT 1
    "me": 1,  # the user
    "signin": 3,  # user, last login, refresh token insert
    "refresh": 5,  # spend the token, it with its user, insert the next one, in an atomic block
    "profile": 1,  # the user with its record joined and both stats as subqueries
    "content_list": 2,  # user, one page (+1 row to know whether a next page exists)
    "content_detail": 2,  # user, the asset (scoped to the user)
    "content_create": 2,  # user, insert
    "content_update": 3,  # user, the asset, update
    "content_delete": 4,  # user, the asset, unlink its AI generation records, delete
    "subscription": 1,  # the user with its record joined
}


@pytest.fixture(autouse=True)
def _in_memory_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "query-budgets",
        }
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def creator(make_user):
    return make_user(password=DEFAULT_PASSWORD)


@pytest.fixture
def creator_client(auth_client, creator):
    return auth_client(creator)


@pytest.fixture
def assets(creator):
    rows = [
        ContentAsset(
            user=creator,
            title=f"Sunset fitness #{i}",
            content="A sunset workout",
            type="POST" if i % 2 else "STORY",
            tags=["summer", "fitness"],
            metadata={"n": i},
        )
        for i in range(120)
    ]
    return ContentAsset.objects.bulk_create(rows)


def _signin(api_client, creator):
    return api_client.post(
        "/api/auth/signin",
        {"email": creator.email, "password": DEFAULT_PASSWORD},
        format="json",
        REMOTE_ADDR="198.51.100.7",
    )


# --- foundation (in every branch) ------------------------------------------------------------
def test_health_budget(api_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(BUDGET["health"]):
        response = api_client.get("/api/health")
    assert response.status_code == 200


def test_me_budget(creator_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(BUDGET["me"]):
        response = creator_client.get("/api/auth/me")
    assert response.status_code == 200


# --- auth -------------------------------------------------------------------------------------
def test_signin_budget(api_client, creator, django_assert_max_num_queries):
    with django_assert_max_num_queries(BUDGET["signin"]):
        response = _signin(api_client, creator)
    assert response.status_code == 200, response.content[:300]
    assert response.json()["access"]


def test_refresh_budget(api_client, creator, django_assert_max_num_queries):
    refresh = _signin(api_client, creator).json()["refresh"]
    api_client.cookies.clear()  # the body's token, not the cookie, is what the driver sends
    with django_assert_max_num_queries(BUDGET["refresh"]):
        response = api_client.post(
            "/api/auth/refresh", {"refresh": refresh}, format="json", REMOTE_ADDR="198.51.100.7"
        )
    assert response.status_code == 200, response.content[:300]
    assert response.json()["refresh"] != refresh


# --- profile and billing --------------------------------------------------------------------
def test_profile_budget(creator_client, assets, django_assert_max_num_queries):
    with django_assert_max_num_queries(BUDGET["profile"]):
        response = creator_client.get("/api/users/profile")
    assert response.status_code == 200
    assert response.json()["stats"]["content_count"] == len(assets)


def test_subscription_budget(creator_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(BUDGET["subscription"]):
        response = creator_client.get("/api/billing/subscription")
    assert response.status_code == 200
    assert response.json()["plan"] == "FREE"


# --- content --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query", ["", "?type=POST", "?tag=summer", "?q=sunset", "?type=POST&tag=fitness&q=workout"]
)
def test_content_list_budget(creator_client, assets, query, django_assert_max_num_queries):
    with django_assert_max_num_queries(BUDGET["content_list"]):
        response = creator_client.get("/api/content" + query)
    assert response.status_code == 200
    assert response.json()["results"]


def test_content_list_queries_do_not_depend_on_page_size(creator_client, assets):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for size in (1, 100):
        with CaptureQueriesContext(connection) as ctx:
            response = creator_client.get(f"/api/content?page_size={size}")
        assert response.status_code == 200
        assert len(response.json()["results"]) == size
        assert response.json()["next"]  # 120 assets: a next page either way
        counts[size] = len(ctx.captured_queries)
    assert counts[1] == counts[100], counts
    assert counts[1] <= BUDGET["content_list"]


def test_content_detail_budget(creator_client, assets, django_assert_max_num_queries):
    with django_assert_max_num_queries(BUDGET["content_detail"]):
        response = creator_client.get(f"/api/content/{assets[0].pk}")
    assert response.status_code == 200


def test_content_detail_of_unknown_id_budget(creator_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(BUDGET["content_detail"]):
        response = creator_client.get(f"/api/content/{uuid.uuid4()}")
    assert response.status_code == 404


def test_content_create_budget(creator_client, creator, django_assert_max_num_queries):
    body = {
        "title": "Bench post",
        "content": "Written by the budget test",
        "type": "CAPTION",
        "category": "promo",
        "tags": ["summer", "fitness"],
        "metadata": {"bench": True},
    }
    with django_assert_max_num_queries(BUDGET["content_create"]):
        response = creator_client.post("/api/content", body, format="json")
    assert response.status_code == 201, response.content[:300]
    assert ContentAsset.objects.filter(user=creator, title="Bench post").exists()


def test_content_update_budget(creator_client, assets, django_assert_max_num_queries):
    asset = assets[0]
    with django_assert_max_num_queries(BUDGET["content_update"]):
        response = creator_client.patch(
            f"/api/content/{asset.pk}", {"title": "Renamed", "tags": ["a", "b"]}, format="json"
        )
    assert response.status_code == 200, response.content[:300]
    asset.refresh_from_db()
    assert asset.title == "Renamed"


def test_content_delete_budget(creator_client, assets, django_assert_max_num_queries):
    asset = assets[0]
    with django_assert_max_num_queries(BUDGET["content_delete"]):
        response = creator_client.delete(f"/api/content/{asset.pk}")
    assert response.status_code == 204
    assert not ContentAsset.objects.filter(pk=asset.pk).exists()
