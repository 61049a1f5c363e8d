"""The Gujarati and Hindi catalogs hold every message the code marks, translated, with its
placeholders, and the compiled catalogs the package ships say what the ``.po`` files say."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "handover" / "locale"
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
LANGUAGES = ("gu", "hi")


def code_messages() -> set[str]:
    """Every message marked in vault and handover (its code and the web page's templates),
    found as ``make messages`` finds them."""
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    method_map = [
        ("handover/**.py", "python"),
        ("vault/**.py", "python"),
        ("handover/web/templates/**.html", "jinja2"),
    ]
    return {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT, method_map, keywords=keywords
        )
        if isinstance(message, str)
    }


def catalog(lang: str):  # type: ignore[no-untyped-def]
    with open(LOCALE / lang / "LC_MESSAGES" / "handover.po", "rb") as f:
        return read_po(f)


def test_the_code_marks_messages() -> None:
    found = code_messages()
    assert "Do the codes match?" in found  # from handover
    assert "update the admins of the groups the post runs" in found  # N_() in vault
    assert len(found) > 100


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated(lang: str) -> None:
    po = catalog(lang)
    missing = sorted(
        m for m in code_messages() if po.get(m) is None or not po.get(m).string or po.get(m).fuzzy
    )
    assert missing == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_survive_translation(lang: str) -> None:
    wrong = [
        m.id
        for m in catalog(lang)
        if m.id and set(PLACEHOLDER.findall(m.id)) != set(PLACEHOLDER.findall(str(m.string)))
    ]
    assert wrong == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_compiled_catalog_is_current(lang: str) -> None:
    compiled = gettext.translation("handover", LOCALE, languages=[lang])
    stale = [m.id for m in catalog(lang) if m.id and compiled.gettext(m.id) != m.string]
    assert stale == [], "run make (it compiles the catalogs)"
