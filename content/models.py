"""Content assets (SPEC section 3)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone


class ContentType(models.TextChoices):
    POST = "POST"
    STORY = "STORY"
    VIDEO = "VIDEO"
    IMAGE = "IMAGE"
    CAPTION = "CAPTION"


class ContentAsset(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="content_assets"
    )
    title = models.CharField(max_length=200)
    content = models.TextField(blank=True, default="")
    type = models.CharField(max_length=16, choices=ContentType.choices)
    category = models.CharField(max_length=100, null=True, blank=True)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "content_assets"
        indexes = [
            models.Index(fields=["user", "-created_at"], name="content_user_created_idx"),
            models.Index(fields=["user", "type", "-created_at"], name="content_user_type_idx"),
            models.Index(fields=["created_at"], name="content_created_idx"),
            GinIndex(fields=["tags"], name="content_tags_gin"),
        ]

    def __str__(self) -> str:
        return self.title
