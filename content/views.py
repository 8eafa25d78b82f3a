"""Content endpoints (docs/api.md, Content): thin views over content.services and content.selectors."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import exceptions as drf
from rest_framework import status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from content import ai_client, selectors, services
from content.ai_usage import AiBudgetExhausted
from content.models import ContentType
from content.serializers import (
    ContentAssetCreateInput,
    ContentAssetOutput,
    ContentAssetUpdateInput,
    ContentGenerateInput,
    ContentListQuery,
    GeneratedAssetOutput,
)
from huntaze.exceptions import NotFound, QuotaExceeded, ServiceUnavailable, error_response_for
from huntaze.pagination import PAGE_PARAMETERS, PageNumberPagination
from huntaze.schema import VALIDATION, error_response, paginated_output
from huntaze.sse import (
    EventStreamRenderer,
    JsonErrorsBeforeStream,
    event_stream_response,
    sse_event,
    wants_event_stream,
)
from huntaze.throttles import PER_USER, RateLimit

READ, WRITE = "content:read", "content:write"


class ContentListView(APIView):
    required_scopes = {"GET": READ, "POST": WRITE}
    pagination_class = PageNumberPagination  # also documents the list as paginated

    @extend_schema(
        parameters=[
            # Empty means "no filter" (as forms send it): part of the enum, or a contract fuzzer
            # counts ``?type=`` as invalid input accepted.
            OpenApiParameter("type", str, enum=[*ContentType.values, ""]),
            OpenApiParameter("category", str, description="Exact category, ignoring case."),
            OpenApiParameter("tag", str, many=True, description="All given tags (repeatable)."),
            OpenApiParameter(
                "q",
                str,
                description="A substring of the title or the text, ignoring case and accents.",
            ),
            *PAGE_PARAMETERS,
        ],
        # The paginated envelope (the schema said a bare array: found by the contract fuzzer).
        operation_id="content_list",
        summary="List and search the user's content",
        description=(
            "The user's assets, newest first, paginated. Filters combine: `type`; `category` "
            "(ignores case); `tag` (repeatable: assets that have every tag given); `q`, a "
            "substring of the title or the text that ignores case and accents (`lumiere` finds "
            '"Lumière"). Empty values mean no filter. With an API key, needs `content:read`.'
        ),
        responses=paginated_output(
            "PaginatedContentAssetOutputList", ContentAssetOutput, "/api/content"
        ),
    )
    def get(self, request):
        filters = ContentListQuery.filters(request.query_params)
        assets = selectors.AssetListPage(
            user_id=request.user.pk,
            type=filters.get("type"),
            category=filters.get("category"),
            tags=filters.get("tag"),
            q=filters.get("q"),
        )
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(assets, request, view=self)
        return paginator.get_paginated_response(ContentAssetOutput(page, many=True).data)

    @extend_schema(
        request=ContentAssetCreateInput,
        responses={201: ContentAssetOutput},
        summary="Create a content asset",
        description=(
            "`title` (1 to 200 characters), `content` (up to 20,000, may be empty) and `type` are "
            "required; `category` (up to 100), `tags` (up to 20 non-empty tags of up to 50 "
            "characters) and `metadata` (any JSON object up to 16 KB) are optional. With an "
            "API key, needs `content:write`."
        ),
    )
    def post(self, request):
        body = ContentAssetCreateInput(data=request.data)
        body.is_valid(raise_exception=True)
        asset = services.content_asset_create(user=request.user, **body.validated_data)
        return Response(ContentAssetOutput(asset).data, status=status.HTTP_201_CREATED)


class ContentDetailView(APIView):
    """``/api/content/{id}``: the id is parsed here, so a malformed one is a 404 like a missing
    or another user's asset (one answer, nothing to probe)."""

    required_scopes = {"GET": READ, "PATCH": WRITE, "DELETE": WRITE}

    def _asset(self, request, asset_id: str):
        asset = selectors.content_asset_get(user=request.user, asset_id=asset_id)
        if asset is None:
            raise NotFound()
        return asset

    @extend_schema(
        responses=ContentAssetOutput,
        summary="Get one content asset",
        description=(
            "One of the user's assets. Another user's asset, an unknown id and a malformed id "
            "are the same 404. With an API key, needs `content:read`."
        ),
    )
    def get(self, request, asset_id: str):
        return Response(ContentAssetOutput(self._asset(request, asset_id)).data)

    @extend_schema(
        request=ContentAssetUpdateInput,
        responses=ContentAssetOutput,
        summary="Change a content asset",
        description=(
            "Send only the fields to change, with the bounds of creation; `tags` and "
            "`metadata` are replaced as a whole. With an API key, needs `content:write`."
        ),
    )
    def patch(self, request, asset_id: str):
        body = ContentAssetUpdateInput(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        asset = services.content_asset_update(
            asset=self._asset(request, asset_id), **body.validated_data
        )
        return Response(ContentAssetOutput(asset).data)

    @extend_schema(
        responses={204: None},
        summary="Delete a content asset",
        description=(
            "Deletes it for good. Deleting a generated asset does not give the AI generation "
            "back to the monthly quota. With an API key, needs `content:write`."
        ),
    )
    def delete(self, request, asset_id: str):
        services.content_asset_delete(asset=self._asset(request, asset_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


STREAM_DESCRIPTION = (
    "With `Accept: text/event-stream`: Server-Sent Events as the model writes. "
    '`event: delta` with `data: {"text": "…"}` for each piece of text, then exactly one '
    "`event: done` whose data is the saved asset (the 201 body), or one `event: error` whose "
    'data is the error body (`{"error": {"code", "message"}}`: `service_unavailable` '
    "when the model fails, `validation_error` when its content filter stops the answer). "
    "Validation, authentication, rate-limit and quota errors are ordinary JSON answers before "
    "the stream starts. A client that hangs up mid-stream still gets the asset saved (Azure "
    "bills the answer) and its generation counted. Headers: `Cache-Control: no-store`, "
    "`X-Accel-Buffering: no`."
)


STREAM_EXAMPLE = OpenApiExample(
    "stream",
    media_type="text/event-stream",
    value=(
        'event: delta\ndata: {"text": "Vin chaud, lumières"}\n\n'
        'event: delta\ndata: {"text": " et pain d\'épices"}\n\n'
        'event: done\ndata: {"id": "2f6c8a0e-5b7d-4e9f-a1c3-d5e7f9b1a3c6", "type": "CAPTION", …}\n\n'
    ),
)


class ContentGenerateView(JsonErrorsBeforeStream, APIView):
    """``POST /api/content/generate``: the asset as JSON (201), or, with ``Accept:
    text/event-stream``, Server-Sent Events as the model writes (docs/content.md, Streaming)."""

    required_scopes = {"POST": WRITE}
    # Per-user rate of generations (60/min by default), in the shared cache.
    rate_limits = [RateLimit("ai_generate_user", per=PER_USER)]
    # JSON first: a client that does not ask for the stream gets exactly the JSON answer.
    renderer_classes = [JSONRenderer, EventStreamRenderer]

    @extend_schema(
        request=ContentGenerateInput,
        responses={
            (201, "application/json"): GeneratedAssetOutput,
            (200, "text/event-stream"): OpenApiResponse(
                response=OpenApiTypes.STR,
                description=STREAM_DESCRIPTION,
                examples=[STREAM_EXAMPLE],
            ),
            400: error_response(
                "validation_error",
                VALIDATION,
                ("The model's content filter refused the prompt", ai_client._prompt_rejected),
            ),
            429: error_response(
                "throttled or quota_exceeded",
                ("Rate limit reached; wait Retry-After seconds", lambda: drf.Throttled(wait=42)),
                ("The plan's monthly AI generations are used up", QuotaExceeded),
            ),
            503: error_response(
                "service_unavailable",
                ("The database cannot be reached", ServiceUnavailable),
                ("The AI model is not configured", ai_client.AiNotConfigured),
                ("The AI model did not answer in time, or failed", ai_client.AiUnavailable),
                ("The month's AI budget is spent", AiBudgetExhausted),
            ),
        },
        summary="Generate a content asset with the AI model",
        description=(
            "Writes a `type` of content from `prompt` (1 to 2,000 characters) with the AI model "
            "and saves it as a new asset; `title` defaults to the prompt's first line. "
            "`metadata.ai` holds `{model, prompt, prompt_tokens, completion_tokens}`. Takes up "
            "to 45 s. Counts toward the plan's monthly quota (429 `quota_exceeded` once used "
            "up; failed generations do not count) and a per-user rate limit (429 `throttled`). "
            "503 `service_unavailable` when the model is not configured or does not answer, "
            "and when the month's AI budget is spent (until the month turns or it is raised). "
            "With `Accept: text/event-stream` the answer is streamed (the 200 response). "
            "With an API key, needs `content:write`."
        ),
    )
    def post(self, request):
        body = ContentGenerateInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        generation = services.GenerationRequest(
            type=data["type"],
            prompt=data["prompt"],
            title=data.get("title") or None,
            category=data.get("category"),
            tags=data.get("tags"),
        )
        if wants_event_stream(request):
            events = services.content_generate_stream(user=request.user, request=generation)
            return event_stream_response(_sse(events), source=events)
        asset = services.content_generate(user=request.user, request=generation)
        return Response(ContentAssetOutput(asset).data, status=status.HTTP_201_CREATED)


def _sse(events: services.GenerationEvents):
    """The generation's events as SSE bytes (``delta``, then ``done`` or ``error``)."""
    for kind, value in events:
        if kind == "delta":
            yield sse_event("delta", {"text": value})
        elif kind == "done":
            yield sse_event("done", ContentAssetOutput(value).data)
        else:
            yield sse_event("error", error_response_for(value).data)
