"""The language officers read: the guided flows (``give``, ``take``), the checklist, the reports,
the READ-ME and the web page, in English, Gujarati or Hindi; and the errors a person is shown,
where the catalogs hold them (the core's messages that carry no values, marked ``N_()``).

Messages are marked ``_("...")`` and looked up when they are shown, not when a module loads, so
the language can be chosen late: ``--lang``, else ``HANDOVER_LANG``, else the registry's
``language`` setting, else English. Catalogs are gettext's: ``.po`` files in git under
``handover/locale``, compiled to ``.mo`` by ``make`` (Babel); at run time only the standard
library reads them. Babel is imported only to write a date the way the officer's locale does.

Handles, ids, file names and hashes are never translated.
"""

from __future__ import annotations

import datetime as dt
import gettext
from pathlib import Path

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "handover"
LANGUAGES = {"en": "English", "gu": "ગુજરાતી", "hi": "हिन्दी"}
LOCALES = {"en": "en_IN", "gu": "gu_IN", "hi": "hi_IN"}


class _Speaking:
    """The language in use, and whether someone chose it (else a registry's setting may)."""

    def __init__(self) -> None:
        self.lang = "en"
        self.chosen = False
        self.catalog: gettext.NullTranslations = gettext.NullTranslations()


_now = _Speaking()


def choose(lang: str | None) -> None:
    """Speak ``lang`` from now on; ``None`` goes back to English, not chosen."""
    code = (lang or "en").strip().lower()
    if code not in LANGUAGES:
        raise ValueError(code)
    _now.lang, _now.chosen = code, lang is not None
    _now.catalog = (
        gettext.NullTranslations()
        if code == "en"
        else gettext.translation(DOMAIN, LOCALE_DIR, languages=[code], fallback=True)
    )


def chosen() -> bool:
    return _now.chosen


def language() -> str:
    return _now.lang


def translate(message: str) -> str:
    """``message`` in the language in use (modules import it as ``_``, the name the message
    catalogs are extracted by)."""
    return _now.catalog.gettext(message)


def both(message: str) -> str:
    """English, and the language in use beside it when that is another: for documents kept on
    file, which any reader must be able to read."""
    translated = translate(message)
    return message if translated == message else f"{message} / {translated}"


def when(moment: dt.datetime) -> str:
    """A moment in local time, as the officer's locale writes it, with the zone: 5 Dec 2026,
    19:01 IST."""
    from babel.dates import format_date, format_time

    local = moment.astimezone()
    locale = LOCALES[_now.lang]
    return (
        f"{format_date(local.date(), 'medium', locale=locale)}, "
        f"{format_time(local.time(), 'HH:mm', locale=locale)} {local.tzname()}"
    )


def day(value: dt.date) -> str:
    """A date as the officer's locale writes it: 5 Dec 2026."""
    from babel.dates import format_date

    return format_date(value, "medium", locale=LOCALES[_now.lang])
