"""Key slots: the wrapped copies of a data key, one per way in.

A data key is stored only wrapped, once per slot, as in LUKS:

``passphrase``
    AES-256-GCM under a key derived with Argon2id (:mod:`vault.crypto.kdf`).
``recovery``
    AES-256-GCM under HKDF-SHA256 of a 160-bit recovery code printed once.
``keyring``
    AES-256-GCM under a random key kept in the OS keyring (:mod:`vault.crypto.oskeyring`).
``age``
    The data key encrypted with age to an officer's or escrow's X25519 recipient (shared
    registries, per-post keys).

A slot's associated data names the slot, the key and the kind, so a wrapped key cannot be moved
between slots.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from typing import TYPE_CHECKING, Any, NamedTuple

from vault.crypto import kdf, oskeyring
from vault.crypto.seal import DataKey
from vault.errors import InvalidInputError, NotFoundError
from vault.model import N_, as_dict
from vault.store import reads, settings

if TYPE_CHECKING:
    import sqlalchemy as sa

    from vault.store.storage import Tx

# Opening a key reads its slots through vault.store.reads (no SQLAlchemy on SQLite); the
# functions that write slots and keys import the schema.

SLOT_KINDS = ("passphrase", "recovery", "keyring", "age")


def slot_ad(slot_id: uuid.UUID, key_id: uuid.UUID, kind: str) -> bytes:
    return b"handover-slot\x01" + slot_id.bytes + key_id.bytes + kind.encode()


def wrap(kek: bytes, slot_id: uuid.UUID, key: DataKey, kind: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    return nonce + AESGCM(kek).encrypt(nonce, key.secret, slot_ad(slot_id, key.id, kind))


def unwrap(kek: bytes, slot: Any) -> DataKey | None:
    """The data key of a passphrase, recovery or keyring slot, or ``None`` if ``kek`` is not
    the slot's key (or the slot was altered)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    blob = bytes(slot.wrapped)
    try:
        secret = AESGCM(kek).decrypt(blob[:12], blob[12:], slot_ad(slot.id, slot.key_id, slot.kind))
    except (InvalidTag, ValueError):
        return None
    return DataKey(slot.key_id, secret)


def keyring_user(conn: sa.Connection, slot_id: uuid.UUID) -> str:
    return f"{settings.read(conn, 'registry_id')}/{slot_id}"


class Slot(NamedTuple):
    id: uuid.UUID
    key_id: uuid.UUID
    kind: str
    label: str
    created_at: dt.datetime
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def insert_slot(
    tx: Tx,
    key: DataKey,
    kind: str,
    label: str,
    params: dict[str, Any],
    wrapped: bytes,
    slot_id: uuid.UUID,
) -> uuid.UUID:
    from vault.store import schema

    tx.conn.execute(
        schema.key_slots.insert().values(
            id=slot_id,
            key_id=key.id,
            kind=kind,
            label=label,
            params=json.dumps(params),
            wrapped=wrapped,
            created_at=tx.now,
        )
    )
    tx.log("key.slot.add", "key", key.id, None, slot=str(slot_id), kind=kind, label=label)
    return slot_id


def add_passphrase_slot(tx: Tx, key: DataKey, passphrase: str, label: str = "passphrase") -> None:
    if not passphrase:
        raise InvalidInputError(N_("a passphrase cannot be empty"))
    slot_id = uuid.uuid4()
    params = kdf.new_passphrase_params()
    kek = kdf.derive_passphrase_key(passphrase, params)
    insert_slot(
        tx, key, "passphrase", label, params, wrap(kek, slot_id, key, "passphrase"), slot_id
    )


def add_recovery_slot(tx: Tx, key: DataKey, label: str = "recovery") -> str:
    """Add a recovery slot and return its code, which is shown once and never stored."""
    code = kdf.new_recovery_code()
    slot_id = uuid.uuid4()
    params = kdf.new_recovery_params()
    kek = kdf.derive_recovery_key(kdf.normalise_recovery(code) or "", params)
    insert_slot(tx, key, "recovery", label, params, wrap(kek, slot_id, key, "recovery"), slot_id)
    return code


def add_keyring_slot(tx: Tx, key: DataKey, label: str = "keyring") -> None:
    slot_id = uuid.uuid4()
    kek = os.urandom(32)
    username = keyring_user(tx.conn, slot_id)
    oskeyring.store(username, kek)
    params = {"service": oskeyring.SERVICE, "username": username}
    insert_slot(tx, key, "keyring", label, params, wrap(kek, slot_id, key, "keyring"), slot_id)


def add_age_slot(tx: Tx, key: DataKey, recipient: str, label: str) -> None:
    """Wrap a data key to an age recipient: only the holder of the identity can unwrap it."""
    import pyrage

    slot_id = uuid.uuid4()
    wrapped = pyrage.encrypt(
        slot_ad(slot_id, key.id, "age") + key.secret,
        [pyrage.x25519.Recipient.from_str(recipient)],
    )
    insert_slot(tx, key, "age", label, {"recipient": recipient}, wrapped, slot_id)


def age_recipient(slot: Any) -> str | None:
    """The age recipient an ``age`` slot is wrapped to (``None`` for other kinds)."""
    return json.loads(slot.params).get("recipient") if slot.kind == "age" else None


def create_registry_key(
    tx: Tx, passphrase: str, *, with_keyring: bool = False
) -> tuple[DataKey, str]:
    """The registry's first data key with passphrase and recovery slots (and keyring if asked).

    Returns the key and the recovery code to show once.
    """
    from vault.store import schema

    key = DataKey.generate()
    tx.conn.execute(
        schema.data_keys.insert().values(
            id=key.id, scope="registry", post_id=None, created_at=tx.now, retired_at=None
        )
    )
    add_passphrase_slot(tx, key, passphrase)
    code = add_recovery_slot(tx, key)
    if with_keyring:
        add_keyring_slot(tx, key)
    return key, code


def registry_key_id(conn: Any) -> uuid.UUID:
    key_id = reads.scalar(conn, "registry_key_id")
    if key_id is None:
        raise NotFoundError(N_("this registry has no data key"))
    return uuid.UUID(str(key_id))


def slots_of(conn: Any, key_id: uuid.UUID) -> list[Any]:
    return reads.rows(conn, "key_slots_of", key_id=key_id)


def describe(slot: Any) -> str:
    params = json.loads(slot.params)
    if slot.kind == "passphrase":
        return f"argon2id m={params['memory_kib']}KiB t={params['iterations']} p={params['lanes']}"
    if slot.kind == "recovery":
        return "hkdf-sha256 of a 160-bit code"
    if slot.kind == "keyring":
        return f"OS keyring {params['service']}/{params['username']}"
    return f"age {params['recipient']}"


def to_slot(row: Any) -> Slot:
    return Slot(row.id, row.key_id, row.kind, row.label, row.created_at, describe(row))
