"""Importing transfer orders: the lines of a government order that moves officers between posts."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault.exchange.rows import Progress, RowReader, changed_fields, reject_if_errors, write_rows
from vault.model import parse_date
from vault.store import schema, settings

if TYPE_CHECKING:
    from vault.store.storage import Tx


def import_transfers(
    tx: Tx,
    reader: RowReader,
    text: Iterable[str],
    _secrets: Iterable[str] | None,
    dry: bool,
    progress: Progress | None,
) -> tuple[int, int, int, int, int]:
    """Order lines, matched on order number and officer."""
    t = schema.transfer_orders
    day_first = settings.day_first(tx.conn)
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
            number,
            "order_date",
            lambda v: parse_date(v, "order date", day_first=day_first),
            row["order_date"],
        )
        values["effective_date"] = reader.value(
            number,
            "effective_date",
            lambda v: parse_date(v, "effective date", day_first=day_first),
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
            if changed_fields(existing[key], values):
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
    reject_if_errors(reader)
    if not dry:
        write_rows(
            tx,
            t,
            inserts,
            updates,
            ("order_date", "from_post_id", "to_post_id", "effective_date"),
            progress,
        )
    return rows, len(inserts), len(updates), rows - len(inserts) - len(updates), 0
