"""Bad input on a page gets the message the command line prints for it, beside the field it
concerns.

The message is the core's own (:class:`vault.errors.VaultError`,
:class:`handover.errors.HandoverError`), made inert like every other text from the core, in the
page's language where the catalogs hold it; the page adds no rule. Which field it concerns is
read from the message: the field it names, or the value it quotes; a message that names none
stands above the form.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")


def message_of(exc: BaseException) -> str | None:
    """The one-line message of a deliberate error, as the command line shows it (in the
    page's language); ``None`` for anything else (whose text is never shown)."""
    from handover.i18n import translate

    english = _english(exc)
    return None if english is None else translate(english)


def _english(exc: BaseException) -> str | None:
    from handover.errors import HandoverError
    from handover.output import inert
    from vault.errors import VaultError

    if isinstance(exc, (HandoverError, VaultError)):
        return inert(exc.message)
    return None


@dataclass
class Outcome:
    """What a form got back: the messages by field (``""`` for the form as a whole)."""

    errors: dict[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return not self.errors


def field_of(message: str, values: Mapping[str, str]) -> str:
    """The field a message concerns: the value it quotes (``'x'``), else the field it names
    ("login email", "email"), else the longest value it contains; else none."""
    for name, value in values.items():
        if value.strip() and (repr(value) in message or repr(value.strip()) in message):
            return name
    lowered = message.lower()
    for name in sorted(values, key=len, reverse=True):
        if re.search(rf"\b{re.escape(name.replace('_', ' '))}\b", lowered):
            return name
    found = [(len(v.strip()), n) for n, v in values.items() if v.strip() and v.strip() in message]
    return max(found)[1] if found else ""


def attempt(
    action: Callable[[], T], values: Mapping[str, str], outcome: Outcome | None = None
) -> tuple[T | None, Outcome]:
    """Run one core call; a deliberate error becomes a message beside its field."""
    outcome = outcome or Outcome()
    try:
        return action(), outcome
    except Exception as exc:
        english = _english(exc)
        if english is None:
            raise
        from handover.i18n import translate

        # The field is found in the English message, whose words name the fields.
        outcome.errors[field_of(english, values)] = translate(english)
        return None, outcome
