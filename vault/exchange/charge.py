"""The charge report of a handover: what an office keeps on file when a post changes hands.

In Indian government offices a change of charge is evidenced by a report signed by the relieved
(outgoing) and the relieving (incoming) officer. This is its content, from this registry's own
records: the post, both officers with their safety codes, when the charge was handed over and
taken over, every account handed over (never a secret), the groups the post runs, the packet's
id and SHA-256, and what the incoming officer has rotated since. :mod:`handover.reports` prints
it; a web page can show it the same way.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from vault.crypto.safety import safety_code
from vault.errors import NotFoundError
from vault.exchange.preview import AccountLine, GroupLine, account_lines, group_lines
from vault.model import as_dict
from vault.records import posts
from vault.store import schema, settings

if TYPE_CHECKING:
    from vault.store.storage import Registry


class Party(NamedTuple):
    """One side of the handover: who, under this registry's name, and their keys' safety code."""

    officer: str
    name: str | None
    safety_code: str | None

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class Charge(NamedTuple):
    department: str | None
    post: str
    title: str
    level: str
    district: str | None
    relieved: Party
    relieving: Party
    capacity: str
    reason: str | None
    handed_over: dt.datetime
    taken_over: dt.datetime | None
    packet_id: uuid.UUID
    sha256: str
    accounts: tuple[AccountLine, ...]
    groups: tuple[GroupLine, ...]
    rotated: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def _party(conn: sa.Connection, officer: str, fingerprint: str | None) -> Party:
    o, i = schema.officers, schema.identities
    name = conn.execute(sa.select(o.c.name).where(o.c.service_id == officer)).scalar()
    keys = None
    if fingerprint:
        keys = conn.execute(
            sa.select(i.c.signing_key, i.c.age_recipient).where(i.c.fingerprint == fingerprint)
        ).first()
    return Party(officer, name, safety_code(keys.signing_key, keys.age_recipient) if keys else None)


def _record(conn: sa.Connection, post_id: uuid.UUID, packet_id: uuid.UUID | None) -> Any:
    """The custody record of the handover: of ``packet_id``, else the post's newest."""
    c = schema.custody
    query = sa.select(c).where(
        c.c.post_id == post_id, c.c.direction.in_(("sent", "received", "witnessed"))
    )
    if packet_id is not None:
        query = query.where(c.c.packet_id == packet_id)
    # A packet made and claimed in one (shared) registry has two records: the claim says more.
    return conn.execute(
        query.order_by(
            c.c.sequence.desc().nulls_last(),
            c.c.recorded_at.desc(),
            (c.c.direction == "received").desc(),
        ).limit(1)
    ).first()


def _rotated(conn: sa.Connection, post_id: uuid.UUID, since: dt.datetime) -> tuple[str, ...]:
    a = schema.accounts
    rows = conn.execute(
        sa.select(a.c.platform, a.c.handle)
        .where(
            a.c.post_id == post_id,
            a.c.kind == "official",
            a.c.password_changed_at > since,
            a.c.rotation_due_at.is_(None),
        )
        .order_by(a.c.platform, a.c.handle_key)
    )
    return tuple(f"{r.platform}:{r.handle}" for r in rows)


def charge(registry: Registry, post_slug: str, packet_id: uuid.UUID | None = None) -> Charge:
    """The charge report of the post's handover by ``packet_id``, or of its newest one."""
    with registry.read() as conn:
        post = posts.row_by_slug(conn, post_slug)
        record = _record(conn, post.id, packet_id)
        if record is None:
            which = f"packet {packet_id}" if packet_id else "any handover"
            raise NotFoundError(
                f"this registry has no record of {which} of {post.slug}: make the packet with "
                "'handover give', or take it with 'handover take'"
            )
        claimed = record.claimed_at  # on a sent packet, from its receipt
        return Charge(
            settings.read(conn, "department") or post.department,
            post.slug,
            post.title,
            post.level,
            post.district,
            _party(conn, record.from_officer, record.from_fingerprint),
            _party(conn, record.to_officer, record.to_fingerprint),
            record.capacity or "holder",
            record.reason,
            record.created_at,
            claimed,
            uuid.UUID(str(record.packet_id)),
            record.packet_sha256,
            account_lines(conn, post.id),
            group_lines(conn, post.id),
            _rotated(conn, post.id, claimed) if claimed else (),
        )
