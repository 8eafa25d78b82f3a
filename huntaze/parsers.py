"""The API's JSON parser: DRF's, plus a 400 for bodies nested too deep to decode.

Python's json module raises ``RecursionError`` (not ``ValueError``) on a body such as
``[[[[…]]]]`` nested a few thousand levels deep; DRF only turns ``ValueError`` into a 400, so
without this a few kilobytes of brackets would be a 500 on every endpoint.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser


class JSONParser(DRFJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON trop profondément imbriqué.")) from None
