"""Black-box contract checks not covered elsewhere (docs/api.md: Auth, Content, the OpenAPI schema)."""

from __future__ import annotations

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.test import override_settings

from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


class BrokenEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError(111, "Connection refused")


@override_settings(EMAIL_BACKEND="tests.contract.test_contract_misc.BrokenEmailBackend")
def test_password_reset_is_202_even_when_the_mail_server_is_down(make_user, api_client):
    """docs/api.md, Auth: 202 whether or not the email exists; a 500 for known addresses only would
    also reveal which addresses have an account."""
    make_user(email="known@example.test")
    known = api_client.post(
        "/api/auth/password/reset", {"email": "known@example.test"}, format="json"
    )
    unknown = api_client.post(
        "/api/auth/password/reset", {"email": "unknown@example.test"}, format="json"
    )
    assert unknown.status_code == 202
    assert known.status_code == 202


def test_metadata_too_large_message_has_no_placeholder(make_user, auth_client):
    client = auth_client(make_user())
    body = {"title": "t", "content": "c", "type": "POST", "metadata": {"x": "y" * 17000}}
    response = client.post("/api/content", body, format="json")
    error = assert_error(response, 400, "validation_error")
    message = " ".join(error["fields"]["metadata"])
    assert "%(" not in message
    assert "16" in message  # the limit is stated


def test_openapi_lists_are_documented_as_paginated_objects(api_client):
    schema = api_client.get("/api/schema", {"format": "json"}).json()
    for path in ("/api/content", "/api/keys", "/api/invites"):
        response = schema["paths"][path]["get"]["responses"]["200"]
        body = response["content"]["application/json"]["schema"]
        if "$ref" in body:
            body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
        assert body.get("type") == "object", (path, body)
        assert {"results", "next", "previous"} <= set(body.get("properties", {})), path
