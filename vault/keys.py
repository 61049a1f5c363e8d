"""Data keys, the key slots that wrap them, and unlocking.

Every secret is sealed under a random 256-bit data key (:mod:`vault.seal`). A data key is stored
only wrapped, once per slot, as in LUKS:

``passphrase``
    AES-256-GCM under a key derived with Argon2id (64 MiB, 3 passes, 4 lanes, 16-byte salt; the
    parameters are stored with the slot so that they can be raised later).
``recovery``
    AES-256-GCM under HKDF-SHA256 of a 160-bit recovery code printed once. The code is random, so
    it needs no slow derivation.
``keyring``
    AES-256-GCM under a random key kept in the OS keyring (:mod:`vault.oskeyring`).
``age``
    The data key encrypted with age to an officer's or escrow's X25519 recipient (shared
    registries, per-post keys).

A slot's associated data names the slot, the key and the kind, so a wrapped key cannot be moved
between slots. Unlocking tries, in order: the user's age identities, the keyring (unless a
passphrase file was given), then the passphrase (as a recovery code first when it looks like one).
Any failure reads "wrong passphrase or recovery code": which slot failed is not disclosed.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault import schema
from vault.errors import (
    AccessError,
    ConflictError,
    InvalidInputError,
    KeyringError,
    NotFoundError,
    UnlockError,
)
from vault.model import Record
from vault.seal import DataKey, Sealer, key_id_of

if TYPE_CHECKING:
    import datetime as dt

    from vault.localid import LocalIdentity
    from vault.storage import Registry, Tx

WRONG = "wrong passphrase or recovery code"
ARGON2_DEFAULTS = {"memory_kib": 65536, "iterations": 3, "lanes": 4}
RECOVERY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
RECOVERY_LEN = 32  # 160 bits
SLOT_KINDS = ("passphrase", "recovery", "keyring", "age")

# Every sealed column, by table; key rotation and backups walk this map.
SEALED_COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("password_sealed", "totp_sealed", "recovery_codes_sealed", "notes_sealed"),
    "identities": ("age_secret_sealed", "signing_secret_sealed"),
}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)


@dataclass
class Unlocker:
    """What the user can unlock with, gathered lazily: nothing is read or asked until needed.

    ``prompt`` asks for a passphrase without echo; it is ``None`` when there is no terminal, and
    then a passphrase must come from ``passphrase_file``. Keys opened once are kept for the rest
    of the process, which is one command.
    """

    passphrase_file: Path | None = None
    prompt: Callable[[str], str] | None = None
    use_keyring: bool = True
    identity_spec: str | None = None
    _identities: list[LocalIdentity] | None = field(default=None, repr=False)
    _passphrase: str | None = field(default=None, repr=False)
    _keys: dict[uuid.UUID, DataKey] = field(default_factory=dict, repr=False)
    _sealers: dict[uuid.UUID, Sealer] = field(default_factory=dict, repr=False)
    _keks: dict[uuid.UUID, bytes] = field(default_factory=dict, repr=False)
    opened_by: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)

    def passphrase(self) -> str:
        if self._passphrase is None:
            if self.passphrase_file is not None:
                self._passphrase = read_secret_file(self.passphrase_file, "passphrase")
            elif self.prompt is not None:
                self._passphrase = self.prompt("Passphrase or recovery code")
            else:
                raise UnlockError(
                    "the registry is locked: give --passphrase-file or set "
                    "HANDOVER_PASSPHRASE_FILE (no terminal to ask on)"
                )
            if not self._passphrase:
                raise UnlockError(WRONG)
        return self._passphrase

    def identities(self, conn: sa.Connection) -> list[LocalIdentity]:
        """The identities named by ``--identity``, loaded (and unlocked) on first use."""
        if self._identities is None:
            self._identities = []
            if self.identity_spec:
                from vault import localid, settings

                self._identities = localid.load(
                    self.identity_spec,
                    self.passphrase,
                    lambda: str(settings.read(conn, "registry_id")),
                )
        return self._identities

    def remember(self, key: DataKey) -> DataKey:
        self._keys[key.id] = key
        return key

    def sealer(self, key: DataKey) -> Sealer:
        if key.id not in self._sealers:
            self._sealers[key.id] = Sealer(key)
        return self._sealers[key.id]


def read_secret_file(path: Path, what: str) -> str:
    """A secret from a file: the whole file, less one trailing newline."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"cannot read the {what} file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInputError(f"the {what} file {path} is not UTF-8 text") from None
    return text.removesuffix("\n").removesuffix("\r")


def _nfc(text: str) -> bytes:
    return unicodedata.normalize("NFC", text).encode("utf-8")


def _slot_ad(slot_id: uuid.UUID, key_id: uuid.UUID, kind: str) -> bytes:
    return b"handover-slot\x01" + slot_id.bytes + key_id.bytes + kind.encode()


def _wrap(kek: bytes, slot_id: uuid.UUID, key: DataKey, kind: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    return nonce + AESGCM(kek).encrypt(nonce, key.secret, _slot_ad(slot_id, key.id, kind))


def _unwrap(kek: bytes, slot: Any) -> DataKey | None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    blob = bytes(slot.wrapped)
    try:
        secret = AESGCM(kek).decrypt(
            blob[:12], blob[12:], _slot_ad(slot.id, slot.key_id, slot.kind)
        )
    except (InvalidTag, ValueError):
        return None
    return DataKey(slot.key_id, secret)


def _argon2(passphrase: str, params: dict[str, Any]) -> bytes:
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    return Argon2id(
        salt=_unb64(params["salt"]),
        length=32,
        iterations=params["iterations"],
        lanes=params["lanes"],
        memory_cost=params["memory_kib"],
    ).derive(_nfc(passphrase))


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LEN))
    return "-".join(raw[i : i + 4] for i in range(0, RECOVERY_LEN, 4))


def normalise_recovery(text: str) -> str | None:
    """The recovery code in canonical form, or ``None`` if ``text`` cannot be one."""
    cleaned = "".join(ch for ch in text.upper() if ch not in "- \t")
    cleaned = cleaned.replace("0", "O").replace("1", "I").replace("8", "B")
    if len(cleaned) != RECOVERY_LEN or any(ch not in RECOVERY_ALPHABET for ch in cleaned):
        return None
    return cleaned


def _recovery_kek(code: str, params: dict[str, Any]) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=_unb64(params["salt"]),
        info=b"handover-recovery-slot-v1",
    ).derive(code.encode())


def _keyring_user(conn: sa.Connection, slot_id: uuid.UUID) -> str:
    from vault.settings import read

    return f"{read(conn, 'registry_id')}/{slot_id}"


@dataclass(frozen=True)
class Slot(Record):
    id: uuid.UUID
    key_id: uuid.UUID
    kind: str
    label: str
    created_at: dt.datetime
    detail: str


def _insert_slot(
    tx: Tx,
    key: DataKey,
    kind: str,
    label: str,
    params: dict[str, Any],
    wrapped: bytes,
    slot_id: uuid.UUID,
) -> uuid.UUID:
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
        raise InvalidInputError("a passphrase cannot be empty")
    slot_id = uuid.uuid4()
    params = {"kdf": "argon2id", "salt": _b64(os.urandom(16)), **ARGON2_DEFAULTS}
    kek = _argon2(passphrase, params)
    _insert_slot(
        tx, key, "passphrase", label, params, _wrap(kek, slot_id, key, "passphrase"), slot_id
    )


def add_recovery_slot(tx: Tx, key: DataKey, label: str = "recovery") -> str:
    """Add a recovery slot and return its code, which is shown once and never stored."""
    code = new_recovery_code()
    slot_id = uuid.uuid4()
    params = {"kdf": "hkdf-sha256", "salt": _b64(os.urandom(16))}
    kek = _recovery_kek(normalise_recovery(code) or "", params)
    _insert_slot(tx, key, "recovery", label, params, _wrap(kek, slot_id, key, "recovery"), slot_id)
    return code


def add_keyring_slot(tx: Tx, key: DataKey, label: str = "keyring") -> None:
    from vault import oskeyring

    slot_id = uuid.uuid4()
    kek = os.urandom(32)
    username = _keyring_user(tx.conn, slot_id)
    oskeyring.store(username, kek)
    params = {"service": oskeyring.SERVICE, "username": username}
    _insert_slot(tx, key, "keyring", label, params, _wrap(kek, slot_id, key, "keyring"), slot_id)


def add_age_slot(tx: Tx, key: DataKey, recipient: str, label: str) -> None:
    """Wrap a data key to an age recipient: only the holder of the identity can unwrap it."""
    import pyrage

    slot_id = uuid.uuid4()
    wrapped = pyrage.encrypt(
        _slot_ad(slot_id, key.id, "age") + key.secret,
        [pyrage.x25519.Recipient.from_str(recipient)],
    )
    _insert_slot(tx, key, "age", label, {"recipient": recipient}, wrapped, slot_id)


def create_registry_key(
    tx: Tx, passphrase: str, *, with_keyring: bool = False
) -> tuple[DataKey, str]:
    """The registry's first data key with passphrase and recovery slots (and keyring if asked).

    Returns the key and the recovery code to show once.
    """
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


def registry_key_id(conn: sa.Connection) -> uuid.UUID:
    d = schema.data_keys
    key_id = conn.execute(
        sa.select(d.c.id).where(d.c.scope == "registry", d.c.retired_at.is_(None))
    ).scalar()
    if key_id is None:
        raise NotFoundError("this registry has no data key")
    return uuid.UUID(str(key_id))


def slots_of(conn: sa.Connection, key_id: uuid.UUID) -> list[Any]:
    s = schema.key_slots
    return list(conn.execute(sa.select(s).where(s.c.key_id == key_id).order_by(s.c.created_at)))


def _try_age(conn: sa.Connection, unlocker: Unlocker, slot: Any) -> DataKey | None:
    import pyrage

    for identity in unlocker.identities(conn):
        if identity.recipient != json.loads(slot.params)["recipient"]:
            continue
        try:
            plain = pyrage.decrypt(bytes(slot.wrapped), [identity.age])
        except pyrage.DecryptError:
            return None
        ad = _slot_ad(slot.id, slot.key_id, "age")
        if not plain.startswith(ad) or len(plain) != len(ad) + 32:
            return None
        return DataKey(slot.key_id, plain[len(ad) :])
    return None


def _try_keyring(conn: sa.Connection, unlocker: Unlocker, slot: Any) -> DataKey | None:
    from vault import oskeyring

    try:
        kek = oskeyring.load(json.loads(slot.params)["username"])
    except KeyringError:
        return None
    if kek is None:
        return None
    key = _unwrap(kek, slot)
    if key is not None:
        unlocker._keks[slot.id] = kek
    return key


def try_secret(
    unlocker: Unlocker, slots: list[Any], secret: str
) -> tuple[DataKey, uuid.UUID] | None:
    code = normalise_recovery(secret)
    attempts: list[tuple[Any, Callable[[dict[str, Any]], bytes]]] = []
    if code is not None:
        attempts += [(s, lambda p: _recovery_kek(code, p)) for s in slots if s.kind == "recovery"]
    attempts += [(s, lambda p: _argon2(secret, p)) for s in slots if s.kind == "passphrase"]
    for slot, derive in attempts:
        kek = derive(json.loads(slot.params))
        key = _unwrap(kek, slot)
        if key is not None:
            unlocker._keks[slot.id] = kek
            return key, slot.id
    return None


def unlock(conn: sa.Connection, unlocker: Unlocker | None, key_id: uuid.UUID) -> DataKey:
    """The data key ``key_id``, opened with whatever the user has, or :class:`UnlockError`."""
    if unlocker is None:
        raise UnlockError("the registry is locked and no way to unlock it was given")
    if key_id in unlocker._keys:
        return unlocker._keys[key_id]
    slots = slots_of(conn, key_id)
    if not slots:
        raise AccessError("no key slot opens these secrets")
    for slot in slots:
        key = None
        if slot.kind == "age" and unlocker.identity_spec:
            key = _try_age(conn, unlocker, slot)
        elif slot.kind == "keyring" and unlocker.use_keyring and unlocker.passphrase_file is None:
            key = _try_keyring(conn, unlocker, slot)
        if key is not None:
            unlocker.opened_by[key_id] = slot.id
            return unlocker.remember(key)
    if not any(s.kind in ("passphrase", "recovery") for s in slots):
        raise AccessError(
            "none of your identities can open these secrets: they belong to a post you do not hold"
        )
    found = try_secret(unlocker, slots, unlocker.passphrase())
    if found is None:
        raise UnlockError(WRONG)
    unlocker.opened_by[key_id] = found[1]
    return unlocker.remember(found[0])


def registry_key(conn: sa.Connection, registry: Registry) -> DataKey:
    return unlock(conn, registry.unlocker, registry_key_id(conn))


def open_sealed(
    conn: sa.Connection,
    registry: Registry,
    table: str,
    column: str,
    row_id: uuid.UUID,
    blob: bytes,
) -> bytes:
    """Open one sealed value with whichever data key it names."""
    assert registry.unlocker is not None  # noqa: S101 - unlock() below raises first otherwise
    key = unlock(conn, registry.unlocker, key_id_of(bytes(blob)))
    return registry.unlocker.sealer(key).open(table, column, row_id, bytes(blob))


def _slot_label_or_id(conn: sa.Connection, key_id: uuid.UUID, ref: str) -> Any:
    matches = [s for s in slots_of(conn, key_id) if s.label == ref or str(s.id).startswith(ref)]
    if not matches:
        raise NotFoundError(f"no key slot {ref!r}; see 'handover key slots'")
    if len(matches) > 1:
        raise InvalidInputError(f"{ref!r} names several slots; use more of the slot id")
    return matches[0]


def _describe(slot: Any) -> str:
    params = json.loads(slot.params)
    if slot.kind == "passphrase":
        return f"argon2id m={params['memory_kib']}KiB t={params['iterations']} p={params['lanes']}"
    if slot.kind == "recovery":
        return "hkdf-sha256 of a 160-bit code"
    if slot.kind == "keyring":
        return f"OS keyring {params['service']}/{params['username']}"
    return f"age {params['recipient']}"


def list_slots(registry: Registry) -> list[Slot]:
    with registry.read() as conn:
        key_id = registry_key_id(conn)
        return [
            Slot(s.id, s.key_id, s.kind, s.label, s.created_at, _describe(s))
            for s in slots_of(conn, key_id)
        ]


@dataclass(frozen=True)
class SlotAdded(Record):
    slot: Slot
    recovery_code: str | None


def add_slot(
    registry: Registry, kind: str, label: str | None, new_passphrase: Callable[[], str]
) -> SlotAdded:
    if kind not in ("passphrase", "recovery", "keyring"):
        raise InvalidInputError("a slot is passphrase, recovery or keyring")
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
        return SlotAdded(
            Slot(slot.id, slot.key_id, slot.kind, slot.label, slot.created_at, _describe(slot)),
            code,
        )


def remove_slot(registry: Registry, ref: str) -> Slot:
    """Remove a slot; the last slot, or the last one that is not the keyring, stays."""
    with registry.write() as tx:
        key = registry_key(tx.conn, registry)
        slot = _slot_label_or_id(tx.conn, key.id, ref)
        rest = [s for s in slots_of(tx.conn, key.id) if s.id != slot.id]
        if not rest:
            raise ConflictError("this is the last key slot: add another before removing it")
        if not any(s.kind in ("passphrase", "recovery") for s in rest):
            raise ConflictError(
                "the keyring must not be the only way in: keep a passphrase or recovery slot"
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
            from vault import oskeyring

            oskeyring.delete(json.loads(slot.params)["username"])
        return Slot(slot.id, slot.key_id, slot.kind, slot.label, slot.created_at, _describe(slot))


def change_passphrase(
    registry: Registry, new_passphrase: Callable[[], str], slot_ref: str | None = None
) -> Slot:
    """Re-wrap the data key under a new passphrase in the slot the old one opened."""
    with registry.write() as tx:
        key = registry_key(tx.conn, registry)
        assert registry.unlocker is not None  # noqa: S101 - registry_key() unlocked it
        passphrase_slots = [s for s in slots_of(tx.conn, key.id) if s.kind == "passphrase"]
        if slot_ref:
            slot = _slot_label_or_id(tx.conn, key.id, slot_ref)
        else:
            opened = registry.unlocker.opened_by.get(key.id)
            candidates = [s for s in passphrase_slots if s.id == opened] or (
                passphrase_slots if len(passphrase_slots) == 1 else []
            )
            if not candidates:
                raise InvalidInputError("several passphrase slots exist: name one with --slot")
            slot = candidates[0]
        if slot.kind != "passphrase":
            raise InvalidInputError(f"slot {slot.label!r} is a {slot.kind} slot, not a passphrase")
        params = {"kdf": "argon2id", "salt": _b64(os.urandom(16)), **ARGON2_DEFAULTS}
        secret = new_passphrase()
        if not secret:
            raise InvalidInputError("a passphrase cannot be empty")
        wrapped = _wrap(_argon2(secret, params), slot.id, key, "passphrase")
        s = schema.key_slots
        tx.conn.execute(
            s.update().where(s.c.id == slot.id).values(params=json.dumps(params), wrapped=wrapped)
        )
        tx.log("key.passphrase.change", "key", key.id, None, slot=str(slot.id), label=slot.label)
        return Slot(slot.id, key.id, slot.kind, slot.label, slot.created_at, _describe(slot))


@dataclass(frozen=True)
class Rotation(Record):
    old_key: uuid.UUID
    new_key: uuid.UUID
    secrets: int
    slots_kept: tuple[str, ...]
    slots_dropped: tuple[str, ...]
    recovery_codes: dict[str, str]


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
    assert registry.unlocker is not None  # noqa: S101 - the caller unlocked ``old``
    old_sealer, new_sealer = Sealer(old), registry.unlocker.sealer(new)
    count = 0
    tables = {"accounts": SEALED_COLUMNS["accounts"]} if post_id else SEALED_COLUMNS
    for table_name, columns in tables.items():
        table = schema.metadata.tables[table_name]
        query = sa.select(table.c.id, *(table.c[c] for c in columns)).where(
            sa.or_(*(table.c[c].is_not(None) for c in columns))
        )
        if post_id is not None:
            query = query.where(table.c.post_id == post_id)
        rows = tx.conn.execute(query).all()
        updates = []
        for row in rows:
            values: dict[str, Any] = {"_id": row.id}
            for column in columns:
                blob = getattr(row, column)
                if blob is not None and key_id_of(bytes(blob)) == old.id:
                    plain = old_sealer.open(table_name, column, row.id, bytes(blob))
                    blob = new_sealer.seal(table_name, column, row.id, plain)
                    count += 1
                values[column] = blob
            updates.append(values)
        if updates:
            tx.conn.execute(
                table.update()
                .where(table.c.id == sa.bindparam("_id"))
                .values({c: sa.bindparam(c) for c in columns}),
                updates,
            )
        if progress:
            progress(len(updates))
    return count


def _kek_at_hand(conn: sa.Connection, unlocker: Unlocker, slot: Any) -> bytes | None:
    """The key-encryption key of a passphrase or keyring slot, if this process can get it."""
    if slot.id in unlocker._keks:
        return unlocker._keks[slot.id]
    if slot.kind == "passphrase" and unlocker._passphrase:
        kek = _argon2(unlocker._passphrase, json.loads(slot.params))
        return kek if _unwrap(kek, slot) is not None else None
    if slot.kind == "keyring" and unlocker.use_keyring and _try_keyring(conn, unlocker, slot):
        return unlocker._keks[slot.id]
    return None


def rotate(registry: Registry, progress: Callable[[int], None] | None = None) -> Rotation:
    """A new registry data key: every secret re-sealed and every slot re-wrapped, in one go.

    Passphrase slots that the given passphrase opens and keyring slots whose key is reachable are
    re-wrapped (keeping their ids, which the keyring entry names); recovery slots get a new code,
    since the old one opened the old key; slots whose secret is not at hand are dropped and named,
    so nothing stays wrapped to a retired key.
    """
    with registry.write() as tx:
        return rotate_in(tx, progress)


def rotate_in(
    tx: Tx,
    progress: Callable[[int], None] | None = None,
    drop_recipients: frozenset[str] = frozenset(),
) -> Rotation:
    """:func:`rotate` inside the caller's transaction; age slots to ``drop_recipients`` go."""
    d = schema.data_keys
    registry = tx.registry
    old = registry_key(tx.conn, registry)
    unlocker = registry.unlocker
    assert unlocker is not None  # noqa: S101 - registry_key() unlocked it
    new = DataKey.generate()
    tx.conn.execute(
        d.insert().values(
            id=new.id, scope="registry", post_id=None, created_at=tx.now, retired_at=None
        )
    )
    tx.conn.execute(d.update().where(d.c.id == old.id).values(retired_at=tx.now))
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
            _insert_slot(
                tx,
                new,
                slot.kind,
                slot.label,
                json.loads(slot.params),
                _wrap(kek, slot.id, new, slot.kind),
                slot.id,
            )
        else:
            dropped.append(slot.label)
            continue
        kept.append(slot.label)
    if not any(s.kind in ("passphrase", "recovery") for s in slots_of(tx.conn, new.id)):
        raise ConflictError(
            "rotation would leave only the keyring: give the passphrase "
            "(--passphrase-file) so that its slot is kept"
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
    return Rotation(old.id, new.id, count, tuple(kept), tuple(dropped), codes)


def sealer_for(tx: Tx, post_id: uuid.UUID | None) -> Sealer:
    """The sealer for a secret of an account owned by ``post_id``: the post's own key on a
    registry with per-post keys, else the registry's key."""
    from vault import postkeys

    if post_id is not None and postkeys.per_post(tx.conn):
        key = postkeys.ensure(tx, post_id)
    else:
        key = registry_key(tx.conn, tx.registry)
    assert tx.registry.unlocker is not None  # noqa: S101 - unlocking raised otherwise
    return tx.registry.unlocker.sealer(key)
