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
from typing import TYPE_CHECKING

import sqlalchemy as sa

from vault.crypto import escrow
from vault.crypto.keyadmin import SEALED_COLUMNS, reseal_all
from vault.crypto.seal import DataKey, Sealer, key_id_of
from vault.crypto.slots import add_age_slot, age_recipient, slots_of
from vault.crypto.unlock import registry_key, unlock, unlocker_of
from vault.errors import AccessError
from vault.store import schema, settings

if TYPE_CHECKING:
    from vault.store.storage import Tx


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
        add_age_slot(tx, key, recipient, label)
    tx.sealers.clear()  # a sealer looked up before this sealed with the post's old key
    return unlocker_of(tx.registry).remember(key)


def ensure(tx: Tx, post_id: uuid.UUID) -> DataKey:
    """The post's current key, opened; made (and wrapped) now if the post has none yet."""
    key_id = current_key_id(tx.conn, post_id)
    if key_id is None:
        return _new_key(tx, post_id)
    return unlock(tx.conn, unlocker_of(tx.registry), key_id)


def rekey(tx: Tx, post_id: uuid.UUID, reason: str) -> int:
    """Give a post a new key for its current recipients, re-sealing its secrets; returns how
    many secrets were re-sealed. The caller must be able to open the old key."""
    old_id = current_key_id(tx.conn, post_id)
    if old_id is None:
        return 0
    try:
        old = unlock(tx.conn, unlocker_of(tx.registry), old_id)
    except AccessError:
        raise AccessError(
            f"re-keying post {_post_slug(tx.conn, post_id)} needs its current key: run this as "
            "the outgoing holder or an IT cell member, with --identity"
        ) from None
    new = _new_key(tx, post_id)
    count = reseal_all(tx, tx.registry, old, new, post_id=post_id)
    _retire(tx, post_id, old.id, new.id, reason, secrets=count)
    return count


def rekey_for_claim(tx: Tx, post_id: uuid.UUID, reason: str) -> uuid.UUID | None:
    """A new key for a post whose new holder (already assigned) is claiming it here.

    The claimant seldom can open the old key (it was wrapped to the outgoing holder), but he
    holds every secret in the clear, from the packet. So the old key is retired all the same and
    its id returned: the caller seals the packet's secrets under the new key and then calls
    :func:`require_resealed`. When the old key can be opened (an IT cell member claiming), this
    is :func:`rekey` and returns ``None``."""
    old_id = current_key_id(tx.conn, post_id)
    if old_id is None:
        return None
    try:
        unlock(tx.conn, unlocker_of(tx.registry), old_id)
    except AccessError:
        new = _new_key(tx, post_id)
        _retire(tx, post_id, old_id, new.id, reason, secrets="from the packet")
        return old_id
    rekey(tx, post_id, reason)
    return None


def require_resealed(tx: Tx, post_id: uuid.UUID, old_id: uuid.UUID) -> None:
    """Refuse (and so roll back) a claim that left a secret of the post under its retired key:
    one the packet does not carry, which nobody could then open."""
    a = schema.accounts
    columns = SEALED_COLUMNS["accounts"]
    for row in tx.conn.execute(
        sa.select(a.c.platform, a.c.handle, *(a.c[c] for c in columns)).where(
            a.c.post_id == post_id
        )
    ):
        if any(
            (blob := getattr(row, c)) is not None and key_id_of(bytes(blob)) == old_id
            for c in columns
        ):
            raise AccessError(
                f"{row.platform}:{row.handle} has secrets here that the packet does not carry "
                "(it changed after the packet was made): ask the sender for a new packet; "
                "nothing was claimed"
            )


def _retire(
    tx: Tx, post_id: uuid.UUID, old_id: uuid.UUID, new_id: uuid.UUID, reason: str, secrets: object
) -> None:
    """Retire a post's old key and remove its wraps: whoever could open it may have kept it."""
    d, s = schema.data_keys, schema.key_slots
    tx.conn.execute(d.update().where(d.c.id == old_id).values(retired_at=tx.now))
    tx.conn.execute(s.delete().where(s.c.key_id == old_id))
    tx.log(
        "key.post.rekey",
        "post",
        post_id,
        _post_slug(tx.conn, post_id),
        old_key=old_id,
        new_key=new_id,
        secrets=secrets,
        reason=reason,
        recipients=[label for label, _ in recipients(tx.conn, post_id)],
    )


def rewrap(tx: Tx, post_id: uuid.UUID) -> list[str]:
    """Wrap the post's current key to recipients who lack a wrap (a new member, a holder who
    registered their identity late); returns their labels."""
    key_id = current_key_id(tx.conn, post_id)
    if key_id is None:
        return []
    have = {age_recipient(slot) for slot in slots_of(tx.conn, key_id)}
    missing = [(label, r) for label, r in recipients(tx.conn, post_id) if r not in have]
    if not missing:
        return []
    key = unlock(tx.conn, unlocker_of(tx.registry), key_id)
    for label, recipient in missing:
        add_age_slot(tx, key, recipient, label)
    return [label for label, _ in missing]


def posts_with_keys(conn: sa.Connection) -> list[uuid.UUID]:
    d = schema.data_keys
    return [
        uuid.UUID(str(p))
        for p in conn.execute(
            sa.select(d.c.post_id).where(d.c.scope == "post", d.c.retired_at.is_(None))
        ).scalars()
    ]


def sealer_for(tx: Tx, post_id: uuid.UUID | None) -> Sealer:
    """The sealer for a secret of an account owned by ``post_id``: the post's own key on a
    registry with per-post keys, else the registry's key. Looked up once per transaction."""
    found: Sealer | None = tx.sealers.get(post_id)
    if found is None:
        if post_id is not None and per_post(tx.conn):
            key = ensure(tx, post_id)
        else:
            key = registry_key(tx.conn, tx.registry)
        found = tx.sealers[post_id] = unlocker_of(tx.registry).sealer(key)
    return found
