"""Auth endpoints under /api/auth (SPEC section 4.1)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import UserOutput


class MeView(APIView):
    required_scopes = {"GET": "profile:read"}

    @extend_schema(responses=UserOutput, tags=["auth"])
    def get(self, request):
        return Response(UserOutput(request.user).data)
