"""Invites API (docs/api.md, Invites): one view class per endpoint, thin."""

from __future__ import annotations

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import ApiKeyScope, IsAdminRole
from huntaze.exceptions import NotFound
from huntaze.pagination import PAGE_PARAMETERS, PageNumberPagination
from huntaze.schema import declared_example, error_response, paginated_output, schema_example
from huntaze.throttles import PER_IP, RateLimit
from invites.models import BetaInvite
from invites.selectors import STATUSES, invite_list
from invites.serializers import (
    InviteCheckInput,
    InviteCheckOutput,
    InviteCreatedOutput,
    InviteCreateInput,
    InviteListQuery,
    InviteOutput,
)
from invites.services import (
    InviteAlreadyUsed,
    invite_is_valid,
    invite_issue_many,
    invite_revoke,
    invite_send,
)

ADMIN_PERMISSIONS = [IsAuthenticated, ApiKeyScope, IsAdminRole]

INVITE_CREATE_RESPONSE = inline_serializer(
    "InviteCreateResponse", {"results": InviteCreatedOutput(many=True)}
)
schema_example(
    {
        "results": [
            declared_example(InviteCreatedOutput),
            {
                **declared_example(InviteCreatedOutput),
                "id": "f7b3a9e5-0c2d-4e6f-9a8b-1c3d5e7f9a0b",
                "email": "hugo.moreau@example.com",
                "code": "2E7B0D5A9C4F1863",
            },
        ]
    }
)(type(INVITE_CREATE_RESPONSE))


class InviteCheckView(APIView):
    """Is this code a pending invite for this email? Never says why not."""

    authentication_classes: list = []  # anyone; a stale token must not turn this into a 401
    permission_classes = [AllowAny]
    rate_limits = [RateLimit("invite_check_ip", per=PER_IP)]

    @extend_schema(
        request=InviteCheckInput,
        responses=InviteCheckOutput,
        summary="Check an invite code before sign-up",
        description=(
            "`{valid: true}` when `code` is a pending invite for `email` (both ignore case), "
            "else `{valid: false}`, without saying why. Needs no authentication; rate limited "
            "per IP (429). A front end can call it to validate the sign-up form early."
        ),
    )
    def post(self, request):
        data = InviteCheckInput(data=request.data)
        data.is_valid(raise_exception=True)
        valid = invite_is_valid(
            email=data.validated_data["email"], code=data.validated_data["code"]
        )
        return Response({"valid": valid})


class InviteListCreateView(APIView):
    """ADMIN: list invites (paginated, ``?status=``) and issue invites for a list of emails."""

    permission_classes = ADMIN_PERMISSIONS

    @extend_schema(
        summary="List invites (staff)",
        description=(
            "ADMIN users only (403 for creators): every invite, newest first, paginated, with "
            "its `status` (`pending`, `used`, `expired`, `revoked`) and its email's "
            "`email_status` (`queued`, `sent`, `failed`, or null); filter with `?status=`."
        ),
        parameters=[
            OpenApiParameter("status", str, enum=list(STATUSES)),
            *PAGE_PARAMETERS,
        ],
        responses=paginated_output("PaginatedInviteList", InviteOutput, "/api/invites"),
    )
    def get(self, request):
        query = InviteListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        invites = invite_list(status=query.validated_data.get("status"))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(invites, request, view=self)
        return paginator.get_paginated_response(InviteOutput(page, many=True).data)

    @extend_schema(
        summary="Issue invites (staff)",
        description=(
            "ADMIN users only. One result per email, in the order sent; an email that already "
            "has a pending invite gets that one back instead of a second. `expires_in_days` is "
            "1 to 365 (default 30). With `send: true` the invite emails are queued in the same "
            "transaction and the answer comes at once (`email_status: queued`): the job worker "
            "sends them, tries again after a temporary mail server failure, and the invite list "
            "shows what became of each (`email_status`, `email_error`). An address that "
            "already has an account is invited too; its sign-up will answer 409."
        ),
        request=InviteCreateInput,
        responses={201: INVITE_CREATE_RESPONSE},
    )
    def post(self, request):
        data = InviteCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        results = invite_issue_many(
            emails=data.validated_data["emails"],
            created_by=request.user,
            expires_in_days=data.validated_data.get("expires_in_days"),
        )
        if data.validated_data["send"]:
            invite_send(invites=[r.invite for r in results])
        body = InviteCreatedOutput([r.invite for r in results], many=True).data
        return Response({"results": body}, status=status.HTTP_201_CREATED)


class InviteDetailView(APIView):
    """ADMIN: revoke an invite (204); a used invite is a 409, an unknown id a 404."""

    permission_classes = ADMIN_PERMISSIONS

    @extend_schema(
        parameters=[OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        request=None,
        responses={
            204: None,
            409: error_response(
                "conflict", ("The invite was used: it cannot be revoked", InviteAlreadyUsed)
            ),
        },
        summary="Revoke an invite (staff)",
        description=(
            "ADMIN users only. The code stops working at once; revoking a revoked invite is a "
            "204 again. A used invite cannot be revoked (409 `conflict`); an unknown id is a "
            "404."
        ),
    )
    def delete(self, request, pk: str):
        try:
            invite = BetaInvite.objects.get(pk=uuid.UUID(pk))
        except (ValueError, BetaInvite.DoesNotExist):
            raise NotFound() from None
        invite_revoke(invite=invite)
        return Response(status=status.HTTP_204_NO_CONTENT)
