"""What the pages share: the open registry, and the values a form sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import abort, request

if TYPE_CHECKING:
    import datetime as dt

    from handover.web.desk import Desk
    from vault.store.storage import Registry


def registry_of(desk: Desk) -> Registry:
    """The unlocked registry (every page but unlocking is behind the lock)."""
    if desk.registry is None:
        abort(403)
    return desk.registry


def form_values(*names: str) -> dict[str, str]:
    """The named fields of the form, as typed (absent ones empty)."""
    return {name: request.form.get(name, "") for name in names}


def given(value: str) -> str | None:
    """An optional field: ``None`` when left empty."""
    return value.strip() or None


def parse_day(reg: Registry, value: str | None, what: str) -> dt.date | None:
    """A date as typed, read in the registry's date order, as the command line reads it."""
    if value is None:
        return None
    from vault.model import parse_date
    from vault.store import settings

    with reg.read() as conn:
        day_first = settings.day_first(conn)
    return parse_date(value, what, day_first=day_first)
