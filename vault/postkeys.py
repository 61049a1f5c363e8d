"""Per-post data keys, for a registry shared by a whole department.

On a shared registry (``handover init --shared``), each post's secrets are sealed under the post's
own data key, wrapped with age to exactly these recipients: the post's current holder, the IT
cell's escrow recipients, and the IT cell members. An officer unlocks with their own identity,
kept on their machine; so they read the secrets of the posts they hold, and no others.

When a post changes hands (or a member leaves), the post gets a **new** key: every secret of the
post is re-sealed under it and it is wrapped to the new set of recipients, and the old key is
retired with its wraps. Removing a wrap alone would not do: whoever could open the old key may
have kept it. The credentials themselves are then marked "rotation due", since the person who
left may have seen them.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault import escrow, keys, schema, settings
from vault.errors import AccessError
from vault.seal import DataKey

if TYPE_CHECKING:
    from vault.storage import Registry, Tx


def per_post(conn: sa.Connection) -> bool:
    return bool(settings.read(conn, "key_mode") == "per-post")


def current_key_id(conn: sa.Connection, post_id: uuid.UUID) -> uuid.UUID | None:
    d = schema.data_keys
    key_id = conn.execute(
        sa.select(d.c.id).where(
            d.c.scope == "post", d.c.post_id == post_id, d.c.retired_at.is_(None)
        )
    ).scalar()
    return None if key_id is None else uuid.UUID(str(key_id))


def recipients(conn: sa.Connection, post_id: uuid.UUID) -> list[tuple[str, str]]:
    """(label, age recipient) of everyone who must open the post's key now."""
    t, i, o, m = schema.tenures, schema.identities, schema.officers, schema.members
    found: dict[str, str] = {}
    holder = conn.execute(
        sa.select(o.c.service_id, i.c.age_recipient)
        .select_from(t.join(o, o.c.id == t.c.officer_id).join(i, i.c.officer_id == o.c.id))
        .where(t.c.post_id == post_id, t.c.end_date.is_(None), i.c.retired_at.is_(None))
    ).first()
    if holder is not None:
        found[holder.age_recipient] = f"holder {holder.service_id}"
    for recipient in escrow.recipients(conn):
        found.setdefault(recipient, "escrow")
    for row in conn.execute(
        sa.select(o.c.service_id, i.c.age_recipient)
        .select_from(m.join(o, o.c.id == m.c.officer_id).join(i, i.c.officer_id == o.c.id))
        .where(m.c.removed_at.is_(None), i.c.retired_at.is_(None))
    ):
        found.setdefault(row.age_recipient, f"member {row.service_id}")
    return [(label, recipient) for recipient, label in found.items()]


def _post_slug(conn: sa.Connection, post_id: uuid.UUID) -> str:
    return str(
        conn.execute(sa.select(schema.posts.c.slug).where(schema.posts.c.id == post_id)).scalar()
    )


def _new_key(tx: Tx, post_id: uuid.UUID) -> DataKey:
    wrap_to = recipients(tx.conn, post_id)
    if not wrap_to:
        raise AccessError(
            f"post {_post_slug(tx.conn, post_id)} has no holder with identity keys, no escrow "
            "recipient and no IT cell member: nobody could open its secrets"
        )
    key = DataKey.generate()
    tx.conn.execute(
        schema.data_keys.insert().values(
            id=key.id, scope="post", post_id=post_id, created_at=tx.now, retired_at=None
        )
    )
    for label, recipient in wrap_to:
        keys.add_age_slot(tx, key, recipient, label)
    assert tx.registry.unlocker is not None  # noqa: S101 - a registry with keys has one
    return tx.registry.unlocker.remember(key)


def ensure(tx: Tx, post_id: uuid.UUID) -> DataKey:
    """The post's current key, opened; made (and wrapped) now if the post has none yet."""
    key_id = current_key_id(tx.conn, post_id)
    if key_id is None:
        return _new_key(tx, post_id)
    return keys.unlock(tx.conn, tx.registry.unlocker, key_id)


def rekey(tx: Tx, post_id: uuid.UUID, reason: str) -> int:
    """Give a post a new key for its current recipients, re-sealing its secrets; returns how
    many secrets were re-sealed. The caller must be able to open the old key."""
    old_id = current_key_id(tx.conn, post_id)
    if old_id is None:
        return 0
    try:
        old = keys.unlock(tx.conn, tx.registry.unlocker, old_id)
    except AccessError:
        raise AccessError(
            f"re-keying post {_post_slug(tx.conn, post_id)} needs its current key: run this as "
            "the outgoing holder or an IT cell member, with --identity"
        ) from None
    new = _new_key(tx, post_id)
    count = keys.reseal_all(tx, tx.registry, old, new, post_id=post_id)
    d, s = schema.data_keys, schema.key_slots
    tx.conn.execute(d.update().where(d.c.id == old.id).values(retired_at=tx.now))
    tx.conn.execute(s.delete().where(s.c.key_id == old.id))
    tx.log(
        "key.post.rekey",
        "post",
        post_id,
        _post_slug(tx.conn, post_id),
        old_key=old.id,
        new_key=new.id,
        secrets=count,
        reason=reason,
        recipients=[label for label, _ in recipients(tx.conn, post_id)],
    )
    return count


def rewrap(tx: Tx, post_id: uuid.UUID) -> list[str]:
    """Wrap the post's current key to recipients who lack a wrap (a new member, a holder who
    registered their identity late); returns their labels."""
    key_id = current_key_id(tx.conn, post_id)
    if key_id is None:
        return []
    have = {json_recipient(slot) for slot in keys.slots_of(tx.conn, key_id)}
    missing = [(label, r) for label, r in recipients(tx.conn, post_id) if r not in have]
    if not missing:
        return []
    key = keys.unlock(tx.conn, tx.registry.unlocker, key_id)
    for label, recipient in missing:
        keys.add_age_slot(tx, key, recipient, label)
    return [label for label, _ in missing]


def json_recipient(slot: Any) -> str | None:
    import json

    return json.loads(slot.params).get("recipient") if slot.kind == "age" else None


def posts_with_keys(conn: sa.Connection) -> list[uuid.UUID]:
    d = schema.data_keys
    return [
        uuid.UUID(str(p))
        for p in conn.execute(
            sa.select(d.c.post_id).where(d.c.scope == "post", d.c.retired_at.is_(None))
        ).scalars()
    ]


def hand_over(tx: Tx, post_id: uuid.UUID, outgoing: str | None, incoming: str | None) -> int:
    """A change of holder on a shared registry: re-key the post to its new recipients, mark its
    credentials for rotation, and record the handover (so the audit sees it was done)."""
    import datetime as dt

    from vault import credentials, custody

    if current_key_id(tx.conn, post_id) is None:
        return 0
    reason = f"handover from {outgoing or 'vacancy'} to {incoming or 'vacancy'}"
    count = rekey(tx, post_id, reason)
    days = settings.read(tx.conn, "rotation_deadline_days")
    credentials.mark_rotation_due(tx, post_id, tx.now + dt.timedelta(days=days), reason)
    custody.record(
        tx,
        packet_id=uuid.uuid4(),
        direction="rekeyed",
        post_id=post_id,
        from_officer=outgoing or "-",
        to_officer=incoming or "-",
        packet_sha256="",
        created_at=tx.now,
        expires_at=tx.now,
        claimed_at=tx.now,
        completed_at=tx.now,
    )
    return count


def rewrap_posts(registry: Registry, post_slug: str | None = None) -> dict[str, list[str]]:
    from vault import posts
    from vault.errors import InvalidInputError

    with registry.write() as tx:
        if not per_post(tx.conn):
            raise InvalidInputError("this registry has one key for everything, not per-post keys")
        ids = [posts.row_by_slug(tx.conn, post_slug).id] if post_slug else posts_with_keys(tx.conn)
        added = {}
        for post_id in ids:
            labels = rewrap(tx, post_id)
            if labels:
                added[_post_slug(tx.conn, post_id)] = labels
        tx.log("key.post.rewrap", "registry", None, post_slug, posts=sorted(added))
        return added
