"""Custody records: which packets this registry sent, claimed or saw a receipt for.

They make a claim replay-proof (one ``received`` record per packet id, enforced by a unique
constraint, so two racing claims cannot both commit), let a receipt close the handover it
answers, and tell the audit and transfer orders whether a post's change of holder was handed over.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault.crypto import postkeys
from vault.records.sealing import mark_rotation_due
from vault.store import schema, settings

if TYPE_CHECKING:
    from vault.store.storage import Tx


def find(conn: sa.Connection, packet_id: uuid.UUID, direction: str) -> Any:
    c = schema.custody
    return conn.execute(
        sa.select(c).where(c.c.packet_id == packet_id, c.c.direction == direction)
    ).first()


def record(
    tx: Tx,
    *,
    packet_id: uuid.UUID,
    direction: str,
    post_id: uuid.UUID,
    from_officer: str,
    to_officer: str,
    packet_sha256: str,
    created_at: dt.datetime,
    expires_at: dt.datetime,
    claimed_at: dt.datetime | None = None,
    completed_at: dt.datetime | None = None,
    receipt_sha256: str | None = None,
) -> uuid.UUID:
    record_id = uuid.uuid4()
    tx.conn.execute(
        schema.custody.insert().values(
            id=record_id,
            packet_id=packet_id,
            direction=direction,
            post_id=post_id,
            from_officer=from_officer,
            to_officer=to_officer,
            packet_sha256=packet_sha256,
            created_at=created_at,
            expires_at=expires_at,
            recorded_at=tx.now,
            claimed_at=claimed_at,
            completed_at=completed_at,
            receipt_sha256=receipt_sha256,
        )
    )
    return record_id


def complete(tx: Tx, record_id: uuid.UUID, claimed_at: dt.datetime, receipt_sha256: str) -> None:
    c = schema.custody
    tx.conn.execute(
        c.update()
        .where(c.c.id == record_id)
        .values(claimed_at=claimed_at, completed_at=tx.now, receipt_sha256=receipt_sha256)
    )


def hand_over_by_rekey(
    tx: Tx, post_id: uuid.UUID, outgoing: str | None, incoming: str | None
) -> int:
    """A change of holder on a shared registry: re-key the post to its new recipients, mark its
    credentials for rotation, and record the handover (so the audit sees it was done).

    Returns how many secrets were re-sealed (none when the post has no key yet).
    """
    if postkeys.current_key_id(tx.conn, post_id) is None:
        return 0
    reason = f"handover from {outgoing or 'vacancy'} to {incoming or 'vacancy'}"
    count = postkeys.rekey(tx, post_id, reason)
    days = settings.read(tx.conn, "rotation_deadline_days")
    mark_rotation_due(tx, post_id, tx.now + dt.timedelta(days=days), reason)
    record(
        tx,
        packet_id=uuid.uuid4(),
        direction="rekeyed",
        post_id=post_id,
        from_officer=outgoing or "-",
        to_officer=incoming or "-",
        packet_sha256="",
        created_at=tx.now,
        expires_at=tx.now,
        claimed_at=tx.now,
        completed_at=tx.now,
    )
    return count
