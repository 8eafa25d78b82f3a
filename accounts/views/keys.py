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
from huntaze.pagination import PageNumberPagination
from huntaze.schema import NO_API_KEY


class ApiKeyListView(APIView):
    pagination_class = PageNumberPagination  # also tells drf-spectacular the list is paginated

    @extend_schema(
        responses=ApiKeyOutput(many=True),
        tags=["keys"],
        auth=NO_API_KEY,
        summary="The user's API keys, newest first (revoked keys are left out)",
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
        summary="Create an API key; the plain `key` is in this response only",
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
    )
    def delete(self, request, key_id: str):
        api_key_revoke(key=api_key_get(user=request.user, key_id=key_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
