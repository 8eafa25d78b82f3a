from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests import factories


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def make_user(db):
    return factories.make_user


@pytest.fixture
def make_admin(db):
    return factories.make_admin


@pytest.fixture
def make_invite(db):
    return factories.make_invite


@pytest.fixture
def make_asset(db):
    return factories.make_asset


@pytest.fixture
def auth_client(db):
    return factories.auth_client


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def client_for_user(user):
    return factories.auth_client(user)


def _uses_transactional_db(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return "transactional_db" in request.fixturenames or bool(
        marker and marker.kwargs.get("transaction")
    )


@pytest.fixture(autouse=True)
def _clear_cache(request):
    """Rate-limit buckets live in the shared cache (the database cache here).

    In ordinary ``db`` tests every cache write is rolled back with the test's transaction;
    tests that commit (``transactional_db``) get an empty cache before and after.
    """
    if not _uses_transactional_db(request):
        yield
        return
    from django.core.cache import cache

    request.getfixturevalue("transactional_db")
    cache.clear()
    yield
    cache.clear()


def assert_error(response, status: int, code: str) -> dict:
    """Assert the spec's error shape, status and code; return the error object."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


@pytest.fixture
def make_api_key(db):
    return factories.make_api_key
