"""Escrow recipients: age recipients (an IT cell's key) to which every packet is also encrypted,
so that a department can recover a post's credentials if the incoming officer cannot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from vault.store import schema

if TYPE_CHECKING:
    from vault.store.storage import Registry


def _check(recipient: str) -> str:
    import pyrage

    value = recipient.strip()
    try:
        pyrage.x25519.Recipient.from_str(value)
    except pyrage.RecipientError:
        raise InvalidInputError(f"{recipient!r} is not an age X25519 recipient (age1...)") from None
    return value


def add(registry: Registry, recipient: str, label: str | None) -> str:
    value = _check(recipient)
    t = schema.escrow_recipients
    with registry.write() as tx:
        if tx.conn.execute(sa.select(t.c.recipient).where(t.c.recipient == value)).first():
            raise AlreadyExistsError(f"{value} is already an escrow recipient")
        tx.conn.execute(
            t.insert().values(
                recipient=value, label=label or "escrow", added_at=tx.now, added_by=tx.actor
            )
        )
        tx.log("escrow.add", "escrow", None, value, label=label or "escrow")
    return value


def remove(registry: Registry, recipient: str) -> str:
    value = recipient.strip()
    t = schema.escrow_recipients
    with registry.write() as tx:
        if not tx.conn.execute(t.delete().where(t.c.recipient == value)).rowcount:
            raise NotFoundError(f"{value} is not an escrow recipient")
        tx.log("escrow.remove", "escrow", None, value)
    return value


def recipients(conn: sa.Connection) -> list[str]:
    t = schema.escrow_recipients
    return list(conn.execute(sa.select(t.c.recipient).order_by(t.c.recipient)).scalars())


def list_escrow(registry: Registry) -> list[dict[str, Any]]:
    t = schema.escrow_recipients
    with registry.read() as conn:
        return [
            {
                "recipient": r.recipient,
                "label": r.label,
                "added_at": r.added_at.isoformat(),
                "added_by": r.added_by,
            }
            for r in conn.execute(sa.select(t).order_by(t.c.added_at))
        ]
