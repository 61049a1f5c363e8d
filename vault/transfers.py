"""Transfer orders: the government orders that move officers, and where each handover stands.

An order line says: officer X moves from post P1 to post P2 from a date. The line is done when
X has handed P1 over: a packet made, claimed by the successor, the receipt back here, and every
credential of P1 rotated afterwards (known here from the successor's rotation report, or directly
on a shared registry). A line whose handover is not complete after its effective date is overdue,
and the audit reports it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault import schema
from vault.model import Record, parse_date

if TYPE_CHECKING:
    from vault.imports import Progress, _Reader
    from vault.storage import Registry, Tx


def import_rows(
    tx: Tx, reader: _Reader, text: str, _secrets: str | None, dry: bool, progress: Progress | None
) -> tuple[int, int, int, int, int]:
    """The ``transfers`` importer of :func:`vault.imports.run`."""
    from vault.imports import _bulk, _changes, _finish

    t = schema.transfer_orders
    officers = {
        r.service_id: r.id
        for r in tx.conn.execute(sa.select(schema.officers.c.service_id, schema.officers.c.id))
    }
    posts = {
        r.slug: r.id for r in tx.conn.execute(sa.select(schema.posts.c.slug, schema.posts.c.id))
    }
    existing = {(r.order_no, r.officer_id): r for r in tx.conn.execute(sa.select(t))}
    seen: dict[tuple[str, Any], int] = {}
    inserts, updates = [], []
    rows = 0
    for number, row in reader.rows(text):
        rows += 1
        order_no = reader.required(number, "order_no", row["order_no"], "an order number is needed")
        officer = officers.get(row["officer"].strip().lower())
        if officer is None:
            reader.error(number, "officer", f"no officer {row['officer']!r} in the registry")
        values: dict[str, Any] = {}
        for column in ("from_post", "to_post"):
            name = row.get(column, "").strip().lower()
            values[f"{column}_id"] = posts.get(name) if name else None
            if name and values[f"{column}_id"] is None:
                reader.error(number, column, f"no post {row[column]!r} in the registry")
        values["order_date"] = reader.value(
            number, "order_date", lambda v: parse_date(v, "order date"), row["order_date"]
        )
        values["effective_date"] = reader.value(
            number,
            "effective_date",
            lambda v: parse_date(v, "effective date"),
            row["effective_date"],
        )
        if not values["from_post_id"] and not values["to_post_id"]:
            reader.error(number, "from_post", "a line needs a from_post or a to_post")
        if order_no is None or officer is None:
            continue
        key = (order_no, officer)
        if key in seen:
            reader.error(
                number,
                "officer",
                f"the officer appears twice in order {order_no} (row {seen[key]})",
            )
            continue
        seen[key] = number
        if key in existing:
            if _changes(existing[key], values):
                updates.append({"_id": existing[key].id, **values})
        else:
            inserts.append(
                {
                    "id": uuid.uuid4(),
                    "order_no": order_no,
                    "officer_id": officer,
                    "imported_at": tx.now,
                    "imported_by": tx.actor,
                    **values,
                }
            )
    _finish(reader)
    if not dry:
        _bulk(
            tx,
            t,
            inserts,
            updates,
            ("order_date", "from_post_id", "to_post_id", "effective_date"),
            progress,
        )
    return rows, len(inserts), len(updates), rows - len(inserts) - len(updates), 0


@dataclass(frozen=True)
class LineStatus(Record):
    order_no: str
    order_date: dt.date
    officer: str
    from_post: str | None
    to_post: str | None
    effective_date: dt.date
    packet_made: bool
    claimed: bool
    receipt_back: bool
    rotated: bool
    overdue: bool
    state: str


def _handover_steps(custody: list[Any], officer: str, since: dt.date) -> tuple[bool, bool, bool]:
    """(packet made, claimed, receipt back) for the officer's handover of a post."""
    made = claimed = back = False
    for c in custody:
        if c.from_officer != officer or c.created_at.date() < since:
            continue
        made = True
        if c.direction in ("received", "witnessed", "rekeyed") or c.claimed_at is not None:
            claimed = True
        if c.direction in ("witnessed", "rekeyed") or (
            c.direction == "sent" and c.completed_at is not None
        ):
            back = True
    return made, claimed, back


def status(
    conn: sa.Connection, today: dt.date, order_no: str | None = None
) -> Iterator[LineStatus]:
    t, o, p = schema.transfer_orders, schema.officers, schema.posts
    from_post, to_post = p.alias("from_post"), p.alias("to_post")
    query = (
        sa.select(
            t, o.c.service_id, from_post.c.slug.label("from_slug"), to_post.c.slug.label("to_slug")
        )
        .join(o, o.c.id == t.c.officer_id)
        .outerjoin(from_post, from_post.c.id == t.c.from_post_id)
        .outerjoin(to_post, to_post.c.id == t.c.to_post_id)
        .order_by(t.c.order_date, t.c.order_no, o.c.service_id)
    )
    if order_no:
        query = query.where(t.c.order_no == order_no)
    custody: dict[Any, list[Any]] = {}
    for c in conn.execute(sa.select(schema.custody)):
        custody.setdefault(c.post_id, []).append(c)
    a = schema.accounts
    owning: dict[Any, int] = {}
    unrotated: dict[Any, int] = {}
    for r in conn.execute(
        sa.select(a.c.post_id, a.c.rotation_due_at).where(a.c.post_id.is_not(None))
    ):
        owning[r.post_id] = owning.get(r.post_id, 0) + 1
        if r.rotation_due_at is not None:
            unrotated[r.post_id] = unrotated.get(r.post_id, 0) + 1
    for row in conn.execute(query):
        post_id = row.from_post_id
        if post_id is None or not owning.get(post_id):
            yield LineStatus(
                row.order_no,
                row.order_date,
                row.service_id,
                row.from_slug,
                row.to_slug,
                row.effective_date,
                False,
                False,
                False,
                False,
                False,
                "no handover needed",
            )
            continue
        made, claimed, back = _handover_steps(
            custody.get(post_id, []), row.service_id, row.order_date
        )
        rotated = back and not unrotated.get(post_id)
        complete = back and rotated
        overdue = not complete and today > row.effective_date
        state = (
            "complete"
            if complete
            else "credentials to rotate"
            if back
            else "awaiting receipt"
            if claimed
            else "awaiting claim"
            if made
            else "no packet yet"
        )
        yield LineStatus(
            row.order_no,
            row.order_date,
            row.service_id,
            row.from_slug,
            row.to_slug,
            row.effective_date,
            made,
            claimed,
            back,
            rotated,
            overdue,
            state + (" (overdue)" if overdue else ""),
        )


def list_status(registry: Registry, order_no: str | None = None) -> list[LineStatus]:
    with registry.read() as conn:
        return list(status(conn, registry.clock().astimezone().date(), order_no))
