import pytest
from django.db import IntegrityError, OperationalError

from accounts.services.tokens import access_token_issue
from huntaze.exceptions import exception_handler
from tests.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_unknown_api_path_is_a_json_404(api_client):
    assert_error(api_client.get("/api/nope/nothing"), 404, "not_found")
    assert_error(api_client.post("/api/nope", {}, format="json"), 404, "not_found")


def test_no_credentials_is_401_not_authenticated(api_client):
    assert_error(api_client.get("/api/auth/me"), 401, "not_authenticated")


def test_bad_bearer_token_is_401_token_invalid(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-jwt")
    assert_error(api_client.get("/api/auth/me"), 401, "token_invalid")


def test_bearer_token_of_another_type_is_refused(api_client, user, settings):
    import jwt

    token = jwt.encode(
        {"sub": str(user.pk), "jti": "x", "iat": 1, "exp": 4102444800, "type": "refresh"},
        settings.JWT_SIGNING_KEY,
        algorithm="HS256",
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_error(api_client.get("/api/auth/me"), 401, "token_invalid")


def test_unsigned_token_is_refused(api_client, user):
    import jwt

    token = jwt.encode(
        {"sub": str(user.pk), "jti": "x", "iat": 1, "exp": 4102444800, "type": "access"},
        key=None,
        algorithm="none",
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert_error(api_client.get("/api/auth/me"), 401, "token_invalid")


def test_valid_bearer_token_with_or_without_trailing_slash(api_client, user):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token_issue(user=user)}")
    for path in ("/api/auth/me", "/api/auth/me/"):
        response = api_client.get(path)
        assert response.status_code == 200, path
        assert response.json()["email"] == user.email
        assert "password" not in response.json()


def test_method_not_allowed_has_the_error_shape(client_for_user):
    assert_error(client_for_user.post("/api/auth/me", {}, format="json"), 405, "method_not_allowed")


def test_foreign_host_is_a_400_in_the_error_shape(api_client):
    error = assert_error(
        api_client.get("/api/auth/me", HTTP_HOST="evil.example.com"), 400, "validation_error"
    )
    assert "host" in error["fields"]


def test_messages_are_french_by_default_and_english_on_request(api_client):
    fr = api_client.get("/api/nope").json()["error"]
    en = api_client.get("/api/nope", HTTP_ACCEPT_LANGUAGE="en").json()["error"]
    assert fr["code"] == en["code"] == "not_found"
    assert fr["message"] == "Ressource introuvable."
    assert en["message"] == "Not found."


def test_integrity_error_maps_to_409_and_lost_database_to_503():
    conflict = exception_handler(IntegrityError("duplicate key secret-detail"), {})
    assert conflict.status_code == 409 and conflict.data["error"]["code"] == "conflict"
    assert "secret-detail" not in str(conflict.data)
    outage = exception_handler(OperationalError("connection refused to 10.0.0.1"), {})
    assert outage.status_code == 503 and outage.data["error"]["code"] == "service_unavailable"
    assert "10.0.0.1" not in str(outage.data)


def test_unexpected_error_is_a_bare_500():
    from django.utils import translation

    with translation.override("fr"):
        response = exception_handler(RuntimeError("boom /etc/passwd"), {})
    assert response.status_code == 500
    assert response.data == {"error": {"code": "internal_error", "message": "Erreur interne."}}


def test_openapi_schema_and_docs_are_served(api_client):
    schema = api_client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    body = schema.json()
    assert "/api/auth/me" in body["paths"]
    assert {"bearerAuth", "apiKeyAuth"} <= set(body["components"]["securitySchemes"])
    assert api_client.get("/api/docs").status_code == 200


def test_body_past_the_size_limit_is_a_413_before_any_parsing(api_client, settings):
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = api_client.generic("POST", "/api/auth/signin", body, content_type="application/json")
    assert_error(response, 413, "payload_too_large")


def test_data_error_and_recursion_map_to_400():
    from django.db import DataError

    response = exception_handler(DataError("A string literal cannot contain NUL (0x00)"), {})
    assert response.status_code == 400 and response.data["error"]["code"] == "validation_error"
    assert "NUL" not in str(response.data)
    assert exception_handler(RecursionError(), {}).status_code == 400


def test_a_session_request_failing_csrf_gets_a_translated_403(make_user):
    from django.test import Client

    make_user(email="sess@example.test", password="Sess-pass-12345")
    client = Client(enforce_csrf_checks=True)
    assert client.login(email="sess@example.test", password="Sess-pass-12345")
    response = client.patch("/api/users/profile", {"name": "x"}, content_type="application/json")
    error = assert_error(response, 403, "permission_denied")
    assert error["message"] == "Vérification CSRF échouée."
