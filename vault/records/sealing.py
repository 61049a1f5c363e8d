"""An account's secrets as stored: which columns hold them, sealing and opening one value, and
what a change of owning post or holder does to them.

Sealing binds each value to its row and column (:mod:`vault.crypto.seal`); on a registry with
per-post keys a value is sealed under its post's key, so moving an account to another post re-seals
its secrets there, or the new holder could not open them.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault.crypto import postkeys
from vault.crypto.unlock import open_sealed
from vault.store import schema

if TYPE_CHECKING:
    from vault.store.storage import Registry, Tx

COLUMNS = {
    "password": "password_sealed",
    "totp": "totp_sealed",
    "recovery_codes": "recovery_codes_sealed",
    "notes": "notes_sealed",
}


def seal_value(tx: Tx, row: Any, kind: str, plaintext: str) -> bytes:
    """Seal one secret of the account ``row`` under the key that protects its post."""
    column = COLUMNS[kind]
    sealer = postkeys.sealer_for(tx, row.post_id)
    return sealer.seal("accounts", column, row.id, plaintext.encode("utf-8"))


def open_value(conn: sa.Connection, registry: Registry, row: Any, kind: str) -> str | None:
    column = COLUMNS[kind]
    blob = getattr(row, column)
    if blob is None:
        return None
    return open_sealed(conn, registry, "accounts", column, row.id, blob).decode("utf-8")


def sealed_secrets(tx: Tx, row: Any, secrets: dict[str, Any]) -> dict[str, Any]:
    """Column values sealing the secrets a packet or escrow copy carries for the account ``row``
    (as handover writes them: a TOTP seed as an object, recovery codes as a list). A secret
    that is absent is left as it is here."""
    values: dict[str, Any] = {}
    for kind, column in COLUMNS.items():
        value = secrets.get(kind)
        if value is None:
            continue
        if kind == "totp":
            text = json.dumps(value, sort_keys=True)
        elif kind == "recovery_codes":
            text = json.dumps(value)
        else:
            text = str(value)
        values[column] = seal_value(tx, row, kind, text)
    return values


def mark_rotation_due(tx: Tx, post_id: Any, deadline: dt.datetime, reason: str) -> int:
    """Mark every credential of a post's accounts as due for rotation by ``deadline``."""
    t = schema.accounts
    return int(
        tx.conn.execute(
            t.update()
            .where(t.c.post_id == post_id)
            .values(rotation_due_at=deadline, rotation_reason=reason, updated_at=tx.now)
        ).rowcount
    )


def reseal_moved(tx: Tx, before: Any, after: Any) -> None:
    """An account moved to another post: on a registry with per-post keys its secrets must be
    sealed under the new post's key, or the new holder could not open them."""
    if not postkeys.per_post(tx.conn):
        return
    values = {}
    for kind, column in COLUMNS.items():
        plain = open_value(tx.conn, tx.registry, before, kind)
        if plain is not None:
            values[column] = seal_value(tx, after, kind, plain)
    if values:
        t = schema.accounts
        tx.conn.execute(t.update().where(t.c.id == after.id).values(**values))
