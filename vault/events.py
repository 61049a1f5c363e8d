"""The registry's append-only event log, a SHA-256 hash chain over RFC 8785 canonical entries.

Every change appends one entry in the same transaction as the change (see :meth:`Tx.log`), so a
change without its record cannot commit. Entry ``n`` stores the hash of entry ``n-1`` and its own
hash, ``SHA-256(prev_hash || JCS(content))``; editing, deleting or reordering any entry breaks the
chain from that entry on, and a signed checkpoint (size and head hash, kept outside the database)
catches a cut tail. Details never carry a secret value: callers pass names and counts only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault import schema

if TYPE_CHECKING:
    from vault.storage import Tx

GENESIS = "0" * 64


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _plain_json(value: Any) -> bool:
    """Whether ``value`` holds only what JCS and ``json.dumps`` encode alike: ASCII keys,
    strings, integers within JavaScript's safe range, booleans, nulls, lists and objects."""
    if value is None or isinstance(value, (str, bool)):
        return True
    if isinstance(value, int):
        return -(2**53) < value < 2**53
    if isinstance(value, list):
        return all(_plain_json(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and _plain_json(v) for k, v in value.items())
    return False


def canonical(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of a JSON value: the one encoding that is hashed and signed.

    For plain values (see :func:`_plain_json`) the standard library's encoder, with sorted keys
    and no spaces, writes exactly these bytes, forty times faster than the pure-Python
    ``rfc8785`` package; verifying a long event log depends on it. Anything else (floats,
    non-ASCII keys, whose order JCS defines by UTF-16) goes to ``rfc8785``. A property test
    holds the two to the same output.
    """
    if _plain_json(value):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    import rfc8785

    return bytes(rfc8785.dumps(value))


def content_of(row: Any) -> dict[str, Any]:
    """The hashed content of an entry, rebuilt from its stored columns."""
    return {
        "seq": row.seq,
        "id": str(row.id),
        "at": _iso(row.at),
        "actor": row.actor,
        "action": row.action,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "object_ref": row.object_ref,
        "details": json.loads(row.details),
        "prev": row.prev_hash,
    }


def entry_hash(prev_hash: str, content: dict[str, Any]) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical(content)).hexdigest()


@dataclass(frozen=True)
class Head:
    """The log's size and the hash of its last entry (``GENESIS`` for an empty log)."""

    size: int
    hash: str


def head(conn: sa.Connection) -> Head:
    row = conn.execute(
        sa.select(schema.events.c.seq, schema.events.c.hash)
        .order_by(schema.events.c.seq.desc())
        .limit(1)
    ).first()
    return Head(0, GENESIS) if row is None else Head(int(row.seq), str(row.hash))


def _detail_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return _iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_detail_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _detail_value(v) for k, v in value.items()}
    return value


def append(
    tx: Tx,
    action: str,
    object_type: str,
    object_id: object,
    object_ref: str | None,
    details: dict[str, Any],
) -> Head:
    """Append one entry. The caller's transaction already holds the registry's writer lock."""
    prev = tx.log_head if tx.log_head is not None else head(tx.conn)
    clean = {k: _detail_value(v) for k, v in details.items() if v is not None}
    seq = prev.size + 1
    row: dict[str, Any] = {
        "seq": seq,
        "id": uuid.uuid4(),
        "at": tx.now,
        "actor": tx.actor,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "object_ref": object_ref,
        "details": canonical(clean).decode(),
        "prev_hash": prev.hash,
    }
    digest = entry_hash(prev.hash, content_of(_Row(**row)))
    tx.conn.execute(sa.insert(schema.events), {**row, "hash": digest})
    written = Head(seq, digest)
    tx.log_head = written
    return written


class _Row:
    """Attribute access over a dict, so a new entry is hashed by the same code as a stored one."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


@dataclass(frozen=True)
class Event:
    seq: int
    id: uuid.UUID
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str | None
    object_ref: str | None
    details: dict[str, Any]
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "id": str(self.id),
            "at": _iso(self.at),
            "actor": self.actor,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_ref": self.object_ref,
            "details": self.details,
            "hash": self.hash,
        }


def list_events(
    conn: sa.Connection,
    *,
    since: dt.datetime | None = None,
    object_ids: Iterable[str] = (),
    object_ref: str | None = None,
) -> Iterator[Event]:
    t = schema.events
    query = sa.select(t).order_by(t.c.seq)
    if since is not None:
        query = query.where(t.c.at >= since)
    ids = list(object_ids)
    if ids or object_ref:
        query = query.where(sa.or_(t.c.object_id.in_(ids), t.c.object_ref == object_ref))
    for row in conn.execute(query):
        yield Event(
            row.seq,
            row.id,
            row.at,
            row.actor,
            row.action,
            row.object_type,
            row.object_id,
            row.object_ref,
            json.loads(row.details),
            row.hash,
        )


@dataclass(frozen=True)
class Break:
    """Where and how the chain first fails to verify."""

    seq: int
    reason: str


@dataclass(frozen=True)
class Checkpoint:
    """A claim that the log had ``size`` entries ending in ``head_hash``."""

    size: int
    head_hash: str
    label: str


@dataclass(frozen=True)
class Verification:
    size: int
    head: str
    first_break: Break | None
    checkpoints_checked: int

    @property
    def ok(self) -> bool:
        return self.first_break is None


def verify_chain(conn: sa.Connection, checkpoints: Iterable[Checkpoint] = ()) -> Verification:
    """Recompute the chain from the first entry, and hold it against every checkpoint given.

    Entries are read in the order of their stored position, so a reordering shows up as a wrong
    sequence number or a broken link at the first moved entry, an edit as a wrong hash, a deletion
    as a gap, and a cut tail as a checkpoint whose size the log no longer reaches.
    """
    t = schema.events
    given = list(checkpoints)
    wanted: dict[int, list[Checkpoint]] = {}
    for cp in given:
        wanted.setdefault(cp.size, []).append(cp)
    prev = GENESIS
    count = 0
    first: Break | None = None
    rows = conn.execute(sa.select(t).order_by(t.c.seq)).yield_per(2000)
    for row in rows:
        count += 1
        expected_seq = count
        if row.seq != expected_seq:
            first = Break(
                expected_seq,
                f"entry {expected_seq} is missing or moved "
                f"(found entry numbered {row.seq} in its place)",
            )
            break
        if row.prev_hash != prev:
            first = Break(row.seq, f"entry {row.seq} does not link to entry {row.seq - 1}")
            break
        try:
            recomputed = entry_hash(prev, content_of(row))
        except (ValueError, TypeError):
            recomputed = ""
        if recomputed != row.hash:
            first = Break(row.seq, f"entry {row.seq} was altered (its hash does not match)")
            break
        for cp in wanted.get(row.seq, ()):
            if cp.head_hash != row.hash:
                first = Break(
                    row.seq,
                    f"entry {row.seq} differs from checkpoint {cp.label}: history was rewritten",
                )
                break
        if first is not None:
            break
        prev = row.hash
    size = count if first is None else first.seq - 1
    if first is None:
        for cp_size in sorted(wanted):
            if cp_size > count:
                cp = wanted[cp_size][0]
                first = Break(
                    count + 1,
                    f"the log ends at entry {count} but checkpoint "
                    f"{cp.label} saw {cp.size} entries: its tail was cut",
                )
                break
            if cp_size == 0 and any(c.head_hash != GENESIS for c in wanted[cp_size]):
                first = Break(1, "an empty-log checkpoint does not match")
                break
    return Verification(size, prev, first, len(given))
