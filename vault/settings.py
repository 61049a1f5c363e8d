"""The registry's own configuration: official email domains and the thresholds the audit uses.

Settings live in the registry, not in a file beside it, so that a copied or shared registry carries
its rules with it and every change to them is in the event log.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault import schema
from vault.contacts import normalise_domain
from vault.errors import AlreadyExistsError, InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from vault.storage import Registry, Tx


def _positive_days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise InvalidInputError(f"{value!r} is not a whole number of days") from None
    if not 1 <= days <= 36500:
        raise InvalidInputError("a number of days must be between 1 and 36500")
    return days


def _region(value: str) -> str:
    import phonenumbers

    region = value.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInputError(f"{value!r} is not a region code like IN")
    return region


@dataclass(frozen=True)
class Setting:
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
    "packet_expiry_days": Setting(14, _positive_days, "default lifetime of a handover packet"),
}
# Written once by 'init' and never through 'config set'.
INTERNAL = ("registry_id", "created_at", "key_mode")


def read_all(conn: sa.Connection) -> dict[str, Any]:
    values = {name: s.default for name, s in SETTINGS.items()}
    for name, raw in conn.execute(sa.select(schema.settings.c.name, schema.settings.c.value)):
        values[name] = json.loads(raw)
    return values


def read(conn: sa.Connection, name: str) -> Any:
    raw = conn.execute(
        sa.select(schema.settings.c.value).where(schema.settings.c.name == name)
    ).scalar()
    if raw is not None:
        return json.loads(raw)
    if name in SETTINGS:
        return SETTINGS[name].default
    return None


def write(tx: Tx, name: str, value: Any) -> None:
    t = schema.settings
    encoded = json.dumps(value)
    updated = tx.conn.execute(t.update().where(t.c.name == name).values(value=encoded)).rowcount
    if not updated:
        tx.conn.execute(t.insert().values(name=name, value=encoded))


def set_setting(registry: Registry, name: str, raw: str) -> Any:
    if name not in SETTINGS:
        raise NotFoundError(
            f"unknown setting {name!r}; settings are: {', '.join(sorted(SETTINGS))}"
        )
    value = SETTINGS[name].parse(raw)
    with registry.write() as tx:
        old = read(tx.conn, name)
        write(tx, name, value)
        tx.log("config.set", "setting", None, name, old=old, new=value)
    return value


def show(registry: Registry) -> list[dict[str, Any]]:
    with registry.read() as conn:
        values = read_all(conn)
    return [
        {"name": name, "value": values[name], "default": s.default, "help": s.help}
        for name, s in SETTINGS.items()
    ]


def add_domain(registry: Registry, value: str) -> str:
    domain = normalise_domain(value)
    t = schema.official_domains
    with registry.write() as tx:
        if tx.conn.execute(sa.select(t.c.domain).where(t.c.domain == domain)).first():
            raise AlreadyExistsError(f"{domain} is already an official domain")
        tx.conn.execute(t.insert().values(domain=domain, added_at=tx.now, added_by=tx.actor))
        tx.log("domain.add", "domain", None, domain)
    return domain


def remove_domain(registry: Registry, value: str) -> str:
    domain = normalise_domain(value)
    t = schema.official_domains
    with registry.write() as tx:
        if not tx.conn.execute(t.delete().where(t.c.domain == domain)).rowcount:
            raise NotFoundError(f"{domain} is not an official domain")
        tx.log("domain.remove", "domain", None, domain)
    return domain


def list_domains(registry: Registry) -> list[dict[str, Any]]:
    t = schema.official_domains
    with registry.read() as conn:
        rows = conn.execute(sa.select(t).order_by(t.c.domain)).all()
    return [
        {"domain": r.domain, "added_at": r.added_at.isoformat(), "added_by": r.added_by}
        for r in rows
    ]


def registry_id(registry: Registry) -> str:
    with registry.read() as conn:
        return str(read(conn, "registry_id"))
