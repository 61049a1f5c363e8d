"""The registry's own settings: thresholds the audit uses, the phone region, and what ``init``
wrote (the registry's id and key mode).

Settings live in the registry, not in a file beside it, so that a copied or shared registry carries
its rules with it. Changing them through ``config set`` (:mod:`vault.records.config`) is logged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NamedTuple

from vault.errors import InvalidInputError
from vault.model import DEFAULT_TIMEZONE, N_, slug
from vault.store import reads


def _positive_days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise InvalidInputError(f"{value!r} is not a whole number of days") from None
    if not 1 <= days <= 36500:
        raise InvalidInputError(N_("a number of days must be between 1 and 36500"))
    return days


def _packet_days(value: str) -> int:
    days = _positive_days(value)
    if days > MAX_PACKET_DAYS:
        raise InvalidInputError(f"a packet may live at most {MAX_PACKET_DAYS} days")
    return days


def _seconds(value: str) -> int:
    try:
        seconds = int(value)
    except ValueError:
        raise InvalidInputError(f"{value!r} is not a whole number of seconds") from None
    if not 1 <= seconds <= 86400:
        raise InvalidInputError(N_("a number of seconds must be between 1 and 86400"))
    return seconds


def _officer_id(value: str) -> str:
    return slug(value, "officer id")


def _region(value: str) -> str:
    import phonenumbers

    region = value.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInputError(f"{value!r} is not a region code like IN")
    return region


def _language(value: str) -> str:
    code = value.strip().lower()
    if code not in LANGUAGES:
        raise InvalidInputError(f"{value!r} is not a language handover speaks: en, gu or hi")
    return code


def _date_order(value: str) -> str:
    order = value.strip().lower()
    if order not in ("day-first", "month-first"):
        raise InvalidInputError(f"{value!r}: the date order is day-first or month-first")
    return order


def _timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = value.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInputError(f"{value!r} is not a time zone like Asia/Kolkata") from None
    return name


def _text(value: str) -> str:
    text = " ".join(value.split())
    if not text or len(text) > 200:
        raise InvalidInputError(N_("give a name of 1 to 200 characters"))
    return text


MAX_PACKET_DAYS = 90
# The languages of the officer-facing paths (guided flows, reports): English, Gujarati, Hindi.
LANGUAGES = ("en", "gu", "hi")


class Setting(NamedTuple):
    default: Any
    parse: Callable[[str], Any]
    help: str


SETTINGS: dict[str, Setting] = {
    "default_region": Setting(
        "IN", _region, "region for phone numbers written without a country code"
    ),
    "verification_pending_days": Setting(
        30, _positive_days, "days an 'applied' verification may wait before audit"
    ),
    "rotation_deadline_days": Setting(
        7, _positive_days, "days after a handover to rotate every credential"
    ),
    "credential_max_age_days": Setting(
        365, _positive_days, "days a password may stay unchanged before audit"
    ),
    "packet_expiry_days": Setting(
        14, _packet_days, "default lifetime of a handover packet (at most 90 days)"
    ),
    "date_order": Setting(
        "day-first", _date_order, "how 03/04/2026 is read: day-first (3 April) or month-first"
    ),
    "display_timezone": Setting(
        DEFAULT_TIMEZONE, _timezone, "time zone of the times shown in tables (JSON stays UTC)"
    ),
    "language": Setting("en", _language, "language of the guided flows and reports: en, gu or hi"),
    "web_idle_seconds": Setting(
        600, _seconds, "seconds without a request before the web page locks the registry again"
    ),
    "web_reveal_seconds": Setting(
        30, _seconds, "seconds a password or key revealed on the web page stays shown"
    ),
    "department": Setting(None, _text, "the department's name, printed at the head of reports"),
    "operator": Setting(
        None,
        _officer_id,
        "officer the log records as acting when no identity signs and HANDOVER_ACTOR is unset",
    ),
}
# Written once by 'init' and never through 'config set'.
INTERNAL = ("registry_id", "created_at", "key_mode")


def read_all(conn: Any) -> dict[str, Any]:
    values = {name: s.default for name, s in SETTINGS.items()}
    for name, raw in reads.rows(conn, "settings_all"):
        values[name] = json.loads(raw)
    return values


def read(conn: Any, name: str) -> Any:
    raw = reads.scalar(conn, "setting", name=name)
    if raw is not None:
        return json.loads(raw)
    if name in SETTINGS:
        return SETTINGS[name].default
    return None


def day_first(conn: Any) -> bool:
    """Whether dates written with slashes put the day first (the ``date_order`` setting)."""
    return bool(read(conn, "date_order") != "month-first")


def write(conn: Any, name: str, value: Any) -> None:
    """Store a setting inside the caller's write transaction (which logs the change)."""
    from vault.store import schema

    t = schema.settings
    encoded = json.dumps(value)
    updated = conn.execute(t.update().where(t.c.name == name).values(value=encoded)).rowcount
    if not updated:
        conn.execute(t.insert().values(name=name, value=encoded))
