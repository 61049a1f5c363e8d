"""Reading the event log for people: entries by date or by the object they concern."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from vault.errors import InvalidInputError, NotFoundError
from vault.model import N_
from vault.records import accounts, groups, officers, posts
from vault.store import queries, schema
from vault.store.journal import iso, parse_entry
from vault.store.storage import Registry


@dataclass(frozen=True)
class Event:
    """One entry as people read it. An entry edited so that its id, time or details no longer
    read is still listed, with what is stored and why it is ``malformed``."""

    seq: int
    id: uuid.UUID | str
    at: dt.datetime | str
    actor: str
    action: str
    object_type: str
    object_id: str | None
    object_ref: str | None
    details: dict[str, Any]
    hash: str
    malformed: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "id": str(self.id),
            "at": iso(self.at) if isinstance(self.at, dt.datetime) else self.at,
            "actor": self.actor,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_ref": self.object_ref,
            "details": self.details,
            "hash": self.hash,
            **({"malformed": self.malformed} if self.malformed else {}),
        }


def list_events(
    conn: sa.Connection,
    *,
    since: dt.datetime | None = None,
    object_ids: Iterable[str] = (),
    object_ref: str | None = None,
) -> Iterator[Event]:
    t = schema.events
    query = queries.statement("events_raw")
    if since is not None:
        query = query.where(t.c.at >= since)
    ids = list(object_ids)
    if ids or object_ref:
        query = query.where(sa.or_(t.c.object_id.in_(ids), t.c.object_ref == object_ref))
    for raw in conn.execute(query):
        try:
            row = parse_entry(raw)
        except (ValueError, TypeError):
            yield Event(
                raw.seq,
                str(raw.id),
                str(raw.at),
                str(raw.actor),
                str(raw.action),
                str(raw.object_type),
                raw.object_id,
                raw.object_ref,
                {},
                str(raw.hash),
                "its id, time or details cannot be read: it was edited",
            )
            continue
        yield Event(
            row.seq,
            row.id,
            row.at,
            row.actor,
            row.action,
            row.object_type,
            row.object_id,
            row.object_ref,
            row.details_parsed,
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
                raise InvalidInputError(N_("--object is empty"))
            ids, ref = _object_ids(conn, obj.strip())
        return list(list_events(conn, since=start, object_ids=ids, object_ref=ref))
