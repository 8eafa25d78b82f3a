"""The OpenAPI schema documents every auth endpoint and both auth schemes."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/auth/signup": "201",
    "/api/auth/signin": "200",
    "/api/auth/refresh": "200",
    "/api/auth/signout": "204",
    "/api/auth/password/change": "204",
    "/api/auth/password/reset": "202",
    "/api/auth/password/reset/confirm": "204",
}


def test_schema_documents_auth_endpoints(api_client):
    r = api_client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert r.status_code == 200
    schema = r.json()
    schemes = schema["components"]["securitySchemes"]
    assert {"bearerAuth", "apiKeyAuth", "accessTokenCookie"} <= set(schemes)
    for path, success in PATHS.items():
        op = schema["paths"][path]["post"]
        assert success in op["responses"], path
        assert "requestBody" in op, path
    assert "400" in schema["paths"]["/api/auth/signup"]["post"]["responses"]
    assert "403" in schema["paths"]["/api/auth/signup"]["post"]["responses"]
    assert "409" in schema["paths"]["/api/auth/signup"]["post"]["responses"]
    assert "429" in schema["paths"]["/api/auth/signin"]["post"]["responses"]
    me = schema["paths"]["/api/auth/me"]["get"]
    assert {"bearerAuth": []} in me["security"] and {"apiKeyAuth": []} in me["security"]
    # Public endpoints ask for no credentials.
    assert schema["paths"]["/api/auth/signin"]["post"].get("security") in (None, [], [{}])
    user = schema["components"]["schemas"]["UserOutput"]["properties"]
    assert set(user) == {"id", "email", "name", "avatar", "role", "subscription", "created_at"}
