"""No record shows a secret in its ``repr``: a traceback, a log line or a debugger shows a value's
``repr``, and none of them may show a passphrase, password, seed, recovery code or session token.

Every record class of ``vault`` and ``handover`` (a named tuple or a dataclass) is found by
walking the packages, so a record added later with a field named like a secret is held to this
too; each such field is given a value of its own and must not appear in the record's repr."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from typing import Any

import pytest

import handover
import vault

# Field names that hold a secret. A field of these names typed bool or int only says whether
# there is one, or how many (``password: bool`` in a handover's preview).
SECRET = re.compile(
    r"^_?(\w+_)?passphrase$"
    r"|^(secret|password|passwords|shared_passwords|recovery_codes?|token|csrf|session|totp|notes)$"
    r"|^(age|age_identity|signing_pem)$"  # an officer's private keys
)
HARMLESS = {"bool", "int", "bool | None", "int | None"}
# Fields that hold a secret though their names do not say so (by record).
BY_CONTENT = {
    "Location": ["url"],  # a PostgreSQL URL may carry its password
    "Run": ["answers"],  # what the command asked for: the passphrase, secrets from stdin
    "Desk": ["pending"],  # the web page's new passwords and seeds, until recorded
}


def _records() -> list[type]:
    found: dict[str, type] = {}
    for package in (vault, handover):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if ".migrations." in info.name or info.name.endswith(".__main__"):
                continue  # Alembic's scripts and ``python -m handover``: run, not imported
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and value.__module__ == module.__name__
                    and (hasattr(value, "_fields") or dataclasses.is_dataclass(value))
                ):
                    found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


def _fields(cls: type) -> list[tuple[str, str]]:
    """(name, annotation) of each field, in order."""
    if dataclasses.is_dataclass(cls):
        return [(f.name, str(f.type)) for f in dataclasses.fields(cls)]
    annotations = getattr(cls, "__annotations__", {})
    return [(name, _text(annotations.get(name, ""))) for name in cls._fields]  # type: ignore[attr-defined]


def _text(annotation: Any) -> str:
    """An annotation as written (a named tuple's are forward references)."""
    return str(getattr(annotation, "__forward_arg__", annotation))


def _secret_fields(cls: type) -> list[str]:
    named = [n for n, kind in _fields(cls) if SECRET.search(n) and kind not in HARMLESS]
    return named + BY_CONTENT.get(cls.__name__, [])


def _with_markers(cls: type) -> Any:
    """An instance whose every field holds a text of its own (the repr only formats them)."""
    values = {name: f"<<{name}-value>>" for name, _ in _fields(cls)}
    if dataclasses.is_dataclass(cls):
        record = object.__new__(cls)
        for name, value in values.items():
            object.__setattr__(record, name, value)
        return record
    return cls._make(values.values())  # type: ignore[attr-defined]


RECORDS = [cls for cls in _records() if _secret_fields(cls)]


def test_the_walk_finds_the_records_that_hold_secrets() -> None:
    names = {cls.__name__ for cls in RECORDS}
    assert {"Created", "EscrowPlan", "Secrets", "TotpSeed", "DataKey", "Gate", "NewKeys"} <= names
    assert "LocalIdentity" in names
    assert set(BY_CONTENT) <= names


@pytest.mark.parametrize("cls", RECORDS, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_no_secret_shows_in_a_repr(cls: type) -> None:
    record = _with_markers(cls)
    shown = repr(record)
    for name in _secret_fields(cls):
        assert f"<<{name}-value>>" not in shown, f"{cls.__qualname__}.{name} shows in {shown}"
