"""``handover config``: the settings a user may change, and the official email domains.

Every change is logged with the old and the new value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault.errors import AlreadyExistsError, NotFoundError
from vault.records import officers
from vault.records.contacts import normalise_domain
from vault.store import schema
from vault.store.settings import SETTINGS, read, read_all, write

if TYPE_CHECKING:
    from vault.store.storage import Registry


def set_setting(registry: Registry, name: str, raw: str) -> Any:
    if name not in SETTINGS:
        raise NotFoundError(
            f"unknown setting {name!r}; settings are: {', '.join(sorted(SETTINGS))}"
        )
    value = SETTINGS[name].parse(raw)
    with registry.write() as tx:
        if name == "operator":
            officers.row_by_service_id(tx.conn, value)  # the operator is an officer on record
        old = read(tx.conn, name)
        write(tx.conn, name, value)
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
