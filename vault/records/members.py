"""IT cell members: officers who act for the department.

On any registry, a member may sign a post's packet for the department (a vacant post, a holder
who cannot act), and a packet or receipt signed by a member is accepted here as the IT cell's
(see :mod:`vault.records.authority`). On a shared registry their identities also open every
post's key: adding a member wraps every post key (and the registry key) to their age recipient;
removing one re-keys everything they could open, so that a key they may have kept opens nothing
new, and marks those posts' credentials for rotation, since they may have seen them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from vault.crypto import identities, postkeys
from vault.crypto.keyadmin import rotate_in
from vault.crypto.slots import add_age_slot, age_recipient, slots_of
from vault.crypto.unlock import registry_key
from vault.errors import ConflictError, InvalidInputError, NotFoundError
from vault.model import N_, as_dict, redacted
from vault.records import officers
from vault.records.posts import row_by_slug
from vault.records.sealing import mark_rotation_due
from vault.store import schema, settings

if TYPE_CHECKING:
    from vault.store.storage import Registry, Tx


class Member(NamedTuple):
    officer: str
    name: str
    recipient: str | None
    added_at: dt.datetime
    added_by: str

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class Change(NamedTuple):
    member: str
    posts: int
    secrets_resealed: int
    credentials_marked: int
    recovery_codes: dict[str, str]  # new codes, by slot label, when the registry key was renewed

    def __repr__(self) -> str:
        return redacted(self, "recovery_codes")

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def _active(conn: sa.Connection, officer_id: uuid.UUID) -> Any:
    m = schema.members
    return conn.execute(
        sa.select(m).where(m.c.officer_id == officer_id, m.c.removed_at.is_(None))
    ).first()


def is_member(conn: sa.Connection, officer_id: uuid.UUID) -> bool:
    return _active(conn, officer_id) is not None


def add(registry: Registry, service_id: str) -> Change:
    with registry.write() as tx:
        officer = officers.row_by_service_id(tx.conn, service_id)
        current = identities.current(tx.conn, officer.id)
        if current is None:
            raise NotFoundError(
                f"{officer.service_id} has no identity keys: they run "
                "'handover identity create' first"
            )
        if _active(tx.conn, officer.id) is not None:
            raise ConflictError(f"{officer.service_id} is already a member")
        tx.conn.execute(
            schema.members.insert().values(
                id=uuid.uuid4(),
                officer_id=officer.id,
                added_at=tx.now,
                added_by=tx.actor,
                removed_at=None,
            )
        )
        posts = 0
        if postkeys.per_post(tx.conn):
            for post_id in postkeys.posts_with_keys(tx.conn):
                posts += bool(postkeys.rewrap(tx, post_id))
            key = registry_key(tx.conn, registry)
            add_age_slot(tx, key, current.age_recipient, f"member {officer.service_id}")
        tx.log("member.add", "officer", officer.id, officer.service_id, posts=posts)
        return Change(officer.service_id, posts, 0, 0, {})


def remove(
    registry: Registry,
    service_id: str,
    announce: Callable[[Change], None] = lambda change: None,
) -> Change:
    """End a membership. On a shared registry, everything the member could open is re-keyed;
    when that renews the registry key, its new recovery codes are in the change, which goes to
    ``announce`` before it commits (if they cannot be shown, nothing changes)."""
    with registry.write() as tx:
        officer = officers.row_by_service_id(tx.conn, service_id)
        member = _active(tx.conn, officer.id)
        if member is None:
            raise NotFoundError(f"{officer.service_id} is not a member")
        m = schema.members
        tx.conn.execute(m.update().where(m.c.id == member.id).values(removed_at=tx.now))
        if postkeys.per_post(tx.conn):
            change = _rekey_for_departure(tx, officer, _recipients_of(tx, officer.id))
        else:
            tx.log("member.remove", "officer", officer.id, officer.service_id, posts=0)
            change = Change(officer.service_id, 0, 0, 0, {})
        announce(change)
        return change


def _recipients_of(tx: Tx, officer_id: uuid.UUID) -> frozenset[str]:
    i = schema.identities
    return frozenset(
        tx.conn.execute(sa.select(i.c.age_recipient).where(i.c.officer_id == officer_id)).scalars()
    )


def _rekey_for_departure(tx: Tx, officer: Any, dropped: frozenset[str]) -> Change:
    """Re-key every post (and the registry key) that ``dropped`` could open."""
    days = settings.read(tx.conn, "rotation_deadline_days")
    deadline = tx.now + dt.timedelta(days=days)
    posts = resealed = marked = 0
    reason = f"IT cell member {officer.service_id} removed"
    for post_id in postkeys.posts_with_keys(tx.conn):
        key_id = postkeys.current_key_id(tx.conn, post_id)
        if key_id is None:
            continue
        wrapped_to = {age_recipient(slot) for slot in slots_of(tx.conn, key_id)}
        if not wrapped_to & dropped:
            continue
        posts += 1
        resealed += postkeys.rekey(tx, post_id, reason)
        marked += mark_rotation_due(tx, post_id, deadline, reason)
    key = registry_key(tx.conn, tx.registry)
    codes: dict[str, str] = {}
    if any(age_recipient(slot) in dropped for slot in slots_of(tx.conn, key.id)):
        rotation = rotate_in(tx, drop_recipients=dropped)
        resealed += rotation.secrets
        codes = rotation.recovery_codes
    tx.log(
        "member.remove",
        "officer",
        officer.id,
        officer.service_id,
        posts=posts,
        secrets=resealed,
        credentials_marked=marked,
    )
    return Change(officer.service_id, posts, resealed, marked, codes)


def list_members(registry: Registry) -> list[Member]:
    m, o, i = schema.members, schema.officers, schema.identities
    with registry.read() as conn:
        rows = conn.execute(
            sa.select(m, o.c.service_id, o.c.name, i.c.age_recipient)
            .join(o, o.c.id == m.c.officer_id)
            .outerjoin(i, sa.and_(i.c.officer_id == o.c.id, i.c.retired_at.is_(None)))
            .where(m.c.removed_at.is_(None))
            .order_by(o.c.service_id)
        )
        return [Member(r.service_id, r.name, r.age_recipient, r.added_at, r.added_by) for r in rows]


def rewrap_posts(registry: Registry, post_slug: str | None = None) -> dict[str, list[str]]:
    """Wrap post keys to the recipients who lack a wrap (a new member, a holder who registered
    their identity late): one post, or every post; returns the labels added, by post."""
    with registry.write() as tx:
        if not postkeys.per_post(tx.conn):
            raise InvalidInputError(
                N_("this registry has one key for everything, not per-post keys")
            )
        slugs = {r.id: r.slug for r in tx.conn.execute(sa.select(schema.posts))}
        ids = (
            [row_by_slug(tx.conn, post_slug).id] if post_slug else postkeys.posts_with_keys(tx.conn)
        )
        added = {}
        for post_id in ids:
            labels = postkeys.rewrap(tx, post_id)
            if labels:
                added[slugs[post_id]] = labels
        tx.log("key.post.rewrap", "registry", None, post_slug, posts=sorted(added))
        return added
