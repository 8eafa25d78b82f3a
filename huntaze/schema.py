"""The project's drf-spectacular AutoSchema: examples and error responses (docs/api.md, API docs).

**Examples of bodies.** Every JSON request body and every 2xx JSON answer of the schema has an
example, declared next to its serializer with ``schema_example``::

    @schema_example({"email": "camille@example.com", "password": "Lumiere-dhiver-27"})
    class SignInInput(serializers.Serializer): ...

A paginated list is ``paginated_output(name, ItemOutput, path)`` (its example is built from the
item's); a body that is not a serializer (the Stripe webhook) passes ``OpenApiExample`` to
``OpenApiRequest``/``OpenApiResponse``. ``require_examples`` (a postprocessing hook) refuses to
build a schema where one is missing, naming the operation: a new endpoint without examples
fails the schema tests (tests/contract/test_schema_examples.py).

**Error responses.** Found by the contract fuzzer (tests/robustness/test_fuzz_contract.py): most
operations documented only their success status. Each ``/api/`` operation gets, unless its view
documents that status itself, the error shape (``ErrorOutput``) for the statuses the framework
can give it:

- 400 ``validation_error`` when it takes a body or parameters;
- 401/403 when it requires authentication (no/invalid credentials, missing scope or role);
- 404 ``not_found`` when it has a path parameter or is paginated (a page past the end);
- 413/415 when it takes a body (too large, not JSON);
- 429 ``throttled`` when the view declares ``rate_limits`` (huntaze/throttles.py);
- 503 ``service_unavailable`` always (the database, or Stripe/the AI model, unreachable).

The examples of these errors are **never written by hand**: each is the body the exception
handler (``huntaze.exceptions.error_response_for``) gives the exception the code raises — the
view's permission classes' messages for a 403, the paginator's own errors for a bad or missing
page, the request serializer run on its own example with a field missing or a value outside an
enum for a 400, the exceptions a view names in ``error_response(description, *errors)`` (payment
or AI model not configured, a used invite). So the documented bodies cannot drift from the real
ones; tests/contract/test_schema_examples.py drives real requests to compare them.

It also documents a request body on DELETE when the view declares one with
``extend_schema(request=...)`` (DELETE /api/users/profile takes the password): drf-spectacular
drops DELETE bodies, so the fuzzer never sent the required field.

The schema is for front-end developers (docs/admin.md, API docs), so:

- **Docstrings stay in the code.** drf-spectacular publishes view and serializer docstrings as
  descriptions; ours are notes for developers ("measured with cProfile", module paths). Here
  an operation's description is only what its ``extend_schema(description=...)`` says, and a
  component's only what ``extend_schema_serializer(description=...)`` says.
- **Its prose is English.** Field titles come from the models' verbose names, which are the
  admin's French labels: they are rendered in English whatever the request's language. The
  examples' messages are what the API answers in the request's language (French by default).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.utils import translation
from drf_spectacular import openapi
from drf_spectacular.plumbing import force_instance, get_override, is_list_serializer
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import exceptions as drf
from rest_framework import serializers
from rest_framework.request import Request

from huntaze import exceptions as errors
from huntaze.fields import ChoiceField, StrictInput
from huntaze.pagination import PageNumberPagination

# The base URL of the examples' links (the production API).
EXAMPLE_BASE_URL = "https://api.huntaze.com"

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

# An error a response can document: an exception class (or a callable returning an exception),
# or ``(summary, that)``; the example is what the exception handler answers for it.
# ``VALIDATION`` stands for the operation's own 400 examples (its serializer's refusals).
ErrorFactory = Callable[[], Exception]
ErrorCase = ErrorFactory | tuple[str, ErrorFactory] | str
VALIDATION = "validation_error"

# The error of each code when a view names none: (summary, exception).
DEFAULT_ERRORS: dict[str, tuple[str, ErrorFactory]] = {
    "not_authenticated": ("No credentials", drf.NotAuthenticated),
    "token_invalid": ("Expired, revoked or malformed token or API key", errors.TokenInvalid),
    "invalid_credentials": (
        "Wrong email or password (the same answer for an unknown email)",
        errors.InvalidCredentials,
    ),
    "permission_denied": ("Not allowed", errors.PermissionDeniedError),
    "invite_required": ("No usable invite for this email and code", errors.InviteRequired),
    "not_found": ("Unknown id, another user's object, or a malformed id", errors.NotFound),
    "conflict": ("The request conflicts with the current state", errors.Conflict),
    "payload_too_large": ("Body over 1 MiB", errors.PayloadTooLarge),
    "unsupported_media_type": (
        "Body that is not application/json",
        lambda: drf.UnsupportedMediaType("text/plain"),
    ),
    "throttled": ("Rate limit reached; wait Retry-After seconds", lambda: drf.Throttled(wait=42)),
    "quota_exceeded": ("Monthly AI generation quota of the plan reached", errors.QuotaExceeded),
    "service_unavailable": (
        "The database cannot be reached, or a database wait ran past its bound",
        errors.ServiceUnavailable,
    ),
}


def error_example(exc: Exception) -> dict:
    """The body the API answers for ``exc``: the exception handler's own."""
    return dict(errors.error_response_for(exc).data)


# --- examples of bodies -----------------------------------------------------------------------


def schema_example(value: Any, *, summary: str | None = None):
    """Declare the example of a serializer (a class decorator): the body of a request it parses,
    or of a 2xx answer it renders. ``value`` is realistic: what a client sends or gets."""
    return extend_schema_serializer(
        examples=[OpenApiExample("example", value=value, summary=summary or "A typical body")]
    )


def declared_example(serializer: Any) -> Any:
    """The value ``schema_example`` declared on a serializer (class or instance), else None."""
    serializer = force_instance(serializer)
    if is_list_serializer(serializer):
        serializer = serializer.child
    for example in get_override(serializer, "examples", []) or []:
        return example.value
    return None


def paginated_output(name: str, item: type[serializers.Serializer], path: str):
    """The ``{results, next, previous}`` answer of a paginated list of ``item`` (docs/api.md,
    Lists), with an example built from ``item``'s: a first page with a next one."""
    item_example = declared_example(item)
    if item_example is None:
        raise ImproperlyConfigured(f"{item.__name__} has no schema_example")
    output = inline_serializer(
        name,
        {
            "results": item(many=True),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
        },
    )
    example = {
        "results": [item_example],
        "next": f"{EXAMPLE_BASE_URL}{path}?page=2",
        "previous": None,
    }
    schema_example(example)(type(output))
    return output


def _media_types(content: dict) -> Iterator[tuple[str, dict]]:
    for media_type, body in (content or {}).items():
        if media_type == "application/json" or media_type.endswith("+json"):
            yield media_type, body


def schema_bodies(schema: dict) -> Iterator[tuple[str, str, dict]]:
    """Every JSON request body and 2xx JSON answer of ``schema``: ``(kind, where, media)``,
    kind ``request`` or ``response``."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            name = f"{method.upper()} {path}"
            for _media_type, body in _media_types(operation.get("requestBody", {}).get("content")):
                yield "request", name, body
            for status, response in operation.get("responses", {}).items():
                if status.startswith("2"):
                    for _media_type, body in _media_types(response.get("content")):
                        yield "response", f"{name} {status}", body


def example_counts(schema: dict) -> dict[str, Any]:
    """How many request bodies and 2xx answers have an example, and which have none."""
    counts: dict[str, Any] = {"request": 0, "response": 0, "missing": []}
    for kind, where, body in schema_bodies(schema):
        if body.get("examples") or "example" in body:
            counts[kind] += 1
        else:
            counts["missing"].append(f"{kind} of {where}")
    return counts


def require_examples(result, generator, request, public):
    """Postprocessing hook: no schema without an example for every body (module docstring)."""
    missing = example_counts(result)["missing"]
    if missing:
        raise ImproperlyConfigured(
            "API schema: no example for the "
            + "; ".join(missing)
            + ". Declare one with huntaze.schema.schema_example on the serializer (docs/api.md, "
            "API docs)."
        )
    return result


# --- errors -------------------------------------------------------------------------------------


class ErrorResponse(OpenApiResponse):
    """An error response of ``extend_schema(responses=...)``: the error shape, described, with
    the errors it documents (``ErrorCase``s; none: the default ones of the codes the
    description names)."""

    def __init__(self, description: str, errors: Iterable[ErrorCase] = ()):
        super().__init__(ErrorOutput, description=description)
        self.errors = list(errors)


def error_response(description: str, *errors: ErrorCase) -> ErrorResponse:
    """An error response of ``extend_schema(responses=...)``; ``errors`` are the exceptions the
    code raises for it (their examples are the handler's answers)."""
    return ErrorResponse(description, errors)


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


def _paginator_error(page: str) -> Exception:
    """What the paginator raises for ``?page=<page>`` of an empty list."""
    request = Request(RequestFactory().get("/", {"page": page}))
    try:
        PageNumberPagination().paginate_queryset([], request)
    except Exception as exc:  # whatever it raises is what the API answers
        return exc
    raise ImproperlyConfigured(f"the paginator accepted page={page!r} of an empty list")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.strip("_<>")).lower()


def _case(case: ErrorCase, summary: str) -> tuple[str, ErrorFactory | None]:
    """``(summary, factory)`` of a declared error; a bare one is summed up by the response's
    description (docstrings are developer notes: never in the schema)."""
    if case == VALIDATION:
        return VALIDATION, None
    if isinstance(case, tuple):
        return case
    return summary, case


class AutoSchema(openapi.AutoSchema):
    def _get_examples(self, serializer, direction, media_type, status_code=None, extras=None):
        # drf-spectacular ignores a serializer's examples as soon as the view declares any,
        # even for the other direction (request examples in extend_schema hid the answer's):
        # the serializer's own apply wherever the view's give none.
        examples = super()._get_examples(serializer, direction, media_type, status_code, extras)
        if examples or not self.get_examples():
            return examples
        # extend_schema overrides get_examples in a subclass: shadow it on this instance.
        self.get_examples = list
        try:
            return super()._get_examples(serializer, direction, media_type, status_code, extras)
        finally:
            del self.get_examples

    def _get_format_parameters(self):
        # Formats are negotiated with the Accept header only (the streamed generation's
        # text/event-stream, huntaze/sse.py): no ``?format=`` parameter is offered.
        return []

    def get_description(self) -> str:
        # Only ``extend_schema(description=...)`` (which replaces this method): docstrings are
        # developer notes.
        return ""

    def _get_serializer_field_meta(self, field, direction):
        # Titles (the models' verbose names: the admin's French labels) and help texts in
        # English, the schema's language, whatever the request's.
        with translation.override("en"):
            return super()._get_serializer_field_meta(field, direction)

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
        if not self.path.startswith("/api/") or self.path.startswith("/api/health"):
            return responses  # the probes answer their own shape (huntaze/health.py)
        # A POST without a declared body (the billing portal) reads none: no 400/413/415.
        has_body = self.method in ("POST", "PUT", "PATCH", "DELETE") and self._declares_request()
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
            statuses.append("413")
        if has_body and self._request_serializer_class() is not None:
            statuses.append("415")  # a body read by DRF's parsers (the webhook reads raw bytes)
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
        declared = self._declared_errors()
        for status, response in responses.items():
            content = response.get("content", {}).get("application/json")
            if int(status) >= 400 and content is not None and "examples" not in content:
                content["examples"] = self._error_examples(
                    status, response.get("description") or "", declared.get(status, [])
                )
        return dict(sorted(responses.items()))

    def _declared_errors(self) -> dict[str, list[ErrorCase]]:
        """The errors the view's ``error_response(...)``s name, by status."""
        declared: dict[str, list[ErrorCase]] = {}
        responses = self.get_response_serializers()
        if isinstance(responses, dict):
            for key, response in responses.items():
                status = key[0] if isinstance(key, tuple) else key
                if isinstance(response, ErrorResponse) and response.errors:
                    declared[str(status)] = response.errors
        return declared

    def _error_examples(self, status: str, description: str, declared: list[ErrorCase]) -> dict:
        """The examples of an error response: the errors the view names, else those of the codes
        its description names, else of every code of its status."""
        if declared:
            cases = [_case(case, description) for case in declared]
        else:
            codes = STATUS_CODES.get(status, ())
            named = [code for code in codes if code in description]
            cases = []
            for code in named or codes:
                if code == "validation_error":
                    cases.append(("validation_error", None))
                else:
                    cases += self._default_cases(code)
        examples: dict = {}
        for summary, factory in cases:
            if factory is None:
                examples.update(self._validation_examples())
                continue
            body = error_example(factory())
            key = body["error"]["code"]
            if key in examples:
                key = _snake(getattr(factory, "__name__", "other"))
            while key in examples:
                key += "_"
            examples[key] = {"summary": summary, "value": body}
        return examples

    def _default_cases(self, code: str) -> list[tuple[str, ErrorFactory]]:
        if code == "permission_denied":
            # What DRF raises for each of the view's permissions that can refuse an
            # authenticated request: PermissionDenied with the permission's message.
            cases = []
            for permission in self.view.get_permissions():
                message = getattr(permission, "message", None)
                if message:
                    name = type(permission).__name__
                    summary = _PERMISSION_SUMMARIES.get(name, "Not allowed")
                    cases.append((summary, _bound(drf.PermissionDenied, message, name)))
            return cases or [DEFAULT_ERRORS[code]]
        if code == "not_found":
            cases = []
            if "{" in self.path:
                cases.append(DEFAULT_ERRORS["not_found"])
            if any(p.get("name") == "page" for p in self._get_parameters()):
                cases.append(
                    ("A page past the end of the list", _bound(_paginator_error, "2", "page"))
                )
            return cases or [DEFAULT_ERRORS[code]]
        if code in DEFAULT_ERRORS:
            return [DEFAULT_ERRORS[code]]
        return []

    # --- 400 validation_error, as this operation gives it --------------------------------------

    def _request_serializer_class(self) -> type[serializers.Serializer] | None:
        if self.method == "GET":
            return None
        serializer = force_instance(self.get_request_serializer())
        if not isinstance(serializer, serializers.Serializer):
            return None
        return type(serializer)

    def _validate(self, serializer_class, body: dict) -> dict:
        """The 400 the view answers when its request serializer rejects ``body``."""
        serializer = serializer_class(data=body, partial=self.method == "PATCH", context={})
        if serializer.is_valid():
            raise ImproperlyConfigured(
                f"{self.method} {self.path}: {serializer_class.__name__} accepts {body!r}, "
                "which its 400 example should show refused"
            )
        return error_example(drf.ValidationError(serializer.errors))

    def _validation_examples(self) -> dict:
        """400 ``validation_error`` as this operation gives it: its request serializer run on its
        own example with a required field left out, and with a value outside an enum; the body
        that is not JSON; the paginator's answer to a bad page number."""
        examples = {}
        serializer_class = self._request_serializer_class()
        body = declared_example(serializer_class) if serializer_class else None
        if isinstance(body, dict):
            fields = serializer_class().fields
            required = [
                name
                for name, field in fields.items()
                if field.required and not field.read_only and name in body
            ]
            if required and self.method != "PATCH":
                examples["validation_error"] = {
                    "summary": f"A required field is missing ({required[0]})",
                    "value": self._validate(
                        serializer_class, {k: v for k, v in body.items() if k != required[0]}
                    ),
                }
            for name, field in fields.items():
                if isinstance(field, serializers.MultipleChoiceField):
                    invalid: Any = ["FOO"]
                elif isinstance(field, serializers.ChoiceField):
                    invalid = "FOO"
                else:
                    continue
                examples["validation_error_choice"] = {
                    "summary": "A value that is not one of the valid ones",
                    "value": self._validate(serializer_class, {**body, name: invalid}),
                }
                break
            if issubclass(serializer_class, StrictInput):
                examples["validation_error_unknown_field"] = {
                    "summary": "A field this operation does not take",
                    "value": self._validate(serializer_class, {**body, "role": "ADMIN"}),
                }
        if serializer_class is not None:
            examples["validation_error_json"] = {
                "summary": "A body that is not valid JSON",
                "value": error_example(drf.ParseError()),
            }
        for parameter in self.get_override_parameters():
            if isinstance(parameter, OpenApiParameter) and parameter.enum:
                if parameter.location != OpenApiParameter.QUERY:
                    continue
                # The query serializers' field (huntaze.fields.ChoiceField), with the values in
                # the order the view declares them ("" means no filter).
                field = ChoiceField(choices=[value for value in parameter.enum if value != ""])
                try:
                    field.run_validation("FOO")
                except drf.ValidationError as exc:
                    detail = exc.detail
                examples["validation_error_choice"] = {
                    "summary": "A value that is not one of the valid ones",
                    "value": error_example(drf.ValidationError({parameter.name: detail})),
                }
                break
        if any(p.get("name") == "page" for p in self._get_parameters()):
            examples["validation_error_page"] = {
                "summary": "A page number that is not a positive integer",
                "value": error_example(_paginator_error("0")),
            }
        if not examples:
            examples["validation_error"] = {
                "summary": "A Host header that is not this API's",
                "value": error_example(errors.host_not_allowed()),
            }
        return examples


_PERMISSION_SUMMARIES = {
    "ApiKeyScope": "An API key without the scope this operation needs (or any API key where "
    "keys are refused)",
    "IsAdminRole": "A creator on a staff (ADMIN) route",
}


def _bound(function: Callable, argument: Any, name: str) -> ErrorFactory:
    """``function(argument)`` as a named factory (its name keys the example)."""

    def factory() -> Exception:
        return function(argument)

    factory.__name__ = name
    return factory
