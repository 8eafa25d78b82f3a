"""The English catalog (locale/en) is complete, compiled, and says different things differently.

French is the source language: every ``gettext``/``{% translate %}`` string in the code is
French, and ``locale/en/LC_MESSAGES/django.po`` holds its English. These tests fail when

- a translatable string of the code or the templates has no English (a new string nobody
  translated, or a stale catalog: run ``makemessages`` and fill it, docs/admin.md);
- the committed ``.mo`` differs from the ``.po`` (``compilemessages`` was not run);
- an entry is fuzzy or empty;
- two different French strings share one English translation, unless they are forms of the
  same words (gender, number, case, a trailing "le" of a date label: "créée le"/"créée").
  The catalog once translated a submit button, a password status and an invalid line all as
  "Closed beta - invitation required" and "Invalid page.", which only this check finds.

Strings are extracted without GNU gettext (``make test`` needs nothing but Python): ``ast``
for Python, Django's ``templatize`` for templates.
"""

from __future__ import annotations

import ast
import gettext
import re
import unicodedata
from pathlib import Path

import pytest
from django.utils.translation.template import templatize

REPO = Path(__file__).resolve().parents[2]
PO = REPO / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
SKIP_DIRS = {".venv", "tests", "bench", "migrations", "node_modules", ".git", "locale", "docs"}
GETTEXT_NAMES = {
    "_",
    "gettext",
    "gettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "pgettext",
    "pgettext_lazy",
}
PLURAL_NAMES = {"ngettext", "ngettext_lazy"}


def _source_files(suffixes: tuple[str, ...]):
    for path in sorted(REPO.rglob("*")):
        rel = path.relative_to(REPO)
        # Hidden folders are never source: .venv-upgrade/ (make upgrade-check), .pgdata*/, .git/…
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts):
            continue
        if path.is_file() and path.suffix in suffixes:
            yield path


def _python_msgids(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name not in GETTEXT_NAMES:
            continue
        literals = [a.value for a in node.args if isinstance(a, ast.Constant)]
        literals = [value for value in literals if isinstance(value, str)]
        if name.startswith("pgettext"):
            literals = literals[1:2]
        elif name in PLURAL_NAMES:
            literals = literals[:1]  # the catalog is keyed by the singular
        else:
            literals = literals[:1]
        found.update(literals)
    return found


_STRING = r"u?(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
_CALL = re.compile(rf"\b(n?p?gettext)\(\s*({_STRING}(?:\s*,\s*{_STRING})*)")


def _template_msgids(path: Path) -> set[str]:
    text = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found: set[str] = set()
    for name, args in _CALL.findall(text):
        literals = [ast.literal_eval(s) for s in re.findall(_STRING, args)]
        found.add(literals[1] if name.startswith(("pgettext", "npgettext")) else literals[0])
    return found


def source_msgids() -> dict[str, Path]:
    msgids: dict[str, Path] = {}
    for path in _source_files((".py",)):
        for msgid in _python_msgids(path):
            msgids.setdefault(msgid, path)
    for path in _source_files((".html", ".txt")):
        if "templates" in path.parts:
            for msgid in _template_msgids(path):
                msgids.setdefault(msgid, path)
    return msgids


def _unquote(lines: list[str]) -> str:
    return "".join(ast.literal_eval(line[line.index('"') :]) for line in lines)


def po_entries() -> list[dict]:
    """The entries of the .po: ``{msgid, msgid_plural?, msgstr: [..], flags}`` (header left out)."""
    entries = []
    for block in PO.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.split("\n")
        if any(line.startswith("#~") for line in lines):
            entries.append({"obsolete": True, "msgid": block, "msgstr": [], "flags": set()})
            continue
        flags = {
            flag.strip() for line in lines if line.startswith("#,") for flag in line[2:].split(",")
        }
        fields: dict[str, list[str]] = {}
        current = None
        for line in lines:
            if line.startswith("#"):
                continue
            match = re.match(r"(msgid_plural|msgid|msgstr\[\d\]|msgstr) ", line)
            if match:
                current = match.group(1)
                fields[current] = [line]
            else:
                fields[current].append(line)
        values = {key: _unquote(value) for key, value in fields.items()}
        if values["msgid"] == "":
            continue
        msgstr = [values[k] for k in sorted(values) if k.startswith("msgstr")]
        entries.append(
            {
                "msgid": values["msgid"],
                "msgid_plural": values.get("msgid_plural"),
                "msgstr": msgstr,
                "flags": flags,
            }
        )
    return entries


def test_every_translatable_string_of_the_code_has_an_english_translation():
    catalog = {entry["msgid"]: entry for entry in po_entries()}
    missing = {
        msgid: str(path.relative_to(REPO))
        for msgid, path in source_msgids().items()
        if msgid not in catalog or not all(catalog[msgid]["msgstr"])
    }
    assert not missing, (
        "untranslated strings (run makemessages -l en, translate, compilemessages):\n"
        + "\n".join(f"  {path}: {msgid!r}" for msgid, path in sorted(missing.items()))
    )


def test_the_catalog_has_no_fuzzy_empty_or_obsolete_entry():
    bad = [
        entry["msgid"]
        for entry in po_entries()
        if entry.get("obsolete") or "fuzzy" in entry["flags"] or not all(entry["msgstr"])
    ]
    assert not bad, bad


def test_the_committed_mo_is_the_compiled_po():
    compiled = gettext.GNUTranslations(MO.open("rb"))._catalog
    expected: dict = {}
    for entry in po_entries():
        if entry["msgid_plural"] is None:
            expected[entry["msgid"]] = entry["msgstr"][0]
        else:
            for index, text in enumerate(entry["msgstr"]):
                expected[(entry["msgid"], index)] = text
    compiled = {key: value for key, value in compiled.items() if key != ""}
    assert compiled == expected, "run: python manage.py compilemessages (the .mo is committed)"


def _word_forms(french: str) -> str:
    """The French words without gender, number, case, accents, or a date label's " le"."""
    text = unicodedata.normalize("NFKD", french.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r" le$", "", text.strip())
    words = []
    for word in re.findall(r"[\w%()]+", text):
        word = re.sub(r"s$", "", word)
        word = re.sub(r"e+$", "", word)
        word = re.sub(r"iv$", "if", word)  # active -> actif
        words.append(word)
    return " ".join(words)


def test_different_french_strings_never_share_an_english_translation():
    by_english: dict[str, set[str]] = {}
    for entry in po_entries():
        english = " | ".join(entry["msgstr"]).strip().lower()
        by_english.setdefault(english, set()).add(entry["msgid"])
    clashes = {
        english: sorted(frenches)
        for english, frenches in by_english.items()
        if len({_word_forms(french) for french in frenches}) > 1
    }
    assert not clashes, clashes


@pytest.mark.parametrize(
    ("french", "english"),
    [
        ("Créer les invitations", "Create the invites"),
        ("aucun (réinitialisation requise)", "none (reset required)"),
        ("adresse email invalide", "invalid email address"),
        ("Bêta fermée - invitation requise", "Closed beta - invitation required"),
        ("Page introuvable.", "Page not found."),
    ],
)
def test_the_entries_once_wrong_are_right(french, english):
    translations = gettext.GNUTranslations(MO.open("rb"))
    assert translations.gettext(french) == english


def test_the_extraction_finds_python_and_template_strings():
    """Guards the test itself: a broken extractor would find nothing and pass."""
    msgids = source_msgids()
    assert "Bêta fermée - invitation requise" in msgids  # huntaze/exceptions.py
    assert "Créer les invitations" in msgids  # a template
    assert "Envoyée %(counter)s fois." in msgids  # a blocktranslate with a plural
    assert "%(n)d email en file d'envoi : il part dans un instant." in msgids  # an ngettext
    assert len(msgids) > 200
