"""A page shows the core's refusal beside the field it concerns, in the page's language: the
field is found in the English message, whose words name the fields."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from handover import i18n
from handover.web.forms import attempt
from vault.errors import InvalidInputError


@pytest.fixture
def gujarati() -> Iterator[None]:
    i18n.choose("gu")
    yield
    i18n.choose(None)


def _refuse() -> None:
    raise InvalidInputError("a post needs a title")


def test_a_refusal_stands_beside_its_field_in_the_page_s_language(gujarati: None) -> None:
    translated = i18n.translate("a post needs a title")
    assert translated != "a post needs a title"
    done, outcome = attempt(_refuse, {"slug": "collector-kheda", "title": ""})
    assert done is None
    assert outcome.errors == {"title": translated}


def test_in_english_too() -> None:
    _done, outcome = attempt(_refuse, {"slug": "collector-kheda", "title": ""})
    assert outcome.errors == {"title": "a post needs a title"}
