"""Transfer orders: the government orders that move officers, and where each handover stands.

An order line says: officer X moves from post P1 to post P2 from a date. The line is done when
X has handed P1 over: a packet made, claimed by the successor, the receipt back here, and every
credential of P1 rotated afterwards (known here from the successor's rotation report, or directly
on a shared registry). A line whose handover is not complete after its effective date is overdue,
and the audit reports it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from vault.model import as_dict
from vault.store import reads

if TYPE_CHECKING:
    from vault.store.storage import Registry


class LineStatus(NamedTuple):
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

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


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


def custody_by_post(conn: Any) -> dict[Any, list[Any]]:
    """Every packet's custody, by the post it hands over (ids as stored), oldest first."""
    custody: dict[Any, list[Any]] = {}
    for c in reads.rows(conn, "audit_custody"):
        custody.setdefault(c.post_id, []).append(c)
    return custody


def status(
    conn: Any,
    today: dt.date,
    order_no: str | None = None,
    custody: dict[Any, list[Any]] | None = None,
) -> Iterator[LineStatus]:
    """Where each line of the transfer orders (or of one order) stands, read through
    :mod:`vault.store.reads` with ids as stored. The audit, which has read the custody
    (:func:`custody_by_post`) already, passes it in."""
    orders = reads.rows(conn, "transfer_lines", order_no=order_no)
    if not orders:
        return
    if custody is None:
        custody = custody_by_post(conn)
    owning: dict[Any, int] = {}
    unrotated: dict[Any, int] = {}
    for post_id, accounts, due in reads.rows(conn, "post_account_counts"):
        owning[post_id], unrotated[post_id] = accounts, due
    for row in orders:
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
    with registry.reads() as db:
        return list(status(db, registry.clock().astimezone().date(), order_no))
