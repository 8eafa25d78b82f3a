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

The schema is for front-end developers (docs/admin.md, API docs), so:

- **Docstrings stay in the code.** drf-spectacular publishes view and serializer docstrings as
  descriptions; ours are notes for developers ("measured with cProfile", module paths). Here
  an operation's description is only what its ``extend_schema(description=...)`` says, and a
  component's only what ``extend_schema_serializer(description=...)`` says.
- **Every error response carries realistic examples** (``ERROR_EXAMPLES``: the real codes and
  the default French messages, a 400 naming a field the operation takes), instead of Swagger
  UI's ``fields.additionalProp1..3`` made up from the schema.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance, get_override
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


def _error(code: str, message: str, fields: dict | None = None) -> dict:
    body: dict = {"code": code, "message": message}
    if fields is not None:
        body["fields"] = fields
    return {"error": body}


# Realistic error bodies, by code: what the API answers (messages in French, the default;
# ``Accept-Language: en`` gives English). ``{field}`` is a field of the operation.
ERROR_EXAMPLES: dict[str, tuple[str, dict]] = {
    "invalid_signature": (
        "The Stripe-Signature header does not match",
        _error("invalid_signature", "Signature Stripe invalide."),
    ),
    "not_authenticated": (
        "No credentials",
        _error("not_authenticated", "Informations d'authentification non fournies."),
    ),
    "token_invalid": (
        "Expired, revoked or malformed token or API key",
        _error("token_invalid", "Jeton invalide ou expiré."),
    ),
    "invalid_credentials": (
        "Wrong email or password (the same answer for an unknown email)",
        _error("invalid_credentials", "Email ou mot de passe incorrect."),
    ),
    "permission_denied": (
        "Not allowed (an API key without the scope, a creator on an ADMIN route)",
        _error("permission_denied", "Vous n'avez pas la permission d'effectuer cette action."),
    ),
    "invite_required": (
        "No usable invite for this email and code",
        _error("invite_required", "Bêta fermée - invitation requise"),
    ),
    "not_found": (
        "Unknown id, another user's object, or a page past the end",
        _error("not_found", "Ressource introuvable."),
    ),
    "conflict": (
        "The request conflicts with the current state",
        _error("conflict", "Cette adresse email est déjà utilisée."),
    ),
    "payload_too_large": (
        "Body over 1 MiB",
        _error("payload_too_large", "Corps de requête trop volumineux."),
    ),
    "unsupported_media_type": (
        "Body that is not application/json",
        _error("unsupported_media_type", "Type de média «\u00a0text/plain\u00a0» non supporté."),
    ),
    "throttled": (
        "Rate limit reached; wait Retry-After seconds",
        _error("throttled", "Trop de requêtes. Réessayez dans 42 secondes."),
    ),
    "quota_exceeded": (
        "Monthly AI generation quota of the plan reached",
        _error("quota_exceeded", "Quota mensuel atteint."),
    ),
    "service_unavailable": (
        "The database, Stripe or the AI model cannot be reached (or is not configured)",
        _error("service_unavailable", "Service temporairement indisponible."),
    ),
}
# The codes each status can carry (docs/api.md, Errors), in the order shown.
STATUS_CODES = {
    "400": ("validation_error", "invalid_signature"),
    "401": ("not_authenticated", "token_invalid", "invalid_credentials"),
    "403": ("permission_denied", "invite_required"),
    "404": ("not_found",),
    "409": ("conflict",),
    "413": ("payload_too_large",),
    "415": ("unsupported_media_type",),
    "429": ("throttled", "quota_exceeded"),
    "503": ("service_unavailable",),
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
    def _get_format_parameters(self):
        # Formats are negotiated with the Accept header only (the streamed generation's
        # text/event-stream, huntaze/sse.py): no ``?format=`` parameter is offered.
        return []

    def get_description(self) -> str:
        # Only ``extend_schema(description=...)`` (which replaces this method): docstrings are
        # developer notes.
        return ""

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        schema.pop("description", None)
        description = get_override(serializer, "description", None)
        if description:
            schema["description"] = str(description)
        return schema

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
        for status, response in responses.items():
            content = response.get("content", {}).get("application/json")
            if int(status) >= 400 and content is not None and "examples" not in content:
                content["examples"] = self._error_examples(status, response.get("description"))
        return dict(sorted(responses.items()))

    def _error_examples(self, status: str, description: str | None) -> dict:
        """The examples of an error response: the codes its description names, else every code
        of its status; a 400 names a field of this operation."""
        codes = STATUS_CODES.get(status, ("internal_error",))
        named = [code for code in codes if code in (description or "")]
        examples = {}
        for code in named or codes:
            if code == "validation_error":
                examples.update(self._validation_examples())
                continue
            summary, value = ERROR_EXAMPLES.get(
                code, ("Unexpected error", _error("internal_error", "Erreur interne."))
            )
            examples[code] = {"summary": summary, "value": value}
        return examples

    def _validation_examples(self) -> dict:
        """400 ``validation_error`` as this operation gives it: a required body field missing,
        a value outside an enum (the message lists the valid ones), a bad page number."""
        examples = {}
        serializer = force_instance(self.get_request_serializer()) if self.method != "GET" else None
        fields = dict(getattr(serializer, "fields", None) or {})
        required = [n for n, f in fields.items() if f.required and not f.read_only]
        if required:
            examples["validation_error"] = {
                "summary": "A required field is missing",
                "value": _invalid(required[0], "Ce champ est obligatoire."),
            }
        parameters = [p for p in self._get_parameters() if p.get("in") == "query"]
        choices = [(n, list(f.choices)) for n, f in fields.items() if hasattr(f, "choices")]
        choices += [
            (p["name"], [v for v in p["schema"]["enum"] if v != ""])  # "" = no filter
            for p in parameters
            if "enum" in p.get("schema", {})
        ]
        if choices:
            name, values = choices[0]
            examples["validation_error_choice"] = {
                "summary": "A value that is not one of the valid ones",
                "value": _invalid(
                    name,
                    "« FOO » n'est pas une valeur possible. Valeurs possibles : "
                    + ", ".join(str(v) for v in values)
                    + ".",
                ),
            }
        if any(p["name"] == "page" for p in parameters):
            examples["validation_error_page"] = {
                "summary": "A page number that is not a positive integer",
                "value": _invalid("page", "Page invalide."),
            }
        if not examples:
            examples["validation_error"] = {
                "summary": "Invalid input",
                "value": _invalid("non_field_errors", "Requête invalide."),
            }
        return examples


def _invalid(field: str, message: str) -> dict:
    return _error("validation_error", "Données invalides.", {field: [message]})
