"""POST /api/content, GET/PATCH/DELETE /api/content/{id}: bounds, owner isolation, scopes."""

from __future__ import annotations

import json
import uuid

import pytest

from content.models import ContentAsset
from tests.conftest import assert_error
from tests.factories import scoped_key_client

pytestmark = pytest.mark.django_db

VALID = {
    "title": "Lancement été",
    "content": "Notre collection arrive !",
    "type": "CAPTION",
    "category": "mode",
    "tags": ["été", "mode"],
    "metadata": {"platform": "instagram", "likes": 3},
}
ASSET_KEYS = {
    "id",
    "title",
    "content",
    "type",
    "category",
    "tags",
    "metadata",
    "created_at",
    "updated_at",
}


def test_create_returns_the_asset_and_stores_it(client_for_user, user):
    response = client_for_user.post("/api/content", VALID, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == ASSET_KEYS
    assert {k: body[k] for k in VALID} == VALID
    asset = ContentAsset.objects.get(pk=body["id"])
    assert asset.user == user and asset.tags == ["été", "mode"] and asset.metadata["likes"] == 3
    assert body["created_at"].endswith("Z") or body["created_at"].endswith("+00:00")


def test_create_with_only_required_fields_and_a_trailing_slash(client_for_user):
    response = client_for_user.post(
        "/api/content/", {"title": "T", "content": "", "type": "POST"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["category"] is None and body["tags"] == [] and body["metadata"] == {}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("title", ""),
        ("title", "   "),
        ("title", "x" * 201),
        ("title", 12),
        ("title", None),
        ("content", "x" * 20_001),
        ("content", None),
        ("content", "nul\x00byte"),
        ("type", "FOO"),
        ("type", "post"),
        ("category", "c" * 101),
        ("tags", ["t"] * 21),
        ("tags", ["x" * 51]),
        ("tags", [""]),
        ("tags", ["  "]),
        ("tags", [1]),
        ("tags", [None]),
        ("tags", "not-a-list"),
        ("metadata", ["not", "an", "object"]),
        ("metadata", "text"),
        ("metadata", {"blob": "x" * (16 * 1024)}),
        ("metadata", {"bad": "nul\x00"}),
    ],
)
def test_create_out_of_bounds_is_a_400_with_the_field(client_for_user, field, value):
    body = {**VALID, field: value}
    error = assert_error(
        client_for_user.post("/api/content", body, format="json"), 400, "validation_error"
    )
    assert any(key == field or key.startswith(f"{field}.") for key in error["fields"]), error
    assert ContentAsset.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", "a@"), ("content", "a@"), ("tags", ["a@"]), ("metadata", {"k@": 1})],
)
def test_lone_surrogates_are_a_400_not_a_500(client_for_user, field, value):
    # "\ud800" is a JSON escape the parser accepts but UTF-8 (so PostgreSQL) cannot store.
    body = json.dumps({**VALID, field: value}).replace("@", "\\ud800")
    response = client_for_user.generic(
        "POST", "/api/content", body, content_type="application/json"
    )
    error = assert_error(response, 400, "validation_error")
    assert any(key.split(".")[0] == field for key in error["fields"]), error
    assert ContentAsset.objects.count() == 0


def test_missing_required_fields_are_listed(client_for_user):
    error = assert_error(
        client_for_user.post("/api/content", {}, format="json"), 400, "validation_error"
    )
    assert {"title", "content", "type"} <= set(error["fields"])


def test_bounds_at_the_limit_are_accepted(client_for_user):
    metadata = {"blob": ""}
    overhead = len(json.dumps(metadata, separators=(",", ":")).encode())
    metadata["blob"] = "x" * (16 * 1024 - overhead)
    body = {
        "title": "x" * 200,
        "content": "y" * 20_000,
        "type": "VIDEO",
        "category": "c" * 100,
        "tags": ["t" * 50] * 20,
        "metadata": metadata,
    }
    response = client_for_user.post("/api/content", body, format="json")
    assert response.status_code == 201, response.content


def test_deeply_nested_metadata_is_a_400(client_for_user):
    nested: dict = {}
    node = nested
    for _ in range(40):
        node["a"] = {}
        node = node["a"]
    response = client_for_user.post("/api/content", {**VALID, "metadata": nested}, format="json")
    assert_error(response, 400, "validation_error")


def test_get_patch_delete_own_asset(client_for_user, user, make_asset):
    asset = make_asset(user=user, title="Avant", tags=["a"])
    url = f"/api/content/{asset.pk}"

    got = client_for_user.get(url)
    assert got.status_code == 200 and got.json()["title"] == "Avant"

    patched = client_for_user.patch(url, {"title": "Après", "tags": ["b", "c"]}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["title"] == "Après" and patched.json()["tags"] == ["b", "c"]
    asset.refresh_from_db()
    assert asset.title == "Après" and asset.content.startswith("Content body")
    assert asset.updated_at > asset.created_at

    cleared = client_for_user.patch(url, {"category": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["category"] is None

    assert client_for_user.delete(url).status_code == 204
    assert not ContentAsset.objects.filter(pk=asset.pk).exists()
    assert_error(client_for_user.get(url), 404, "not_found")


def test_patch_validates_bounds_and_writes_nothing(client_for_user, user, make_asset):
    asset = make_asset(user=user, title="Garde")
    url = f"/api/content/{asset.pk}"
    for body in (
        {"title": ""},
        {"type": "FOO"},
        {"tags": ["x"] * 21},
        {"metadata": [1]},
        {"title": "ok", "content": "x" * 20_001},
    ):
        assert_error(client_for_user.patch(url, body, format="json"), 400, "validation_error")
    asset.refresh_from_db()
    assert asset.title == "Garde"


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", "%20", "0" * 300, str(uuid.uuid4())])
def test_malformed_or_unknown_id_is_a_404(client_for_user, bad_id):
    for method in ("get", "patch", "delete"):
        response = getattr(client_for_user, method)(f"/api/content/{bad_id}", {}, format="json")
        assert_error(response, 404, "not_found")


def test_another_users_asset_is_a_404_and_untouched(client_for_user, make_user, make_asset):
    other = make_asset(user=make_user(), title="Pas à toi")
    url = f"/api/content/{other.pk}"
    assert_error(client_for_user.get(url), 404, "not_found")
    assert_error(client_for_user.patch(url, {"title": "volé"}, format="json"), 404, "not_found")
    assert_error(client_for_user.delete(url), 404, "not_found")
    other.refresh_from_db()
    assert other.title == "Pas à toi"
    assert client_for_user.get("/api/content").json()["results"] == []


def test_unauthenticated_requests_are_401(api_client, make_user, make_asset):
    asset = make_asset(user=make_user())
    assert_error(api_client.get("/api/content"), 401, "not_authenticated")
    assert_error(api_client.post("/api/content", VALID, format="json"), 401, "not_authenticated")
    assert_error(api_client.get(f"/api/content/{asset.pk}"), 401, "not_authenticated")
    assert_error(
        api_client.post("/api/content/generate", {}, format="json"), 401, "not_authenticated"
    )


def test_put_is_not_allowed(client_for_user, user, make_asset):
    asset = make_asset(user=user)
    assert_error(
        client_for_user.put(f"/api/content/{asset.pk}", VALID, format="json"),
        405,
        "method_not_allowed",
    )


def test_api_key_scopes(user, make_asset):
    asset = make_asset(user=user)
    reader = scoped_key_client(user, ["content:read"])
    writer = scoped_key_client(user, ["content:write"])
    other_scope = scoped_key_client(user, ["profile:read"])

    assert reader.get("/api/content").status_code == 200
    assert reader.get(f"/api/content/{asset.pk}").status_code == 200
    assert_error(reader.post("/api/content", VALID, format="json"), 403, "permission_denied")
    assert_error(
        reader.patch(f"/api/content/{asset.pk}", {"title": "x"}, format="json"),
        403,
        "permission_denied",
    )
    assert_error(reader.delete(f"/api/content/{asset.pk}"), 403, "permission_denied")
    assert_error(
        reader.post("/api/content/generate", {"type": "POST", "prompt": "x"}, format="json"),
        403,
        "permission_denied",
    )

    assert_error(writer.get("/api/content"), 403, "permission_denied")
    assert writer.post("/api/content", VALID, format="json").status_code == 201
    assert (
        writer.patch(f"/api/content/{asset.pk}", {"title": "x"}, format="json").status_code == 200
    )
    assert writer.delete(f"/api/content/{asset.pk}").status_code == 204

    assert_error(other_scope.get("/api/content"), 403, "permission_denied")


def test_a_body_nested_too_deep_to_parse_is_a_400_not_a_500(client_for_user):
    body = '{"title":"t","content":"c","type":"POST","metadata":' + "[" * 5000 + "]" * 5000 + "}"
    response = client_for_user.generic(
        "POST", "/api/content", body, content_type="application/json"
    )
    error = assert_error(response, 400, "validation_error")
    assert "body" in error["fields"]
    assert ContentAsset.objects.count() == 0


def test_the_fast_asset_representation_matches_drf_generic_output(make_user, make_asset):
    from rest_framework import serializers as drf_serializers

    from content.serializers import ContentAssetOutput

    asset = make_asset(
        user=make_user(), category=None, tags=["a", "é"], metadata={"n": [1, {"x": None}]}
    )
    asset.refresh_from_db()
    generic = drf_serializers.ModelSerializer.to_representation(ContentAssetOutput(), asset)
    assert ContentAssetOutput(asset).data == dict(generic)
