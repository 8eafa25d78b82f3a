"""Hostile input on every POST/PATCH endpoint and on the id/list endpoints: each a 4xx in the
API's error shape, never a 500 (docs/api.md, Errors)."""

from __future__ import annotations

import json
import socket
import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests import factories
from tests.conftest import assert_error
from tests.robustness.conftest import ALL_SCOPES


def _body_operations() -> list[tuple[str, str, dict]]:
    """(method, path, {property: schema}) of every operation with a JSON body, from the schema."""
    spec = json.loads(json.dumps(SchemaGenerator().get_schema(public=True), default=str))
    components = spec["components"]["schemas"]
    found = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method not in ("post", "patch", "put", "delete") or "{" in path:
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            properties = {}
            if body:
                ref = body["schema"].get("$ref", "")
                properties = components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
            if body or method in ("post", "patch"):
                found.append((method, path, properties))
    return found


BODY_OPERATIONS = _body_operations()
IDS = [f"{m.upper()} {p}" for m, p, _ in BODY_OPERATIONS]


@pytest.fixture
def clients(db, high_rate_limits, stripe_standin, ai_standin):
    creator = factories.make_user()
    admin = factories.make_admin()
    _, key = factories.make_api_key(user=creator, permissions=ALL_SCOPES)
    return {
        "creator": factories.auth_client(creator),
        "admin": factories.auth_client(admin),
        "creator_user": creator,
        "key": key,
    }


def _client_for(path: str, clients) -> APIClient:
    return clients["admin"] if path.startswith("/api/invites") else clients["creator"]


def _assert_4xx(response, *allowed: int) -> dict:
    """A 4xx (one of ``allowed`` when given) in the error shape; never a 5xx or a success."""
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if allowed:
        assert response.status_code in allowed, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    return body["error"]


def _never_5xx(response) -> None:
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if response.status_code >= 400:
        _assert_4xx(response)


@pytest.mark.parametrize(("method", "path", "properties"), BODY_OPERATIONS, ids=IDS)
def test_malformed_json_is_400(clients, method, path, properties):
    client = _client_for(path, clients)
    for raw in (b'{"title": ', b"{'single': 'quotes'}", b"\xff\xfe\x00", b"[1, 2", b"NaN"):
        response = client.generic(method.upper(), path, raw, content_type="application/json")
        if path == "/api/billing/webhook":
            assert_error(response, 400, "invalid_signature")
        elif path == "/api/billing/portal":
            _never_5xx(response)  # takes no body, never reads it
        else:
            error = _assert_4xx(response, 400)
            assert error["code"] == "validation_error"


@pytest.mark.parametrize(("method", "path", "properties"), BODY_OPERATIONS, ids=IDS)
def test_wrong_content_types_are_415(clients, method, path, properties):
    client = _client_for(path, clients)
    cases = [
        (b"title=x&content=y", "application/x-www-form-urlencoded"),
        (b"title x", "text/plain"),
        (
            b'--B\r\nContent-Disposition: form-data; name="title"\r\n\r\nx\r\n--B--\r\n',
            "multipart/form-data; boundary=B",
        ),
        (b"<a/>", "application/xml"),
    ]
    for raw, content_type in cases:
        response = client.generic(method.upper(), path, raw, content_type=content_type)
        if path in ("/api/billing/webhook", "/api/billing/portal"):
            _never_5xx(response)  # the webhook verifies the raw body; the portal has none
        else:
            assert_error(response, 415, "unsupported_media_type")


HOSTILE_STRINGS = {
    "nul": "a\x00b",
    "lone_surrogate": "a\ud800b",
    "rtl_override": "\u202eevil\u202c",
    "emoji": "😀🏳️‍🌈",
    "zero_width": "a\u200bb\ufeff",
}
REFUSED = {"nul", "lone_surrogate"}


def _hostile_body(path: str, properties: dict, value: str) -> dict:
    """Every string field of the body set to ``value`` (arrays get it as an item)."""
    body = {}
    for name, prop in properties.items():
        if prop.get("type") == "array":
            body[name] = [value]
        elif prop.get("type", "string") == "string" or "$ref" in prop or "enum" in prop:
            body[name] = value
    if path == "/api/invites":
        body["emails"] = [f"x{value}@example.test"]
    return body


STRING_BODY_OPERATIONS = [op for op in BODY_OPERATIONS if _hostile_body(op[1], op[2], "x")]


@pytest.mark.parametrize(
    ("method", "path", "properties"),
    STRING_BODY_OPERATIONS,
    ids=[f"{m.upper()} {p}" for m, p, _ in STRING_BODY_OPERATIONS],
)
@pytest.mark.parametrize("kind", sorted(HOSTILE_STRINGS))
def test_odd_unicode_in_every_string_field(clients, method, path, properties, kind):
    """Every string field of the body set to the hostile value (arrays get it as an item):
    NUL and lone surrogates are a 400 wherever the value is read; the rest is never a 5xx."""
    value = HOSTILE_STRINGS[kind]
    body = _hostile_body(path, properties, value)
    # json.dumps escapes a lone surrogate as \ud800, as a hostile client would send it.
    raw = json.dumps(body).encode()
    response = _client_for(path, clients).generic(
        method.upper(), path, raw, content_type="application/json"
    )
    if kind in REFUSED and path not in ("/api/billing/webhook", "/api/billing/portal"):
        _assert_4xx(response, 400, 401, 403)
    else:
        _never_5xx(response)


@pytest.mark.parametrize("kind", sorted(HOSTILE_STRINGS))
def test_odd_unicode_in_query_and_path(clients, kind):
    from urllib.parse import quote

    value = HOSTILE_STRINGS[kind]
    encoded = quote(value.encode("utf-8", "surrogatepass"))
    creator, admin = clients["creator"], clients["admin"]
    for param in ("q", "tag", "category", "type", "page", "page_size"):
        _never_5xx(creator.get(f"/api/content?{param}={encoded}"))
    for param in ("status", "page", "page_size"):
        _never_5xx(admin.get(f"/api/invites?{param}={encoded}"))
    _never_5xx(creator.get(f"/api/keys?page={encoded}"))
    for url in (f"/api/content/{encoded}", f"/api/keys/{encoded}"):
        for method in ("get", "patch", "delete"):
            response = getattr(creator, method)(url)
            if not (url.startswith("/api/keys") and method != "delete"):
                assert_error(response, 404, "not_found")
    assert_error(admin.delete(f"/api/invites/{encoded}"), 404, "not_found")
    # Invalid UTF-8 in the path and query string (a lone surrogate's raw bytes).
    _never_5xx(creator.get("/api/content/%ED%A0%80"))
    _never_5xx(creator.get("/api/content?q=%ED%A0%80&tag=%FF"))


@pytest.mark.parametrize(("method", "path", "properties"), BODY_OPERATIONS, ids=IDS)
def test_declared_body_past_the_limit_is_413(clients, method, path, properties, settings):
    client = _client_for(path, clients)
    raw = b'{"title": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + b'"}'
    response = client.generic(method.upper(), path, raw, content_type="application/json")
    assert_error(response, 413, "payload_too_large")


@pytest.mark.parametrize(("method", "path", "properties"), BODY_OPERATIONS, ids=IDS)
def test_deeply_nested_json_is_400(clients, method, path, properties):
    client = _client_for(path, clients)
    for raw in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000):
        response = client.generic(method.upper(), path, raw, content_type="application/json")
        if path in ("/api/billing/webhook", "/api/billing/portal"):
            _never_5xx(response)
        else:
            assert_error(response, 400, "validation_error")


@pytest.mark.parametrize(("method", "path", "properties"), BODY_OPERATIONS, ids=IDS)
def test_wrong_json_types_are_400(clients, method, path, properties):
    """A JSON array, string, number or null as the whole body, and every field of the wrong
    type (an object where a string is expected, a huge number, a deep list)."""
    client = _client_for(path, clients)
    wrong_fields = {name: {"$gt": ""} for name in properties}
    huge = {name: 10**400 if name != "metadata" else [[[[[]]]]] for name in properties}
    for body in ([], "x", 12, None, True, wrong_fields, huge):
        raw = json.dumps(body).encode() if body is not huge else _dumps_big(body)
        response = client.generic(method.upper(), path, raw, content_type="application/json")
        if path in ("/api/billing/webhook", "/api/billing/portal", "/api/auth/signout"):
            _never_5xx(response)  # no signature / no body / idempotent sign-out
        elif not properties and body == {}:
            _never_5xx(response)  # an operation without fields: {} is its whole, valid body
        elif path == "/api/auth/refresh" and isinstance(body, dict):
            # A refresh token of any shape that we cannot use is 401: sign in again.
            assert_error(response, 401, "token_invalid")
        else:
            _assert_4xx(response, 400, 409)


def _dumps_big(body: dict) -> bytes:
    return (
        json.dumps({k: "__BIG__" if v == 10**400 else v for k, v in body.items()})
        .replace('"__BIG__"', "1" + "0" * 400)
        .encode()
    )


@pytest.mark.parametrize(
    "query",
    [
        "page_size=101",
        "page_size=0",
        "page_size=-1",
        "page_size=1e3",
        "page_size=" + "9" * 40,
        "page_size=abc",
        "page=0",
        "page=-5",
        "page=" + "9" * 40,
        "page=abc",
        "page=1000001",
        "page=999999",
        "page_size=100&page=999999",
    ],
)
def test_huge_or_bad_page_numbers_and_sizes(clients, query):
    creator, admin = clients["creator"], clients["admin"]
    for client, path in (
        (creator, "/api/content"),
        (creator, "/api/keys"),
        (admin, "/api/invites"),
    ):
        response = client.get(f"{path}?{query}")
        if query in ("page=999999", "page_size=100&page=999999"):
            # Past the last page: a 404, never an empty page linking back to another missing one.
            assert_error(response, 404, "not_found")
        else:
            error = assert_error(response, 400, "validation_error")
            assert set(error["fields"]) == {query.split("&")[-1].split("=")[0]}


BAD_IDS = [
    "0",
    "-1",
    "99999999999999999999999999",
    "not-a-uuid",
    str(uuid.uuid4()),
    "00000000-0000-0000-0000-000000000000",
    "'; DROP TABLE content_contentasset; --",
    "..%2F..%2Fetc%2Fpasswd",
    "x" * 5000,
    "%25",
]


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_out_of_range_and_malformed_ids_are_404(clients, bad_id):
    creator, admin = clients["creator"], clients["admin"]
    for method in ("get", "patch", "delete"):
        response = getattr(creator, method)(f"/api/content/{bad_id}", {"title": "x"}, format="json")
        assert_error(response, 404, "not_found")
    assert_error(creator.delete(f"/api/keys/{bad_id}"), 404, "not_found")
    assert_error(admin.delete(f"/api/invites/{bad_id}"), 404, "not_found")
    assert_error(creator.get(f"/api/{bad_id}"), 404, "not_found")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer ",
        "Bearer \x00",
        "Bearer " + "a" * 10_000,
        "Bearer a.b.c",
        "Api-Key ",
        "Api-Key hz_\u202e",
        "Api-Key " + "hz_" + "x" * 10_000,
        "Basic Zm9vOmJhcg==",
        "Bearer\tx",
    ],
)
def test_garbage_credentials_are_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/content")
    _assert_4xx(response, 401)


# --- the real server: a body without Content-Length, and one past the limit ------------------


@pytest.fixture(scope="module")
def gunicorn_server():
    from tests.servers import EmbeddedPostgres, Gunicorn, migrate, production_env

    pg = EmbeddedPostgres("hostile")
    server = None
    try:
        env = production_env(pg.start())
        migrate(env)
        server = Gunicorn(env, workers=1)
        yield server
    finally:
        if server:
            server.stop()
        pg.destroy()


def _raw_http(port: int, request: bytes, chunks=(), timeout: float = 10) -> tuple[int, bytes]:
    """Send raw bytes (and, if given, a chunked body), parse the answer with http.client."""
    import http.client

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        try:
            for chunk in chunks:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            if chunks:
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading everything: fine
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read()


@pytest.mark.slow
def test_chunked_body_without_content_length_is_4xx_and_the_worker_lives(gunicorn_server):
    head = (
        b"POST /api/auth/signin HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    big = [b'{"email": "a@example.test", "password": "'] + [b"x" * 65536] * 32 + [b'"}']
    status, body = _raw_http(gunicorn_server.port, head, big)
    assert 400 <= status < 500, (status, body[:300])
    assert set(json.loads(body)) == {"error"}
    # The worker is alive and serves the next request.
    status, _ = _raw_http(
        gunicorn_server.port,
        b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    assert status == 200


@pytest.mark.slow
def test_declared_oversized_body_is_413_on_the_real_server(gunicorn_server):
    head = (
        b"POST /api/auth/signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 50000000\r\nConnection: close\r\n\r\n"
    )
    status, body = _raw_http(gunicorn_server.port, head + b"{" + b"x" * 1000)
    assert status == 413, body[:300]
    assert json.loads(body)["error"]["code"] == "payload_too_large"
    status, _ = _raw_http(
        gunicorn_server.port,
        b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    )
    assert status == 200
