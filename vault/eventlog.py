"""Reading the event log for people: entries by date or by the object they concern."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from vault import events
from vault.errors import InvalidInputError, NotFoundError

if TYPE_CHECKING:
    from vault.storage import Registry


def _object_ids(conn: object, ref: str) -> tuple[list[str], str]:
    """The ids and canonical ref an object name stands for (a UUID is taken as it is)."""
    import uuid

    from vault import accounts, groups, officers, posts

    try:
        return [str(uuid.UUID(ref))], ref
    except ValueError:
        pass
    if ":" in ref:
        row = accounts.row_by_ref(conn, ref)  # type: ignore[arg-type]
        return [str(row.id)], accounts.ref_of(row)
    for find in (posts.row_by_slug, officers.row_by_service_id, groups.row_by_slug):
        try:
            row = find(conn, ref)  # type: ignore[arg-type]
        except NotFoundError:
            continue
        return [str(row.id)], ref.strip().lower()
    raise NotFoundError(f"no post, officer, account or group {ref!r}")


def list_entries(
    registry: Registry, *, since: dt.date | None = None, obj: str | None = None
) -> list[events.Event]:
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
        return list(events.list_events(conn, since=start, object_ids=ids, object_ref=ref))
