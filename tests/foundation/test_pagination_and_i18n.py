import gettext
from pathlib import Path

import pytest

from tests.conftest import assert_error

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999999999"])
def test_an_invalid_page_number_is_a_400_on_the_page_field(client_for_user, page):
    error = assert_error(
        client_for_user.get("/api/content", {"page": page}), 400, "validation_error"
    )
    assert "page" in error["fields"]


@pytest.mark.django_db
def test_api_responses_are_never_cached(client_for_user):
    assert client_for_user.get("/api/users/profile")["Cache-Control"] == "no-store"
    assert client_for_user.get("/api/nope")["Cache-Control"] == "no-store"


def _po_entries() -> list[tuple[str, str, bool]]:
    entries, flags, msgid, msgstr, current = [], "", None, None, None
    for line in [*(LOCALE / "django.po").read_text().splitlines(), ""]:
        if line.startswith("#,"):
            flags = line
        elif line.startswith("msgid "):
            msgid, current = line[6:], "id"
        elif line.startswith(("msgstr ", "msgstr[0] ")):
            msgstr, current = line.split(" ", 1)[1], "str"
        elif line.startswith('"') and current == "id":
            msgid += line
        elif line.startswith('"') and current == "str":
            msgstr += line
        elif not line.strip() and msgid is not None:
            entries.append((msgid, msgstr, "fuzzy" in flags))
            flags, msgid, msgstr, current = "", None, None, None
    return [e for e in entries if e[0] != '""']


def test_every_message_has_a_compiled_english_translation():
    entries = _po_entries()
    assert len(entries) > 100
    untranslated = [msgid for msgid, msgstr, fuzzy in entries if msgstr == '""' or fuzzy]
    assert untranslated == []
    catalog = gettext.GNUTranslations((LOCALE / "django.mo").open("rb"))
    # The committed .mo is compiled from the current .po (same number of messages).
    assert len([k for k in catalog._catalog if k]) >= len(entries)
