"""Content serializers, by direction (input bodies and queries, output)."""

from __future__ import annotations

import json
from typing import Any

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from content.models import (
    CATEGORY_MAX,
    CONTENT_MAX,
    METADATA_MAX_BYTES,
    METADATA_MAX_DEPTH,
    PROMPT_MAX,
    TAG_MAX,
    TAGS_MAX,
    TITLE_MAX,
    ContentAsset,
    ContentType,
)
from huntaze.fields import ChoiceField, DirectOutput, StrictCharField
from huntaze.fields import encodable as _encodable
from huntaze.schema import schema_example

QUERY_MAX = 200

# The schema's examples (huntaze/schema.py).
ASSET_EXAMPLE = {
    "id": "9d4b7e21-3c5a-4f8e-b1d6-0a2c4e6f8b3d",
    "title": "Lancement de la collection d'hiver",
    "content": "Nouvelle collection en ligne ce soir à 19 h : trois pièces, une seule série limitée.",
    "type": "POST",
    "category": "mode",
    "tags": ["hiver", "lancement"],
    "metadata": {"platform": "instagram", "scheduled_for": "2026-12-12T18:00:00Z"},
    "created_at": "2026-12-07T17:06:21.402118Z",
    "updated_at": "2026-12-07T17:06:21.402118Z",
}


# Titles and tags are trimmed and may not be blank, so one of whitespace only is refused: the
# schema says so with a pattern, or a contract fuzzer counts "\x1f" as valid input refused. The
# pattern means the same to Python (the server: str.strip() and re's \s count \x1c-\x1f and \x85
# as whitespace) and to ECMA-262, the dialect of JSON Schema's "pattern" (its \s does not, but
# counts \ufeff): one character that is whitespace to neither. The refusal itself is DRF's blank
# check, which runs first (tests/contract/test_blank_pattern.py).
NOT_BLANK = RegexValidator(r"[^\s\x1c-\x1f\x85\ufeff]")


def _tags_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=StrictCharField(max_length=TAG_MAX, allow_blank=False, validators=[NOT_BLANK]),
        max_length=TAGS_MAX,
        **kwargs,
    )


@extend_schema_field(OpenApiTypes.OBJECT)
class MetadataField(serializers.Field):
    """A JSON object, at most 16 KB once serialised (compact UTF-8), nested at most 32 deep."""

    default_error_messages = {
        "not_object": _("Doit être un objet JSON."),
        "too_large": _("Ne doit pas dépasser {max} octets une fois sérialisé."),
        "too_deep": _("Trop d'imbrication ({max} niveaux au plus)."),
        "invalid_text": _("Contient un texte non valide."),
    }

    def to_internal_value(self, data: Any) -> dict:
        if not isinstance(data, dict):
            self.fail("not_object")
        # Iterative walk: no recursion on hostile nesting, and no text PostgreSQL's jsonb refuses.
        stack: list[tuple[Any, int]] = [(data, 1)]
        while stack:
            value, depth = stack.pop()
            if depth > METADATA_MAX_DEPTH:
                self.fail("too_deep", max=METADATA_MAX_DEPTH)
            if isinstance(value, dict):
                for key, item in value.items():
                    if not _encodable(key):
                        self.fail("invalid_text")
                    stack.append((item, depth + 1))
            elif isinstance(value, list):
                stack.extend((item, depth + 1) for item in value)
            elif isinstance(value, str) and not _encodable(value):
                self.fail("invalid_text")
        size = len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        if size > METADATA_MAX_BYTES:
            self.fail("too_large", max=METADATA_MAX_BYTES)
        return data

    def to_representation(self, value: Any) -> Any:
        return value


@schema_example(
    {
        "title": ASSET_EXAMPLE["title"],
        "content": ASSET_EXAMPLE["content"],
        "type": "POST",
        "category": "mode",
        "tags": ["hiver", "lancement"],
        "metadata": ASSET_EXAMPLE["metadata"],
    }
)
class ContentAssetCreateInput(serializers.Serializer):
    title = StrictCharField(min_length=1, max_length=TITLE_MAX, validators=[NOT_BLANK])
    content = StrictCharField(max_length=CONTENT_MAX, allow_blank=True, trim_whitespace=False)
    type = ChoiceField(choices=ContentType.choices)
    category = StrictCharField(
        max_length=CATEGORY_MAX, required=False, allow_null=True, allow_blank=True
    )
    tags = _tags_field(required=False)
    metadata = MetadataField(required=False)


@schema_example({"title": "Lancement avancé à 18 h", "tags": ["hiver", "lancement", "teaser"]})
class ContentAssetUpdateInput(ContentAssetCreateInput):
    """PATCH: the same fields and bounds, each optional (used with ``partial=True``)."""


@schema_example(
    {
        "type": "CAPTION",
        "prompt": "Une légende courte et chaleureuse pour une photo de marché de Noël à Strasbourg",
        "title": "Marché de Noël",
        "category": "voyage",
        "tags": ["noël", "strasbourg"],
    }
)
class ContentGenerateInput(serializers.Serializer):
    type = ChoiceField(choices=ContentType.choices)
    prompt = StrictCharField(min_length=1, max_length=PROMPT_MAX)
    title = StrictCharField(
        min_length=1, max_length=TITLE_MAX, required=False, allow_null=True, allow_blank=True
    )
    category = StrictCharField(
        max_length=CATEGORY_MAX, required=False, allow_null=True, allow_blank=True
    )
    tags = _tags_field(required=False)


class ContentListQuery(serializers.Serializer):
    """``GET /api/content`` filters; an unknown ``type`` or an over-long value is a 400."""

    type = ChoiceField(choices=ContentType.choices, required=False)
    category = StrictCharField(max_length=CATEGORY_MAX, required=False, allow_blank=True)
    tag = _tags_field(required=False)
    q = StrictCharField(max_length=QUERY_MAX, required=False, allow_blank=True)

    @classmethod
    def from_query_params(cls, params) -> ContentListQuery:
        """Empty values (``?type=&q=``, as forms send them) mean "no filter"."""
        data: dict[str, Any] = {
            key: params.get(key) for key in ("type", "category", "q") if params.get(key)
        }
        tags = [tag for tag in params.getlist("tag") if tag]
        if tags:
            data["tag"] = tags
        return cls(data=data)

    @classmethod
    def filters(cls, params) -> dict[str, Any]:
        """The validated filters of ``params`` (400 on a bad one); no filter given is ``{}``
        without building and running the serializer's fields (the most common list request)."""
        query = cls.from_query_params(params)
        if not query.initial_data:
            return {}
        query.is_valid(raise_exception=True)
        return query.validated_data


@schema_example(ASSET_EXAMPLE)
class ContentAssetOutput(DirectOutput, serializers.ModelSerializer):
    """The asset as the API shows it. ``DirectOutput`` renders these fields without walking
    DRF's fields per row (a list renders 20); ``tests/content`` pins it to DRF's output."""

    # Declared for the schema: a JSON object (the model's JSONField would be "any value").
    metadata = MetadataField(read_only=True)

    class Meta:
        model = ContentAsset
        fields = (
            "id",
            "title",
            "content",
            "type",
            "category",
            "tags",
            "metadata",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


@schema_example(
    {
        **ASSET_EXAMPLE,
        "id": "2f6c8a0e-5b7d-4e9f-a1c3-d5e7f9b1a3c6",
        "title": "Marché de Noël",
        "content": "Vin chaud, lumières et pain d'épices : Strasbourg fait briller décembre. ✨",
        "type": "CAPTION",
        "category": "voyage",
        "tags": ["noël", "strasbourg"],
        "metadata": {
            "ai": {
                "model": "gpt-4o",
                "prompt": "Une légende courte et chaleureuse pour une photo de marché de Noël à "
                "Strasbourg",
                "prompt_tokens": 61,
                "completion_tokens": 27,
            }
        },
    }
)
class GeneratedAssetOutput(ContentAssetOutput):
    """``POST /api/content/generate``: the saved asset (``metadata.ai`` says how it was made)."""
