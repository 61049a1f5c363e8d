"""Writing the registry's append-only event log: a SHA-256 hash chain over RFC 8785 entries.

Every change appends one entry in the same transaction as the change (see :meth:`Tx.log`), so a
change without its record cannot commit. Entry ``n`` stores the hash of entry ``n-1`` and its own
hash, ``SHA-256(prev_hash || JCS(content))``; editing, deleting or reordering any entry breaks the
chain from that entry on (:mod:`vault.log.verify` recomputes it). Details never carry a secret
value: callers pass names and counts only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import TYPE_CHECKING, Any, NamedTuple

from vault.canonical import canonical
from vault.errors import ClockError

if TYPE_CHECKING:
    import sqlalchemy as sa

# SQLAlchemy is imported by the functions that write or build statements: verifying the log
# reads it through vault.store.reads (events_raw), on SQLite without SQLAlchemy.

GENESIS = "0" * 64
# The detail that marks an entry made under an overridden clock.
OVERRIDDEN = "clock"
SKEW = dt.timedelta(seconds=5)


def iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_entry(row: Any) -> Any:
    """A row of the catalog's ``events_raw`` with its id, time and details read;
    :class:`ValueError` when any of them is malformed."""
    at = row.at
    if not isinstance(at, dt.datetime):
        at = dt.datetime.fromisoformat(str(at))
    at = at.replace(tzinfo=dt.UTC) if at.tzinfo is None else at.astimezone(dt.UTC)
    entry_id = row.id if isinstance(row.id, uuid.UUID) else uuid.UUID(str(row.id))
    details = json.loads(row.details)
    if type(row.seq) is not int or not isinstance(details, dict):
        raise ValueError("malformed entry")
    return _Row(**{**row._asdict(), "id": entry_id, "at": at, "details_parsed": details})


def content_of(row: Any) -> dict[str, Any]:
    """The hashed content of an entry, rebuilt from its stored columns."""
    return {
        "seq": row.seq,
        "id": str(row.id),
        "at": iso(row.at),
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


class Head(NamedTuple):
    """The log's size, the hash of its last entry (``GENESIS`` for an empty log) and its time."""

    size: int
    hash: str
    at: dt.datetime | None = None


def head(conn: sa.Connection) -> Head:
    from vault.store import reads

    row = reads.first(conn, "events_head")
    return Head(0, GENESIS) if row is None else Head(int(row.seq), str(row.hash), row.at)


def _detail_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_detail_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _detail_value(v) for k, v in value.items()}
    return value


class Entry(NamedTuple):
    """What one log entry says: when, who, what was done, to which object, with what details.

    ``clock_overridden`` marks an entry whose time came from ``HANDOVER_NOW`` rather than the
    system clock: the entry says so (``"clock": "HANDOVER_NOW"`` in its details), and the audit
    reports it.
    """

    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: object
    object_ref: str | None
    details: dict[str, Any]
    clock_overridden: bool = False


def check_clock(prev: Head, now: dt.datetime) -> None:
    """Refuse a change dated more than ``SKEW`` before the log's last entry."""
    if prev.at is not None and prev.at - now > SKEW:
        raise ClockError(
            f"the clock reads {iso(now)}, before the event log's last entry "
            f"({iso(prev.at)}): set the clock right (or HANDOVER_NOW) and try again; "
            "nothing was changed"
        )


def append(conn: sa.Connection, prev: Head, entries: list[Entry]) -> Head:
    """Append ``entries`` after ``prev``, the log's head as the caller knows it, each chained to
    the one before, in one statement; the caller's transaction holds the registry's writer lock,
    so nobody else can move the head.

    The log never goes back in time. Machines writing to one shared registry disagree by a little,
    so an entry up to ``SKEW`` before the last one takes the last one's time; anything earlier (a
    clock set back, or ``HANDOVER_NOW`` in the past) is refused, and the whole change with it.
    """
    rows = []
    for entry in entries:
        check_clock(prev, entry.at)
        at = entry.at if prev.at is None else max(entry.at, prev.at)
        details = dict(entry.details)
        if entry.clock_overridden:
            details[OVERRIDDEN] = "HANDOVER_NOW"
        clean = {k: _detail_value(v) for k, v in details.items() if v is not None}
        seq = prev.size + 1
        row: dict[str, Any] = {
            "seq": seq,
            "id": uuid.uuid4(),
            "at": at,
            "actor": entry.actor,
            "action": entry.action,
            "object_type": entry.object_type,
            "object_id": None if entry.object_id is None else str(entry.object_id),
            "object_ref": entry.object_ref,
            "details": canonical(clean).decode(),
            "prev_hash": prev.hash,
        }
        digest = entry_hash(prev.hash, content_of(_Row(**row)))
        rows.append({**row, "hash": digest})
        prev = Head(seq, digest, at)
    import sqlalchemy as sa

    from vault.store import schema

    conn.execute(sa.insert(schema.events), rows)
    return prev


class _Row:
    """Attribute access over a dict, so a new entry is hashed by the same code as a stored one."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)
