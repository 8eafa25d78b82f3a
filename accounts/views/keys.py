"""/api/keys endpoints (docs/api.md, API keys): Bearer, cookie or session only.

These views declare no ``required_scopes``, so ``ApiKeyScope`` refuses any API key with 403
``permission_denied``: a key can never list, create or revoke keys.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import api_key_get, api_key_list
from accounts.serializers.keys import ApiKeyCreatedOutput, ApiKeyCreateInput, ApiKeyOutput
from accounts.services.keys import api_key_create, api_key_revoke
from huntaze.pagination import PAGE_PARAMETERS, PageNumberPagination
from huntaze.schema import NO_API_KEY, paginated_output


class ApiKeyListView(APIView):
    pagination_class = PageNumberPagination  # also tells drf-spectacular the list is paginated

    @extend_schema(
        responses=paginated_output("PaginatedApiKeyOutputList", ApiKeyOutput, "/api/keys"),
        parameters=PAGE_PARAMETERS,
        tags=["keys"],
        auth=NO_API_KEY,
        summary="List the user's API keys",
        description=(
            "The user's keys, newest first, paginated; revoked keys are left out. The key "
            "itself is never shown again, only its `prefix`. Not possible with an API key."
        ),
    )
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(api_key_list(user=request.user), request, view=self)
        return paginator.get_paginated_response(ApiKeyOutput(page, many=True).data)

    @extend_schema(
        request=ApiKeyCreateInput,
        responses={201: ApiKeyCreatedOutput},
        tags=["keys"],
        auth=NO_API_KEY,
        summary="Create an API key",
        description=(
            "`permissions` is a non-empty subset of `profile:read`, `content:read`, "
            "`content:write`, `billing:read`; `expires_at` is optional (in the future). The "
            "answer's `key` is shown this once: store it. Send it as `Authorization: Api-Key "
            "<key>`. Not possible with an API key."
        ),
    )
    def post(self, request):
        data = ApiKeyCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        key, plain = api_key_create(user=request.user, **data.validated_data)
        out = ApiKeyCreatedOutput(key, context={"plain_key": plain})
        return Response(out.data, status=status.HTTP_201_CREATED)


class ApiKeyDetailView(APIView):
    @extend_schema(
        request=None,
        responses={
            204: OpenApiResponse(description="Revoked: the key stops working at once"),
            404: OpenApiResponse(description="not_found (also another user's key)"),
        },
        tags=["keys"],
        auth=NO_API_KEY,
        summary="Revoke an API key",
        description=(
            "The key stops working at once. Another user's key, or an unknown id, is a 404."
        ),
    )
    def delete(self, request, key_id: str):
        api_key_revoke(key=api_key_get(user=request.user, key_id=key_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
