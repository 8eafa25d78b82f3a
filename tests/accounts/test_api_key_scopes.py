"""API-key scopes across endpoints: what each scope opens, and what no key ever may."""

from __future__ import annotations

import pytest

from content.models import ContentAsset
from tests.conftest import assert_error
from tests.factories import api_key_client

pytestmark = pytest.mark.django_db


def test_a_content_read_key_lists_content_and_cannot_create(user, make_api_key, make_asset):
    make_asset(user=user, title="mine")
    _key, raw = make_api_key(user=user, permissions=["content:read"])
    client = api_key_client(raw)
    response = client.get("/api/content")
    assert response.status_code == 200, response.content
    assert [a["title"] for a in response.json()["results"]] == ["mine"]
    created = client.post(
        "/api/content", {"title": "t", "content": "c", "type": "POST"}, format="json"
    )
    assert_error(created, 403, "permission_denied")
    assert ContentAsset.objects.count() == 1


def test_a_profile_read_key_cannot_read_content(user, make_api_key):
    _key, raw = make_api_key(user=user, permissions=["profile:read"])
    assert_error(api_key_client(raw).get("/api/content"), 403, "permission_denied")


@pytest.mark.parametrize(
    "method,path,scope_ok",
    [
        ("get", "/api/users/profile", True),
        ("patch", "/api/users/profile", False),
        ("delete", "/api/users/profile", False),
        ("get", "/api/users/profile/export", False),
        ("get", "/api/keys", False),
        ("post", "/api/keys", False),
    ],
)
def test_profile_read_key_on_users_and_keys_endpoints(user, make_api_key, method, path, scope_ok):
    _key, raw = make_api_key(user=user, permissions=["profile:read"])
    response = getattr(api_key_client(raw), method)(path, {}, format="json")
    if scope_ok:
        assert response.status_code == 200
    else:
        assert_error(response, 403, "permission_denied")
