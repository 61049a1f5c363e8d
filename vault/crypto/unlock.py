"""Unlocking: opening a data key with what the user has, once per command.

Unlocking tries, in order: the user's age identities, the keyring (unless a passphrase file was
given), then the passphrase (as a recovery code first when it looks like one). Any failure reads
"wrong passphrase or recovery code": which slot failed is not disclosed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vault.crypto import identity_file, kdf, oskeyring
from vault.crypto.seal import DataKey, Sealer, key_id_of
from vault.crypto.slots import registry_key_id, slot_ad, slots_of, unwrap
from vault.errors import AccessError, InvalidInputError, KeyringError, UnlockError
from vault.model import N_
from vault.store import settings

if TYPE_CHECKING:
    import sqlalchemy as sa

    from vault.store.storage import Registry

WRONG = N_("wrong passphrase or recovery code")


@dataclass
class Unlocker:
    """What the user can unlock with, gathered lazily: nothing is read or asked until needed.

    ``prompt`` asks for a passphrase without echo; it is ``None`` when there is no terminal, and
    then a passphrase must come from ``passphrase_file``. The registry and an identity file have
    passphrases of their own: each is asked for by a prompt that names what it unlocks, or read
    from its own file. Keys opened once are kept for the rest of the process, which is one
    command.
    """

    passphrase_file: Path | None = None
    prompt: Callable[[str], str] | None = None
    use_keyring: bool = True
    identity_spec: str | None = None
    identity_passphrase_file: Path | None = None
    _identities: list[identity_file.LocalIdentity] | None = field(default=None, repr=False)
    _passphrase: str | None = field(default=None, repr=False)
    _identity_passphrase: str | None = field(default=None, repr=False)
    _keys: dict[uuid.UUID, DataKey] = field(default_factory=dict, repr=False)
    _sealers: dict[uuid.UUID, Sealer] = field(default_factory=dict, repr=False)
    _keks: dict[uuid.UUID, bytes] = field(default_factory=dict, repr=False)
    opened_by: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)

    def passphrase(self) -> str:
        if self._passphrase is None:
            if self.passphrase_file is not None:
                self._passphrase = read_secret_file(self.passphrase_file, "passphrase")
            elif self.prompt is not None:
                self._passphrase = self.prompt("Registry passphrase or recovery code")
            else:
                raise UnlockError(
                    N_(
                        "the registry is locked: give --passphrase-file or set "
                        "HANDOVER_PASSPHRASE_FILE (no terminal to ask on)"
                    )
                )
            if not self._passphrase:
                raise UnlockError(WRONG)
        return self._passphrase

    def identity_passphrase(self) -> str:
        """The passphrase of the identity file named by ``--identity``, never the registry's."""
        if self._identity_passphrase is None:
            if self.identity_passphrase_file is not None:
                self._identity_passphrase = read_secret_file(
                    self.identity_passphrase_file, "identity passphrase"
                )
            elif self.prompt is not None:
                self._identity_passphrase = self.prompt(
                    f"Passphrase of the identity file {self.identity_spec}"
                )
            else:
                raise UnlockError(
                    f"the identity file {self.identity_spec} is locked: give "
                    "--identity-passphrase-file or set HANDOVER_IDENTITY_PASSPHRASE_FILE "
                    "(no terminal to ask on)"
                )
        return self._identity_passphrase

    def given_passphrase(self) -> str | None:
        """The passphrase if this command has already read it; never asks."""
        return self._passphrase

    def identities(self, conn: sa.Connection) -> list[identity_file.LocalIdentity]:
        """The identities named by ``--identity``, loaded (and unlocked) on first use."""
        if self._identities is None:
            self._identities = []
            if self.identity_spec:
                self._identities = identity_file.load(
                    self.identity_spec,
                    self.identity_passphrase,
                    lambda: str(settings.read(conn, "registry_id")),
                )
        return self._identities

    def remember(self, key: DataKey) -> DataKey:
        self._keys[key.id] = key
        return key

    def known(self, key_id: uuid.UUID) -> DataKey | None:
        return self._keys.get(key_id)

    def sealer(self, key: DataKey) -> Sealer:
        if key.id not in self._sealers:
            self._sealers[key.id] = Sealer(key)
        return self._sealers[key.id]

    def remember_kek(self, slot_id: uuid.UUID, kek: bytes) -> None:
        self._keks[slot_id] = kek

    def kek(self, slot_id: uuid.UUID) -> bytes | None:
        """The key-encryption key of a slot this command has already opened."""
        return self._keks.get(slot_id)


def given_unlocker(registry: Registry) -> Unlocker | None:
    """The registry's unlocker (made now if the registry was given a function that makes it),
    or ``None`` when it was opened without one."""
    found = registry.unlocker
    if callable(found):
        found = registry.unlocker = found()
    return found if isinstance(found, Unlocker) else None


def unlocker_of(registry: Registry) -> Unlocker:
    """The registry's unlocker, typed; a registry opened without one is locked."""
    found = given_unlocker(registry)
    if found is None:
        raise UnlockError(N_("the registry is locked and no way to unlock it was given"))
    return found


def read_secret_file(path: Path, what: str) -> str:
    """A secret from a file: the whole file, less one trailing newline."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInputError(f"cannot read the {what} file {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InvalidInputError(f"the {what} file {path} is not UTF-8 text") from None
    return text.removesuffix("\n").removesuffix("\r")


def _try_age(conn: sa.Connection, unlocker: Unlocker, slot: Any) -> DataKey | None:
    import pyrage

    for identity in unlocker.identities(conn):
        if identity.recipient != json.loads(slot.params)["recipient"]:
            continue
        try:
            plain = pyrage.decrypt(bytes(slot.wrapped), [identity.age])
        except pyrage.DecryptError:
            return None
        ad = slot_ad(slot.id, slot.key_id, "age")
        if not plain.startswith(ad) or len(plain) != len(ad) + 32:
            return None
        return DataKey(slot.key_id, plain[len(ad) :])
    return None


def try_keyring(unlocker: Unlocker, slot: Any) -> DataKey | None:
    """The data key of a keyring slot, if this machine's keyring holds its key."""
    try:
        kek = oskeyring.load(json.loads(slot.params)["username"])
    except KeyringError:
        return None
    if kek is None:
        return None
    key = unwrap(kek, slot)
    if key is not None:
        unlocker.remember_kek(slot.id, kek)
    return key


def try_secret(
    unlocker: Unlocker, slots: list[Any], secret: str
) -> tuple[DataKey, uuid.UUID] | None:
    """Open one of ``slots`` with a passphrase or recovery code; the key and the slot's id."""
    code = kdf.normalise_recovery(secret)
    attempts: list[tuple[Any, Callable[[dict[str, Any]], bytes]]] = []
    if code is not None:
        attempts += [
            (s, lambda p: kdf.derive_recovery_key(code, p)) for s in slots if s.kind == "recovery"
        ]
    attempts += [
        (s, lambda p: kdf.derive_passphrase_key(secret, p)) for s in slots if s.kind == "passphrase"
    ]
    for slot, derive in attempts:
        kek = derive(json.loads(slot.params))
        key = unwrap(kek, slot)
        if key is not None:
            unlocker.remember_kek(slot.id, kek)
            return key, slot.id
    return None


def unlock(conn: sa.Connection, unlocker: Unlocker | None, key_id: uuid.UUID) -> DataKey:
    """The data key ``key_id``, opened with whatever the user has, or :class:`UnlockError`."""
    if unlocker is None:
        raise UnlockError(N_("the registry is locked and no way to unlock it was given"))
    known = unlocker.known(key_id)
    if known is not None:
        return known
    slots = slots_of(conn, key_id)
    if not slots:
        raise AccessError(N_("no key slot opens these secrets"))
    for slot in slots:
        key = None
        if slot.kind == "age" and unlocker.identity_spec:
            key = _try_age(conn, unlocker, slot)
        elif slot.kind == "keyring" and unlocker.use_keyring and unlocker.passphrase_file is None:
            key = try_keyring(unlocker, slot)
        if key is not None:
            unlocker.opened_by[key_id] = slot.id
            return unlocker.remember(key)
    if not any(s.kind in ("passphrase", "recovery") for s in slots):
        raise AccessError(
            N_(
                "none of your identities can open these secrets: they belong to a post you do "
                "not hold"
            )
        )
    found = try_secret(unlocker, slots, unlocker.passphrase())
    if found is None:
        raise UnlockError(WRONG)
    unlocker.opened_by[key_id] = found[1]
    return unlocker.remember(found[0])


def registry_key(conn: sa.Connection, registry: Registry) -> DataKey:
    return unlock(conn, unlocker_of(registry), registry_key_id(conn))


def open_sealed(
    conn: sa.Connection,
    registry: Registry,
    table: str,
    column: str,
    row_id: uuid.UUID,
    blob: bytes,
) -> bytes:
    """Open one sealed value with whichever data key it names."""
    unlocker = unlocker_of(registry)
    key = unlock(conn, unlocker, key_id_of(bytes(blob)))
    return unlocker.sealer(key).open(table, column, row_id, bytes(blob))
