"""What ``handover key`` does with the registry's data key: list, add and remove its slots,
change a passphrase, and rotate the key (every secret re-sealed, every slot re-wrapped).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from vault.crypto import kdf, oskeyring
from vault.crypto.seal import VERSION, DataKey, Sealer, key_id_of
from vault.crypto.slots import (
    Slot,
    add_age_slot,
    add_keyring_slot,
    add_passphrase_slot,
    add_recovery_slot,
    insert_slot,
    registry_key_id,
    slots_of,
    to_slot,
    unwrap,
    wrap,
)
from vault.crypto.unlock import Unlocker, registry_key, try_keyring, unlocker_of
from vault.errors import ConflictError, InvalidInputError, NotFoundError
from vault.model import N_, as_dict, redacted
from vault.store import bulk, schema

if TYPE_CHECKING:
    from vault.store.storage import Registry, Tx

# Every sealed column, by table; key rotation and backups walk this map.
SEALED_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("password_sealed", "totp_sealed", "recovery_codes_sealed", "notes_sealed"),
    "identities": ("age_secret_sealed", "signing_secret_sealed"),
    "groups": ("invite_sealed",),
}


def _slot_label_or_id(conn: sa.Connection, key_id: uuid.UUID, ref: str) -> Any:
    matches = [s for s in slots_of(conn, key_id) if s.label == ref or str(s.id).startswith(ref)]
    if not matches:
        raise NotFoundError(f"no key slot {ref!r}; see 'handover key slots'")
    if len(matches) > 1:
        raise InvalidInputError(f"{ref!r} names several slots; use more of the slot id")
    return matches[0]


def list_slots(registry: Registry) -> list[Slot]:
    with registry.read() as conn:
        key_id = registry_key_id(conn)
        return [to_slot(s) for s in slots_of(conn, key_id)]


class SlotAdded(NamedTuple):
    slot: Slot
    recovery_code: str | None

    def __repr__(self) -> str:
        return redacted(self, "recovery_code")

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def add_slot(
    registry: Registry,
    kind: str,
    label: str | None,
    new_passphrase: Callable[[], str],
    announce: Callable[[SlotAdded], None] = lambda added: None,
) -> SlotAdded:
    """Add a way in. ``announce`` shows the result (a new recovery code above all) *before* the
    change commits: if it cannot be shown, nothing changes."""
    if kind not in ("passphrase", "recovery", "keyring"):
        raise InvalidInputError(N_("a slot is passphrase, recovery or keyring"))
    with registry.write() as tx:
        key = registry_key(tx.conn, registry)
        before = {s.id for s in slots_of(tx.conn, key.id)}
        label = label or kind
        if any(s.label == label for s in slots_of(tx.conn, key.id)):
            raise ConflictError(f"a slot labelled {label!r} exists; choose another --label")
        code = None
        if kind == "passphrase":
            add_passphrase_slot(tx, key, new_passphrase(), label)
        elif kind == "recovery":
            code = add_recovery_slot(tx, key, label)
        else:
            add_keyring_slot(tx, key, label)
        slot = next(s for s in slots_of(tx.conn, key.id) if s.id not in before)
        added = SlotAdded(to_slot(slot), code)
        announce(added)
        return added


def remove_slot(registry: Registry, ref: str) -> Slot:
    """Remove a slot; the last slot, or the last one that is not the keyring, stays."""
    with registry.write() as tx:
        key = registry_key(tx.conn, registry)
        slot = _slot_label_or_id(tx.conn, key.id, ref)
        rest = [s for s in slots_of(tx.conn, key.id) if s.id != slot.id]
        if not rest:
            raise ConflictError(N_("this is the last key slot: add another before removing it"))
        if not any(s.kind in ("passphrase", "recovery") for s in rest):
            raise ConflictError(
                N_("the keyring must not be the only way in: keep a passphrase or recovery slot")
            )
        tx.conn.execute(schema.key_slots.delete().where(schema.key_slots.c.id == slot.id))
        tx.log(
            "key.slot.remove",
            "key",
            key.id,
            None,
            slot=str(slot.id),
            kind=slot.kind,
            label=slot.label,
        )
        if slot.kind == "keyring":
            oskeyring.delete(json.loads(slot.params)["username"])
        return to_slot(slot)


def change_passphrase(
    registry: Registry, new_passphrase: Callable[[], str], slot_ref: str | None = None
) -> Slot:
    """Re-wrap the data key under a new passphrase in the slot the old one opened."""
    with registry.write() as tx:
        key = registry_key(tx.conn, registry)
        passphrase_slots = [s for s in slots_of(tx.conn, key.id) if s.kind == "passphrase"]
        if slot_ref:
            slot = _slot_label_or_id(tx.conn, key.id, slot_ref)
        else:
            opened = unlocker_of(registry).opened_by.get(key.id)
            candidates = [s for s in passphrase_slots if s.id == opened] or (
                passphrase_slots if len(passphrase_slots) == 1 else []
            )
            if not candidates:
                raise InvalidInputError(N_("several passphrase slots exist: name one with --slot"))
            slot = candidates[0]
        if slot.kind != "passphrase":
            raise InvalidInputError(f"slot {slot.label!r} is a {slot.kind} slot, not a passphrase")
        params = kdf.new_passphrase_params()
        secret = new_passphrase()
        if not secret:
            raise InvalidInputError(N_("a passphrase cannot be empty"))
        wrapped = wrap(kdf.derive_passphrase_key(secret, params), slot.id, key, "passphrase")
        s = schema.key_slots
        tx.conn.execute(
            s.update().where(s.c.id == slot.id).values(params=json.dumps(params), wrapped=wrapped)
        )
        tx.log("key.passphrase.change", "key", key.id, None, slot=str(slot.id), label=slot.label)
        return to_slot(slot)


class Rotation(NamedTuple):
    old_key: uuid.UUID
    new_key: uuid.UUID
    secrets: int
    slots_kept: tuple[str, ...]
    slots_dropped: tuple[str, ...]
    recovery_codes: dict[str, str]

    def __repr__(self) -> str:
        return redacted(self, "recovery_codes")

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def reseal_all(
    tx: Tx,
    registry: Registry,
    old: DataKey,
    new: DataKey,
    progress: Callable[[int], None] | None = None,
    post_id: uuid.UUID | None = None,
) -> int:
    """Re-seal every value sealed under ``old`` with ``new``, in bulk, inside ``tx``
    (only the accounts of ``post_id``, when given)."""
    old_sealer, new_sealer = Sealer(old), unlocker_of(registry).sealer(new)
    old_header = bytes([VERSION]) + old.id.bytes
    count = 0
    tables = {"accounts": SEALED_COLUMNS["accounts"]} if post_id else SEALED_COLUMNS
    for table_name, columns in tables.items():
        table = schema.metadata.tables[table_name]
        # Ids as the database stores them: one UUID is made per row, not one per value.
        query = sa.select(
            sa.type_coerce(table.c.id, sa.String), *(table.c[c] for c in columns)
        ).where(sa.or_(*(table.c[c].is_not(None) for c in columns)))
        if post_id is not None:
            query = query.where(table.c.post_id == post_id)
        updates = []
        for raw_id, *blobs in tx.conn.execute(query):
            row_id = raw_id if isinstance(raw_id, uuid.UUID) else uuid.UUID(raw_id)
            values = []
            for column, stored in zip(columns, blobs, strict=True):
                blob = None if stored is None else bytes(stored)
                if blob is not None and blob[:17] == old_header:
                    plain = old_sealer.open(table_name, column, row_id, blob)
                    blob = new_sealer.seal(table_name, column, row_id, plain)
                    count += 1
                elif blob is not None:
                    key_id_of(blob)  # another key's value is left; a damaged one is refused
                values.append(blob)
            updates.append((*values, row_id))
        bulk.update_many(tx.conn, table, columns, updates)
        if progress:
            progress(len(updates))
    return count


def _kek_at_hand(conn: sa.Connection, unlocker: Unlocker, slot: Any) -> bytes | None:
    """The key-encryption key of a passphrase or keyring slot, if this process can get it."""
    known = unlocker.kek(slot.id)
    if known is not None:
        return known
    passphrase = unlocker.given_passphrase()
    if slot.kind == "passphrase" and passphrase:
        kek = kdf.derive_passphrase_key(passphrase, json.loads(slot.params))
        return kek if unwrap(kek, slot) is not None else None
    if slot.kind == "keyring" and unlocker.use_keyring and try_keyring(unlocker, slot):
        return unlocker.kek(slot.id)
    return None


def rotate(
    registry: Registry,
    progress: Callable[[int], None] | None = None,
    announce: Callable[[Rotation], None] = lambda rotation: None,
) -> Rotation:
    """A new registry data key: every secret re-sealed and every slot re-wrapped, in one go.

    Passphrase slots that the given passphrase opens and keyring slots whose key is reachable are
    re-wrapped (keeping their ids, which the keyring entry names); recovery slots get a new code,
    since the old one opened the old key; slots whose secret is not at hand are dropped and named,
    so nothing stays wrapped to a retired key. The new codes are handed to ``announce`` before the
    change commits: if they cannot be shown or written, nothing changes, and the old ways in
    still open the registry.
    """
    with registry.write() as tx:
        return rotate_in(tx, progress, announce=announce)


def rotate_in(
    tx: Tx,
    progress: Callable[[int], None] | None = None,
    drop_recipients: frozenset[str] = frozenset(),
    announce: Callable[[Rotation], None] = lambda rotation: None,
) -> Rotation:
    """:func:`rotate` inside the caller's transaction; age slots to ``drop_recipients`` go."""
    d = schema.data_keys
    registry = tx.registry
    old = registry_key(tx.conn, registry)
    unlocker = unlocker_of(registry)
    new = DataKey.generate()
    tx.conn.execute(
        d.insert().values(
            id=new.id, scope="registry", post_id=None, created_at=tx.now, retired_at=None
        )
    )
    tx.conn.execute(d.update().where(d.c.id == old.id).values(retired_at=tx.now))
    tx.sealers.clear()  # sealers looked up before this sealed with the old registry key
    count = reseal_all(tx, registry, old, new, progress)
    old_slots = [
        (slot, _kek_at_hand(tx.conn, unlocker, slot)) for slot in slots_of(tx.conn, old.id)
    ]
    tx.conn.execute(schema.key_slots.delete().where(schema.key_slots.c.key_id == old.id))
    kept: list[str] = []
    dropped: list[str] = []
    codes: dict[str, str] = {}
    for slot, kek in old_slots:
        if slot.kind == "recovery":
            codes[slot.label] = add_recovery_slot(tx, new, slot.label)
        elif slot.kind == "age":
            recipient = json.loads(slot.params)["recipient"]
            if recipient in drop_recipients:
                dropped.append(slot.label)
                continue
            add_age_slot(tx, new, recipient, slot.label)
        elif kek is not None:
            insert_slot(
                tx,
                new,
                slot.kind,
                slot.label,
                json.loads(slot.params),
                wrap(kek, slot.id, new, slot.kind),
                slot.id,
            )
        else:
            dropped.append(slot.label)
            continue
        kept.append(slot.label)
    if not any(s.kind in ("passphrase", "recovery") for s in slots_of(tx.conn, new.id)):
        raise ConflictError(
            N_(
                "rotation would leave only the keyring: give the passphrase "
                "(--passphrase-file) so that its slot is kept"
            )
        )
    tx.log(
        "key.rotate",
        "key",
        new.id,
        None,
        old_key=str(old.id),
        secrets=count,
        kept=kept,
        dropped=dropped,
    )
    unlocker.remember(new)
    rotation = Rotation(old.id, new.id, count, tuple(kept), tuple(dropped), codes)
    announce(rotation)
    return rotation
