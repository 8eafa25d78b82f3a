"""The project's drf-spectacular AutoSchema: the error responses (docs/api.md, Errors) in the schema.

Found by the contract fuzzer (tests/robustness/test_fuzz_contract.py, docs/robustness.md): most
operations documented only their success status, so every 400/401/403/404/409/429/503 the API
answers by contract was an "undocumented status code". Rather than repeat the same responses on
every view, each ``/api/`` operation gets, unless its view documents that status itself, the
error shape (``ErrorOutput``) for the statuses the framework can give it:

- 400 ``validation_error`` when it takes a body or parameters;
- 401/403 when it requires authentication (no/invalid credentials, missing scope or role);
- 404 ``not_found`` when it has a path parameter or is paginated (a page past the end);
- 413/415 when it takes a body (too large, not JSON);
- 429 ``throttled`` when the view declares ``rate_limits`` (huntaze/throttles.py);
- 503 ``service_unavailable`` always (the database, or Stripe/the AI model, unreachable).

An error status a view documents by description only (``OpenApiResponse(description=...)``)
gets the error shape as its content.

It also documents a request body on DELETE when the view declares one with
``extend_schema(request=...)`` (DELETE /api/users/profile takes the password): drf-spectacular
drops DELETE bodies, so the fuzzer never sent the required field.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

_DESCRIPTIONS = {
    "400": "validation_error (with fields)",
    "401": "not_authenticated or token_invalid",
    "403": "permission_denied",
    "404": "not_found",
    "413": "payload_too_large",
    "415": "unsupported_media_type",
    "429": "throttled (Retry-After header)",
    "503": "service_unavailable",
}


# Security schemes of the endpoints that refuse API keys (documents the 403 for keys).
NO_API_KEY = [{"bearerAuth": []}, {"accessTokenCookie": []}, {"cookieAuth": []}]


class ErrorDetailOutput(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class ErrorOutput(serializers.Serializer):
    """The error shape of every /api/ answer (docs/api.md, Errors)."""

    error = ErrorDetailOutput()


def error_response(description: str) -> OpenApiResponse:
    """An error response of ``extend_schema(responses=...)``: the error shape, described."""
    return OpenApiResponse(ErrorOutput, description=description)


class AutoSchema(openapi.AutoSchema):
    def get_request_serializer(self):
        # A DELETE has a body only when its view method declares one with
        # extend_schema(request=...), whose override answers before reaching this method.
        if self.method == "DELETE":
            return None
        return super().get_request_serializer()

    def _declares_request(self) -> bool:
        return self.get_request_serializer() is not None

    def _get_request_body(self, direction="request"):
        if self.method != "DELETE" or not self._declares_request():
            return super()._get_request_body(direction)
        self.method = "POST"  # the parent only builds bodies for PUT/PATCH/POST
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if not self.path.startswith("/api/"):
            return responses
        has_body = self.method in ("POST", "PUT", "PATCH") or (
            self.method == "DELETE" and self._declares_request()
        )
        has_path_params = "{" in self.path
        query = {p["name"] for p in self._get_parameters() if p.get("in") == "query"}
        auth = self.get_auth()
        authenticated = bool(auth) and {} not in auth
        statuses = ["503"]
        if has_body or query or has_path_params:
            statuses.append("400")
        if authenticated:
            statuses += ["401", "403"]
        if has_path_params or "page" in query:
            statuses.append("404")
        if has_body:
            statuses += ["413", "415"]
        if getattr(self.view, "rate_limits", None):
            statuses.append("429")
        ref = self.resolve_serializer(ErrorOutput, "response").ref
        # An error a view documents by description only (``OpenApiResponse(description=...)``)
        # gets the error shape too.
        for status, response in responses.items():
            if int(status) >= 400 and not response.get("content"):
                response["content"] = {"application/json": {"schema": ref}}
        for status in statuses:
            responses.setdefault(
                status,
                {
                    "description": _DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": ref}},
                },
            )
        return dict(sorted(responses.items()))
