"""The floor: the least a DRF endpoint of ours can cost.

One row read by primary key and serialised by a ModelSerializer, through the same middleware,
server and settings as the product (docs/performance-notes.md: "DRF view, one row by primary key +
ModelSerializer"). No authentication: the floor measures the stack, not our code, and the mix's
throughput is reported as a ratio of it.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from content.models import ContentAsset


class FloorAssetOutput(serializers.ModelSerializer):
    """A plain ModelSerializer, on purpose: the floor is the generic DRF cost (docs/performance-notes.md: "one
    row by primary key + ModelSerializer"), not our tuned ``ContentAssetOutput``."""

    class Meta:
        model = ContentAsset
        fields = "__all__"


class FloorView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request, pk):
        return Response(FloorAssetOutput(get_object_or_404(ContentAsset, pk=pk)).data)
