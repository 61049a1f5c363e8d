"""Reading the event log for people: entries by date or by the object they concern."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from vault.errors import InvalidInputError, NotFoundError
from vault.records import accounts, groups, officers, posts
from vault.store import schema
from vault.store.journal import iso
from vault.store.storage import Registry


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
            "at": iso(self.at),
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


def _object_ids(conn: sa.Connection, ref: str) -> tuple[list[str], str]:
    """The ids and canonical ref an object name stands for (a UUID is taken as it is)."""
    try:
        return [str(uuid.UUID(ref))], ref
    except ValueError:
        pass
    if ":" in ref:
        row = accounts.row_by_ref(conn, ref)
        return [str(row.id)], accounts.ref_of(row)
    for find in (posts.row_by_slug, officers.row_by_service_id, groups.row_by_slug):
        try:
            row = find(conn, ref)
        except NotFoundError:
            continue
        return [str(row.id)], ref.strip().lower()
    raise NotFoundError(f"no post, officer, account or group {ref!r}")


def list_entries(
    registry: Registry, *, since: dt.date | None = None, obj: str | None = None
) -> list[Event]:
    start = None
    if since is not None:
        start = dt.datetime.combine(since, dt.time.min).astimezone(dt.UTC)
    with registry.read() as conn:
        ids: list[str] = []
        ref = None
        if obj:
            if not obj.strip():
                raise InvalidInputError("--object is empty")
            ids, ref = _object_ids(conn, obj.strip())
        return list(list_events(conn, since=start, object_ids=ids, object_ref=ref))
