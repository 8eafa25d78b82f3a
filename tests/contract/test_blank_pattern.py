"""The schema's "not blank" pattern (titles, tags) means what the server does.

JSON Schema's ``pattern`` is an ECMA-262 regular expression, and a contract fuzzer reads it so;
the server trims with Python's ``str.strip()`` and checks with Python's ``re``. The two disagree
on what whitespace is (Python counts \\x1c-\\x1f and \\x85, ECMA counts \\ufeff), so a pattern
written ``\\S`` let the fuzzer send a tag of "\\x1f" as valid input and get a 400. Here every
character either side calls whitespace is sent alone as a title and as a tag, through the real
serializers, and the verdict must equal the published pattern's, read with ECMA's ``\\s``.
"""

from __future__ import annotations

import re
import sys

import pytest
from drf_spectacular.generators import SchemaGenerator

from content.serializers import ContentAssetCreateInput

# ECMA-262 WhiteSpace and LineTerminator: what "\s" matches in a JSON Schema pattern.
ECMA_WHITESPACE = (
    "\t\n\x0b\x0c\r \xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
CANDIDATES = sorted(
    {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    | set(ECMA_WHITESPACE)
    | {"a", "é", "\u200b", "\x07"}  # (NUL is refused for another reason: PostgreSQL)
)


def ecma(pattern: str) -> re.Pattern:
    """``pattern`` read as ECMA-262 reads it, for the escapes these patterns use."""
    ws = "".join(f"\\u{ord(c):04x}" for c in ECMA_WHITESPACE)
    return re.compile(pattern.replace("\\S", f"[^{ws}]").replace("\\s", ws))


@pytest.fixture(scope="module")
def patterns() -> dict[str, str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    props = schema["components"]["schemas"]["ContentAssetCreateInputRequest"]["properties"]
    return {"title": props["title"]["pattern"], "tags": props["tags"]["items"]["pattern"]}


@pytest.mark.parametrize("field", ["title", "tags"])
def test_server_refuses_exactly_what_the_pattern_refuses(patterns, field):
    pattern = ecma(patterns[field])
    disagreements = []
    for char in CANDIDATES:
        value = [char] if field == "tags" else char
        data = {"type": "POST", "title": "ok", "content": "", field: value}
        accepted = ContentAssetCreateInput(data=data).is_valid()
        if accepted != bool(pattern.search(char)):
            disagreements.append((f"U+{ord(char):04X}", accepted))
    assert not disagreements, f"server accepted != schema pattern for: {disagreements}"
