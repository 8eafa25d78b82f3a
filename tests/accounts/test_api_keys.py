"""/api/keys (docs/api.md, API keys) and Api-Key authentication."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import ApiKey
from accounts.services.keys import api_key_create, api_key_revoke
from tests.concurrency import run_concurrently
from tests.conftest import assert_error
from tests.factories import api_key_client, auth_client, make_user

pytestmark = pytest.mark.django_db
KEYS = "/api/keys"
PROFILE = "/api/users/profile"
KEY_RE = re.compile(r"^hz_[a-z2-7]{8}_[A-Za-z0-9]{43}$")


def _create(client, **body):
    body.setdefault("name", "ci")
    body.setdefault("permissions", ["profile:read"])
    return client.post(KEYS, body, format="json")


# --- create -------------------------------------------------------------------------------


def test_create_returns_the_plain_key_once_and_stores_only_its_digest(user, client_for_user):
    expires = (timezone.now() + timedelta(days=7)).replace(microsecond=0)
    response = _create(
        client_for_user,
        name="  Zapier  ",
        permissions=["content:read", "profile:read"],
        expires_at=expires.isoformat(),
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "name",
        "prefix",
        "permissions",
        "last_used_at",
        "expires_at",
        "created_at",
        "key",
    }
    raw = body["key"]
    assert KEY_RE.match(raw)
    assert raw.startswith(body["prefix"] + "_")
    assert body["name"] == "Zapier"
    assert body["permissions"] == ["profile:read", "content:read"]
    row = ApiKey.objects.get(pk=body["id"])
    assert row.user_id == user.pk
    assert row.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiKey.objects.filter(pk=row.pk).values().get())
    # Never shown again.
    listed = client_for_user.get(KEYS).json()["results"]
    assert "key" not in listed[0] and raw not in str(listed)
    # And it works.
    assert api_key_client(raw).get(PROFILE).status_code == 200


def test_keys_are_random_and_distinct(user):
    raws = {api_key_create(user=user, name="k", permissions=["profile:read"])[1] for _ in range(20)}
    assert len(raws) == 20
    assert len({r.split("_")[1] for r in raws}) == 20


@pytest.mark.parametrize(
    "body,field",
    [
        ({"permissions": []}, "permissions"),
        ({"permissions": ["admin"]}, "permissions"),
        ({"permissions": "profile:read"}, "permissions"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": "tomorrow"}, "expires_at"),
        ({"user": "someone"}, "user"),
        ({"key_hash": "0" * 64}, "key_hash"),
    ],
)
def test_create_validates_its_body(client_for_user, body, field):
    error = assert_error(_create(client_for_user, **body), 400, "validation_error")
    assert field in error["fields"], error
    assert not ApiKey.objects.exists()


def test_create_without_permissions_is_a_400(client_for_user):
    response = client_for_user.post(KEYS, {"name": "x"}, format="json")
    assert "permissions" in assert_error(response, 400, "validation_error")["fields"]


# --- list ---------------------------------------------------------------------------------


def test_list_is_own_live_keys_newest_first_and_paginated(user, client_for_user, make_api_key):
    other = make_user()
    make_api_key(user=other, name="theirs")
    now = timezone.now()
    keys = []
    for i in range(3):
        key, _ = make_api_key(user=user, name=f"k{i}")
        ApiKey.objects.filter(pk=key.pk).update(created_at=now - timedelta(minutes=10 - i))
        keys.append(key)
    gone, _ = make_api_key(user=user, name="gone")
    api_key_revoke(key=gone)
    expired, _ = make_api_key(user=user, name="expired")
    ApiKey.objects.filter(pk=expired.pk).update(
        expires_at=now - timedelta(days=1), created_at=now - timedelta(hours=1)
    )

    body = client_for_user.get(KEYS).json()
    assert set(body) == {"results", "next", "previous"}
    assert [k["name"] for k in body["results"]] == ["k2", "k1", "k0", "expired"]
    assert all("key_hash" not in k and "key" not in k for k in body["results"])

    page = client_for_user.get(KEYS, {"page_size": 2}).json()
    assert [k["name"] for k in page["results"]] == ["k2", "k1"]
    assert page["previous"] is None and "page=2" in page["next"]
    page2 = client_for_user.get(page["next"]).json()
    assert [k["name"] for k in page2["results"]] == ["k0", "expired"]
    assert page2["next"] is None

    assert_error(client_for_user.get(KEYS, {"page_size": 101}), 400, "validation_error")


# --- revoke -------------------------------------------------------------------------------


def test_delete_revokes_the_key_at_once(user, client_for_user, make_api_key):
    key, raw = make_api_key(user=user)
    assert api_key_client(raw).get(PROFILE).status_code == 200
    response = client_for_user.delete(f"{KEYS}/{key.pk}")
    assert response.status_code == 204
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert_error(api_key_client(raw).get(PROFILE), 401, "token_invalid")
    # A revoked key is gone for its owner: a second delete is a 404.
    assert_error(client_for_user.delete(f"{KEYS}/{key.pk}"), 404, "not_found")


def test_another_users_key_is_a_404_and_stays_usable(client_for_user, make_api_key):
    other = make_user()
    key, raw = make_api_key(user=other)
    assert_error(client_for_user.delete(f"{KEYS}/{key.pk}"), 404, "not_found")
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None
    assert api_key_client(raw).get(PROFILE).status_code == 200


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "123", "00000000-0000-0000-0000-000000000000"])
def test_malformed_or_unknown_id_is_a_404(client_for_user, bad_id):
    assert_error(client_for_user.delete(f"{KEYS}/{bad_id}"), 404, "not_found")


# --- keys cannot manage keys ----------------------------------------------------------------


def test_key_endpoints_refuse_api_key_authentication(user, make_api_key):
    key, raw = make_api_key(
        user=user, permissions=["profile:read", "content:read", "content:write", "billing:read"]
    )
    client = api_key_client(raw)
    assert_error(client.get(KEYS), 403, "permission_denied")
    assert_error(_create(client), 403, "permission_denied")
    assert_error(client.delete(f"{KEYS}/{key.pk}"), 403, "permission_denied")
    assert ApiKey.objects.count() == 1
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None


def test_key_endpoints_need_authentication(api_client):
    assert_error(api_client.get(KEYS), 401, "not_authenticated")
    assert_error(_create(api_client), 401, "not_authenticated")


# --- authentication rules -----------------------------------------------------------------


def test_expired_key_is_refused_at_once(user, make_api_key):
    key, raw = make_api_key(user=user)
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(api_key_client(raw).get(PROFILE), 401, "token_invalid")


@pytest.mark.parametrize(
    "header",
    [
        "Api-Key",
        "Api-Key hz_abcdefgh_short",
        "Api-Key not-a-key",
        "Api-Key a b",
        "Api-Key hz_aaaaaaaa_" + "A" * 43,
    ],
)
def test_malformed_or_unknown_keys_are_401(header):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert_error(client.get(PROFILE), 401, "token_invalid")


def test_a_key_with_a_tampered_secret_is_refused(user, make_api_key):
    _key, raw = make_api_key(user=user)
    tampered = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    assert_error(api_key_client(tampered).get(PROFILE), 401, "token_invalid")


@pytest.mark.parametrize("param", ["api_key", "apikey", "API_KEY", "key", "token"])
def test_a_key_in_the_query_string_is_refused(user, make_api_key, api_client, param):
    _key, raw = make_api_key(user=user)
    response = api_client.get(PROFILE, {param: raw})
    assert_error(response, 401, "token_invalid")
    # Even next to a valid key in the header.
    response = api_key_client(raw).get(PROFILE, {param: raw})
    assert_error(response, 401, "token_invalid")


def test_an_api_key_parameter_with_any_value_is_refused(user, make_api_key):
    _key, raw = make_api_key(user=user)
    assert_error(api_key_client(raw).get(PROFILE, {"api_key": "x"}), 401, "token_invalid")


def test_an_unrelated_key_parameter_is_not_refused(user, client_for_user):
    assert client_for_user.get(PROFILE, {"key": "value"}).status_code == 200


def test_a_deleted_users_key_is_refused(user, make_api_key):
    from accounts.services.users import user_soft_delete

    _key, raw = make_api_key(user=user)
    user_soft_delete(user=user)
    assert_error(api_key_client(raw).get(PROFILE), 401, "token_invalid")


def test_last_used_at_is_written_at_most_once_a_minute(
    user, make_api_key, django_assert_num_queries
):
    key, raw = make_api_key(user=user)
    client = api_key_client(raw)
    assert key.last_used_at is None
    assert client.get(PROFILE).status_code == 200
    first = ApiKey.objects.get(pk=key.pk).last_used_at
    assert first is not None and timezone.now() - first < timedelta(seconds=5)

    # Within the minute: no write (the key lookup + the one profile query, no UPDATE).
    with django_assert_num_queries(2) as ctx:
        assert client.get(PROFILE).status_code == 200
    assert not any(q["sql"].startswith("UPDATE") for q in ctx.captured_queries)
    assert ApiKey.objects.get(pk=key.pk).last_used_at == first

    # A minute later: one conditional UPDATE.
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first - timedelta(seconds=61))
    with django_assert_num_queries(3) as ctx:
        assert client.get(PROFILE).status_code == 200
    assert sum(q["sql"].startswith("UPDATE") for q in ctx.captured_queries) == 1
    assert ApiKey.objects.get(pk=key.pk).last_used_at > first


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_write_last_used_at_once():
    user = make_user()
    key, raw = api_key_create(user=user, name="k", permissions=["profile:read"])
    stale = timezone.now() - timedelta(minutes=5)
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=stale)

    def hit(client) -> int:
        from django.db import connection as conn

        with CaptureUpdates(conn) as cap:
            assert client.get(PROFILE).status_code == 200
        return cap.rows

    updates = run_concurrently(hit, args=[(api_key_client(raw),) for _ in range(4)])
    assert len(updates) == 4
    assert sum(updates) == 1  # exactly one request's UPDATE matched the row
    assert ApiKey.objects.get(pk=key.pk).last_used_at > stale
    connection.close()


class CaptureUpdates:
    """Counts rows changed by UPDATE api_keys statements run on ``conn`` (cursor rowcount)."""

    def __init__(self, conn):
        self.conn = conn
        self.rows = 0

    def __enter__(self):
        self._wrapper = self.conn.execute_wrapper(self._wrap)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)

    def _wrap(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith('UPDATE "api_keys"'):
            self.rows += context["cursor"].rowcount
        return result


def test_bearer_of_another_user_cannot_use_keys_of_someone_else(user, make_api_key):
    other = make_user()
    key, _ = make_api_key(user=other)
    assert_error(auth_client(user).delete(f"{KEYS}/{key.pk}"), 404, "not_found")
