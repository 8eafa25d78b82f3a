"""The one pagination of every list (docs/api.md, Lists)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from huntaze.exceptions import NotFound

MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000  # a larger page number is a 400 (``page`` out of bounds)

# The query parameters of every paginated list, for views that declare their parameters with
# extend_schema (APIViews): with the bounds the paginator enforces, so the schema says what a
# 400 (page_size) or a 404 (page) will be (found by the contract fuzzer).
PAGE_PARAMETERS = [
    OpenApiParameter(
        "page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        description="1-based page number (default 1). A page past the end is a 404 `not_found`.",
    ),
    OpenApiParameter(
        "page_size",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
        description="1 to 100 (default 20).",
    ),
]


class PageNumberPagination(pagination.PageNumberPagination):
    """``{results, next, previous}``; ``?page_size=`` up to 100, more (or junk) is a 400.

    No total count: it would cost a ``COUNT(*)`` per request and the contract does not ask for one.
    Django's paginator is asked for one row more than the page to know whether a next page exists.

    A page past the end (``?page=99`` of a 3-page list) is a 404 ``not_found``, like DRF's own
    paginator: an empty 200 would carry a ``previous`` link to a page that does not exist
    either. Page 1 of an empty list is an empty 200, never a 404.
    """

    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except (TypeError, ValueError):
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    "page_size": [
                        _("Doit être un entier entre 1 et %(max)s.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        raw_page = request.query_params.get(self.page_query_param, "1")
        try:
            number = int(raw_page)
            if number < 1 or number > MAX_PAGE:
                raise ValueError
        except (TypeError, ValueError):
            raise ValidationError({"page": [_("Page invalide.")]}) from None
        offset = (number - 1) * page_size
        rows = list(queryset[offset : offset + page_size + 1])
        if not rows and number > 1:
            raise NotFound(_("Page introuvable."))
        self.has_next = len(rows) > page_size
        self.number = number
        self.page_size_used = page_size
        return rows[:page_size]

    def _url(self, number: int | None) -> str | None:
        if number is None:
            return None
        from rest_framework.utils.urls import remove_query_param, replace_query_param

        url = self.request.build_absolute_uri()
        if number == 1:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, number)

    def get_next_link(self):
        return self._url(self.number + 1 if self.has_next else None)

    def get_previous_link(self):
        return self._url(self.number - 1 if self.number > 1 else None)

    def get_paginated_response(self, data):
        return Response(
            {"results": data, "next": self.get_next_link(), "previous": self.get_previous_link()}
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["results", "next", "previous"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
            },
        }

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "page",
                "required": False,
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
                "description": PAGE_PARAMETERS[0].description,
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                "description": PAGE_PARAMETERS[1].description,
            },
        ]
