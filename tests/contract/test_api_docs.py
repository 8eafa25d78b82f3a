"""The API docs read as a product's (docs/api.md; huntaze/schema.py, huntaze/api_intro.md): every
operation has a summary and a description, no developer note leaks into the schema, ``metadata``
is an object, error examples are real errors, enum errors list the valid values, and the schema
is served as JSON at /api/schema.json."""

from __future__ import annotations

import json
import re

import pytest

from huntaze.schema import STATUS_CODES
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db

# What a developer's note looks like: reST literals, file paths, internals, our tooling.
DEVELOPER_NOTES = re.compile(
    r"(?<!`)``(?!`)|docs/|\.py\b|\bSPEC\b|cProfile|to_representation|[Ss]erializer|fuzzer|"
    r"selector|services\.|select_related|drf-spectacular|TODO"
)


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema.json")
    assert response.status_code == 200, response.content[:300]
    assert (
        response["Content-Type"].startswith("application/") and "json" in response["Content-Type"]
    )
    return json.loads(response.content)


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation


def _texts(node, where=""):
    """Every description/summary in the schema, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("description", "summary") and isinstance(value, str):
                yield f"{where}.{key}", value
            else:
                yield from _texts(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _texts(value, f"{where}[{index}]")


def test_every_operation_has_a_summary_and_a_description(schema):
    operations = dict(_operations(schema))
    assert len(operations) >= 25
    lacking = [
        name
        for name, op in operations.items()
        if len(op.get("summary", "")) < 8 or len(op.get("description", "")) < 40
    ]
    assert not lacking, lacking


def test_no_developer_note_in_the_schema(schema):
    leaks = [(where, text[:120]) for where, text in _texts(schema) if DEVELOPER_NOTES.search(text)]
    assert not leaks, leaks


def test_the_introduction_covers_what_a_front_end_needs(schema):
    intro = schema["info"]["description"]
    for heading in (
        "## Authentication",
        "## Refreshing a session",
        "## Errors",
        "## Languages",
        "## Lists and pagination",
        "## Rate limits",
    ):
        assert heading in intro, heading
    for code in ("validation_error", "token_invalid", "invite_required", "quota_exceeded"):
        assert f"`{code}`" in intro
    assert "Accept-Language" in intro and "/api/schema.json" in intro


def test_metadata_is_a_json_object_in_and_out(schema):
    components = schema["components"]["schemas"]
    for name in ("ContentAssetOutput", "ContentAssetCreateInputRequest"):
        assert components[name]["properties"]["metadata"]["type"] == "object", name


def test_every_error_response_has_real_examples_of_its_status(schema):
    checked = 0
    for name, operation in _operations(schema):
        if name.startswith("GET /api/health"):  # the probes answer their own shape
            continue
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            content = response["content"]["application/json"]
            examples = content.get("examples")
            assert examples, (name, status)
            for example in examples.values():
                body = example["value"]
                assert set(body) == {"error"}, (name, status, body)
                error = body["error"]
                assert error["code"] in STATUS_CODES.get(status, ("internal_error",)), (
                    name,
                    status,
                    error,
                )
                assert error["message"] and "additionalProp" not in json.dumps(body)
                if error["code"] == "validation_error":
                    assert error["fields"] and all(error["fields"].values())
                checked += 1
    assert checked > 100


def _example(schema, path, method, status, key):
    response = schema["paths"][path][method]["responses"][status]
    return response["content"]["application/json"]["examples"][key]["value"]


def test_the_examples_are_what_the_api_answers(schema, api_client, client_for_user):
    """The documented bodies are the real ones, word for word (French, the default)."""
    cases = [
        (api_client.get("/api/content"), ("/api/content", "get", "401", "not_authenticated")),
        (
            client_for_user.post("/api/content", {}, format="json"),
            ("/api/content", "post", "400", "validation_error"),
        ),
        (
            client_for_user.post(
                "/api/content", {"title": "t", "content": "", "type": "FOO"}, format="json"
            ),
            ("/api/content", "post", "400", "validation_error_choice"),
        ),
        (
            api_client.post(
                "/api/auth/signup",
                {
                    "email": "a@example.test",
                    "password": "Xy-12345678",
                    "name": "A",
                    "invite_code": "0" * 16,
                },
                format="json",
            ),
            ("/api/auth/signup", "post", "403", "invite_required"),
        ),
        (
            api_client.generic("POST", "/api/auth/signin", "x", content_type="text/plain"),
            ("/api/auth/signin", "post", "415", "unsupported_media_type"),
        ),
    ]
    for response, where in cases:
        expected = _example(schema, *where)
        actual = response.json()
        if where[-1] == "validation_error":  # the example names one of the missing fields
            field, messages = next(iter(expected["error"]["fields"].items()))
            assert actual["error"]["fields"][field] == messages, where
            assert actual["error"]["message"] == expected["error"]["message"]
        else:
            assert actual == expected, where
    bad_token = api_client.get("/api/content", HTTP_AUTHORIZATION="Bearer not.a.token")
    assert bad_token.json() == _example(schema, "/api/content", "get", "401", "token_invalid")


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            "« FOO » n'est pas une valeur possible. Valeurs possibles : POST, STORY, VIDEO, "
            "IMAGE, CAPTION.",
        ),
        ("en", "“FOO” is not a valid value. Valid values: POST, STORY, VIDEO, IMAGE, CAPTION."),
    ],
)
def test_an_invalid_choice_lists_the_valid_values(client_for_user, language, expected):
    response = client_for_user.get("/api/content?type=FOO", HTTP_ACCEPT_LANGUAGE=language)
    assert assert_error(response, 400, "validation_error")["fields"] == {"type": [expected]}


def test_invalid_choices_in_bodies_and_lists_list_their_values_too(client_for_user):
    checkout = client_for_user.post(
        "/api/billing/checkout", {"plan": "GOLD", "interval": "week"}, format="json"
    )
    fields = assert_error(checkout, 400, "validation_error")["fields"]
    assert fields["plan"] == [
        "« GOLD » n'est pas une valeur possible. Valeurs possibles : PRO, ENTERPRISE."
    ]
    assert fields["interval"][0].endswith("Valeurs possibles : month, year.")
    key = client_for_user.post(
        "/api/keys", {"name": "k", "permissions": ["content:read", "admin"]}, format="json"
    )
    message = assert_error(key, 400, "validation_error")["fields"]["permissions"][0]
    assert message.startswith("« admin »") and "content:write" in message


def test_the_schema_json_url_and_the_docs_page(api_client):
    body = api_client.get("/api/schema.json").json()
    assert body["openapi"].startswith("3.") and body["info"]["title"] == "Huntaze API"
    docs = api_client.get("/api/docs")
    assert docs.status_code == 200 and b"/api/schema.json" in docs.content
    yaml = api_client.get("/api/schema")
    assert yaml.status_code == 200 and yaml.content.startswith(b"openapi:")
