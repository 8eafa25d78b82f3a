"""Serializer fields shared by every app's input serializers.

DRF's ``CharField`` turns JSON numbers into text (``{"name": 0}`` is saved as ``"0"``), which the
contract fuzzer reported as "schema-violating request accepted" on every text field of the API,
and it lets through lone surrogates (``"\\ud800"``), which PostgreSQL's UTF-8 cannot store (a
500 from the driver's encoder). These fields take JSON strings only, and only encodable text;
the boolean and integer ones take JSON booleans and integers only.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

# --- direct output: one declaration of an output's fields, rendered without walking them --------


def iso_datetime(value: datetime | None) -> str | None:
    """DRF's DateTimeField output: ISO-8601 in UTC (``TIME_ZONE``), ``Z`` for ``+00:00``."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def choice_value(value: Any) -> str | None:
    """DRF's ChoiceField output for a stored choice: the plain string (a TextChoices member
    becomes its value), ``""`` and None as they are."""
    if value in ("", None):
        return value
    return str(value)


def _converter(field: serializers.Field) -> Callable[[Any], Any] | None:
    """What DRF's ``field.to_representation`` gives for a non-None value, as one plain call
    (None: the value as it is).

    The hot outputs' field types have a converter of their own; any other field renders
    through its own ``to_representation`` (bound to the prototype serializer, so a field that
    needs the serializer's context, like a ``SerializerMethodField``, cannot be rendered
    directly: the class is refused when it is created)."""
    if isinstance(field, DirectOutput):
        return type(field).direct_representation
    if isinstance(field, serializers.ListSerializer) and isinstance(field.child, DirectOutput):
        item = type(field.child).direct_representation
        return lambda values: [item(v) for v in values]
    if isinstance(field, serializers.SerializerMethodField | serializers.BaseSerializer):
        raise ImproperlyConfigured(
            f"{type(field).__name__} {field.field_name!r} cannot be rendered directly"
        )
    if isinstance(field, serializers.ChoiceField):
        return choice_value
    if isinstance(field, serializers.DateTimeField):
        iso = getattr(field, "format", api_settings.DATETIME_FORMAT) == ISO_8601
        return iso_datetime if iso else field.to_representation
    if isinstance(field, serializers.UUIDField):
        return str if field.uuid_format == "hex_verbose" else field.to_representation
    if isinstance(field, serializers.CharField):
        return str
    if isinstance(field, serializers.BooleanField):
        return bool
    if isinstance(field, serializers.IntegerField):
        return int
    if isinstance(field, serializers.ListField):
        child = _converter(field.child)
        if child is None:
            return list
        return lambda values: [None if v is None else child(v) for v in values]
    if isinstance(field, serializers.JSONField) and not field.binary:
        return None
    return field.to_representation


def _itself(instance: Any) -> Any:
    return instance


def _getter(source: str, *, mapping: bool) -> Callable[[Any], Any]:
    """DRF's ``get_attribute`` for a field's ``source`` on an object (``mapping`` False) or a
    dict (a selector's summary): ``*`` is the instance itself, dotted names are followed."""
    if source == "*":
        return _itself
    if not mapping:
        return operator.attrgetter(source)
    if "." not in source:
        return operator.itemgetter(source)
    names = source.split(".")

    def get(instance: Any) -> Any:
        for name in names:
            instance = instance[name] if isinstance(instance, dict) else getattr(instance, name)
        return instance

    return get


class DirectOutput:
    """An output serializer whose ``to_representation`` builds its dict in one pass.

    The fields are declared once, as DRF fields on the serializer (``Meta.fields`` of a
    ModelSerializer, or declared fields): they are the OpenAPI schema and, through
    ``direct_representation``, the response. Walking DRF's fields per instance (a
    ModelSerializer rebuilds them for every serializer) was a large share of the hot
    endpoints' time (docs/performance-notes.md). When the class is created, each readable
    field becomes a (name, getter, converter) step with exactly DRF's output for that field;
    a field type this cannot render is refused then, at import, not at a request.
    ``tests/accounts/test_direct_output.py`` and ``tests/content`` pin the result to DRF's
    generic output as dicts and JSON bytes.
    """

    _Steps = tuple[tuple[str, Callable[[Any], Any], Callable[[Any], Any] | None], ...]
    _object_steps: _Steps = ()
    _mapping_steps: _Steps = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = [(n, f) for n, f in cls().fields.items() if not f.write_only]
        converters = [_converter(f) for _, f in fields]
        cls._object_steps, cls._mapping_steps = (
            tuple(
                (name, _getter(field.source, mapping=mapping), convert)
                for (name, field), convert in zip(fields, converters, strict=True)
            )
            for mapping in (False, True)
        )

    @classmethod
    def direct_representation(cls, instance: Any) -> dict[str, Any]:
        steps = cls._mapping_steps if isinstance(instance, dict) else cls._object_steps
        result = {}
        for name, get, convert in steps:
            value = get(instance)
            result[name] = value if value is None or convert is None else convert(value)
        return result

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return self.direct_representation(instance)


def encodable(text: str) -> bool:
    """Whether PostgreSQL can store ``text``: valid UTF-8 (no lone surrogate) and no NUL."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


class StrictStringMixin:
    default_error_messages = {
        "invalid": _("Doit être une chaîne de caractères."),
    }

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str) or not encodable(data):
            self.fail("invalid")
        # maxLength bounds what the client sends, before trimming (the schema's maxLength;
        # DRF checks it after trimming, so 300 characters of spaces passed a 256 bound).
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class StrictCharField(StrictStringMixin, serializers.CharField):
    """A CharField that takes only JSON strings PostgreSQL can store."""


class StrictEmailField(StrictStringMixin, serializers.EmailField):
    """An EmailField that takes only JSON strings PostgreSQL can store."""


class StrictBooleanField(serializers.BooleanField):
    """A BooleanField that takes only JSON ``true``/``false`` (DRF's also takes 0, 1, "yes"...)."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    """An IntegerField that takes only JSON integers (DRF's also takes "5" and 5.0)."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictInput(serializers.Serializer):
    """An input serializer that refuses fields it does not declare (400, naming them).

    Silently ignoring ``role`` or ``subscription`` would let a client believe it changed them.
    """

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("Ce champ ne peut pas être modifié.")] for name in unknown}
                )
        return super().to_internal_value(data)


class ChoiceMessageMixin:
    """An invalid choice names the valid ones: « FOO » n'est pas une valeur possible. Valeurs
    possibles : POST, STORY, VIDEO, IMAGE, CAPTION. (DRF's only says the value is not valid, so
    a front-end developer had to read the schema to find out.) The echoed input is cut to 50
    characters."""

    default_error_messages = {
        "invalid_choice": _(
            "« {input} » n'est pas une valeur possible. Valeurs possibles : {choices}."
        )
    }

    def _choice(self, data: Any) -> Any:
        if data == "" and getattr(self, "allow_blank", False):
            return ""
        try:
            return self.choice_strings_to_values[str(data)]
        except (KeyError, TypeError):
            text = str(data)
            self.fail(
                "invalid_choice",
                input=text if len(text) <= 50 else text[:49] + "…",
                choices=", ".join(self.choice_strings_to_values),
            )


class ChoiceField(ChoiceMessageMixin, serializers.ChoiceField):
    """DRF's ChoiceField whose error lists the valid values."""

    def to_internal_value(self, data: Any) -> Any:
        return self._choice(data)


class MultipleChoiceField(ChoiceMessageMixin, serializers.MultipleChoiceField):
    """DRF's MultipleChoiceField whose error lists the valid values."""

    def to_internal_value(self, data: Any) -> list:
        if isinstance(data, str) or not hasattr(data, "__iter__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        if not self.allow_empty and len(data) == 0:
            self.fail("empty")
        return list(dict.fromkeys(self._choice(item) for item in data))
