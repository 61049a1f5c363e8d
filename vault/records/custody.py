"""Custody records: which packets this registry sent, claimed or witnessed, and their receipts.

They make a claim replay-proof (one ``received`` record per packet id, enforced by a unique
constraint, so two racing claims cannot both commit), let a receipt close the handover it
answers, and tell the audit and transfer orders whether a post's change of holder was handed over.

They also hold each post's **handover chain**: every format 2 packet names the post's previous
handover (the sequence number and the SHA-256 of the last packet or receipt its sender knew), so
a registry refuses a packet older than one it already has (:mod:`vault.records.authority`).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from vault.crypto import postkeys
from vault.records.sealing import mark_rotation_due
from vault.store import reads, schema, settings

if TYPE_CHECKING:
    from vault.store.storage import Tx

DIRECTIONS = ("sent", "received", "witnessed", "rekeyed")


class PacketFacts(NamedTuple):
    """What a packet's signed header says, as the core needs it to decide and to record.

    ``sequence`` and ``previous_sha256`` are ``None`` for a format 1 packet, which predates the
    handover chain; ``capacity`` is then ``holder``.
    """

    format: int
    packet_id: uuid.UUID
    sha256: str
    post: str
    sender: str
    sender_key: str
    sender_fingerprint: str
    capacity: str
    reason: str | None
    sequence: int | None
    previous_sha256: str | None
    recipient: str
    recipient_fingerprint: str | None
    escrow: tuple[str, ...]
    created: dt.datetime
    expires: dt.datetime
    accounts: int


class ChainEnd(NamedTuple):
    """The last handover of a post this registry knows: its sequence number and documents."""

    sequence: int
    documents: frozenset[str]


def find(conn: sa.Connection, packet_id: uuid.UUID, direction: str) -> Any:
    return reads.first(conn, "custody_of_packet", packet_id=packet_id, direction=direction)


def find_any(conn: sa.Connection, packet_id: uuid.UUID, directions: tuple[str, ...]) -> Any:
    """The first record of ``packet_id`` in one of ``directions``, in that order of preference."""
    for direction in directions:
        row = find(conn, packet_id, direction)
        if row is not None:
            return row
    return None


def chain_end(conn: sa.Connection, post_id: uuid.UUID) -> ChainEnd:
    """The newest handover of the post in this registry's records (sequence 0: none)."""
    c = schema.custody
    row = conn.execute(
        sa.select(c)
        .where(c.c.post_id == post_id, c.c.sequence.is_not(None))
        .order_by(c.c.sequence.desc(), c.c.recorded_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return ChainEnd(0, frozenset())
    documents = {
        d
        for r in conn.execute(
            sa.select(c.c.packet_sha256, c.c.receipt_sha256).where(
                c.c.post_id == post_id, c.c.sequence == row.sequence
            )
        )
        for d in (r.packet_sha256, r.receipt_sha256)
        if d
    }
    return ChainEnd(int(row.sequence), frozenset(documents))


def last_receipt_or_packet(conn: sa.Connection, post_id: uuid.UUID) -> tuple[int, str]:
    """(sequence, SHA-256) a new packet of the post names as its previous handover: the receipt
    of the newest handover if this registry has it, else that handover's packet."""
    c = schema.custody
    row = conn.execute(
        sa.select(c)
        .where(c.c.post_id == post_id, c.c.sequence.is_not(None))
        .order_by(c.c.sequence.desc(), c.c.receipt_sha256.is_(None), c.c.recorded_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return 0, ""
    return int(row.sequence), str(row.receipt_sha256 or row.packet_sha256)


def record_packet(
    tx: Tx,
    facts: PacketFacts,
    direction: str,
    post_id: uuid.UUID,
    *,
    claimed_at: dt.datetime | None = None,
    receipt_sha256: str | None = None,
) -> uuid.UUID:
    """Record a packet this registry sent, received or witnessed, with its chain position."""
    return record(
        tx,
        packet_id=facts.packet_id,
        direction=direction,
        post_id=post_id,
        from_officer=facts.sender,
        to_officer=facts.recipient,
        packet_sha256=facts.sha256,
        created_at=facts.created,
        expires_at=facts.expires,
        claimed_at=claimed_at,
        receipt_sha256=receipt_sha256,
        sequence=facts.sequence,
        previous_sha256=facts.previous_sha256,
        capacity=facts.capacity,
        reason=facts.reason,
        from_fingerprint=facts.sender_fingerprint,
        to_fingerprint=facts.recipient_fingerprint,
        escrow=json.dumps(list(facts.escrow)),
    )


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
    **chain: Any,
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
            **chain,
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


def department_escrow(conn: sa.Connection, post_id: uuid.UUID) -> list[str]:
    """The escrow recipients named by the newest packet of the post this registry claimed: the
    department's, to which the holder's rotation report is also encrypted."""
    c = schema.custody
    found = conn.execute(
        sa.select(c.c.escrow)
        .where(c.c.post_id == post_id, c.c.direction == "received", c.c.escrow.is_not(None))
        .order_by(c.c.sequence.desc(), c.c.recorded_at.desc())
        .limit(1)
    ).scalar()
    return list(json.loads(found)) if found else []


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
