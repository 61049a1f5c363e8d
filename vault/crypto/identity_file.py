"""Identities kept on an officer's own machine rather than in a (shared) registry.

On a department-wide registry, private keys never enter the database: an officer's age identity
and signing key live in a passphrase-protected identity file or in their OS keyring, and unlock
the per-post keys wrapped to them. An IT cell's offline escrow key, a plain ``age-keygen`` file,
loads the same way (it can open, not sign).

Identity file format (``HANDOVER-IDENTITY-FILE/1``)::

    HANDOVER-IDENTITY-FILE/1
    {RFC 8785 header: officer, age recipient, signing key, fingerprint, Argon2id parameters}
    base64(nonce || AES-256-GCM(KEK, {"age_identity":..., "signing_key": PEM}, AAD=header))

with the KEK from Argon2id(passphrase), the same parameters as a registry's passphrase slot.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vault.canonical import canonical
from vault.crypto import kdf, oskeyring
from vault.errors import InvalidInputError, KeyringError, UnlockError

MAGIC = "HANDOVER-IDENTITY-FILE/1"
KEYRING_PREFIX = "keyring:"


@dataclass(frozen=True)
class LocalIdentity:
    """Private keys held by the user of this process, for unlocking and signing."""

    officer: str | None
    age: Any = field(repr=False)  # pyrage.x25519.Identity
    signing_pem: bytes | None = field(default=None, repr=False)

    @property
    def recipient(self) -> str:
        return str(self.age.to_public())


def _payload(age_identity: str, signing_pem: bytes) -> bytes:
    return json.dumps({"age_identity": age_identity, "signing_key": signing_pem.decode()}).encode()


def _from_payload(officer: str | None, payload: bytes) -> LocalIdentity:
    import pyrage

    data = json.loads(payload)
    return LocalIdentity(
        officer, pyrage.x25519.Identity.from_str(data["age_identity"]), data["signing_key"].encode()
    )


def write_file(
    path: Path,
    officer: str,
    age_identity: str,
    signing_pem: bytes,
    public: dict[str, str],
    passphrase: str,
) -> None:
    """Write a new identity file (mode 600); an existing file is never overwritten."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    params = kdf.new_passphrase_params()
    header = {
        "format": 1,
        "kind": "handover-identity-file",
        "officer": officer,
        **public,
        "kdf": params,
    }
    header_bytes = canonical(header)
    nonce = os.urandom(12)
    sealed = AESGCM(kdf.derive_passphrase_key(passphrase, params)).encrypt(
        nonce, _payload(age_identity, signing_pem), header_bytes
    )
    text = MAGIC.encode() + b"\n" + header_bytes + b"\n" + base64.b64encode(nonce + sealed) + b"\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise InvalidInputError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as out:
        out.write(text)


def _read_file(path: Path, passphrase: Callable[[], str]) -> list[LocalIdentity]:
    import pyrage
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read the identity {path}: {exc.strerror}") from None
    text = data.decode("utf-8", errors="replace")
    if text.startswith("AGE-SECRET-KEY-") or "\nAGE-SECRET-KEY-" in text or text.startswith("#"):
        keys = [line.strip() for line in text.splitlines() if line.startswith("AGE-SECRET-KEY-")]
        try:
            return [LocalIdentity(None, pyrage.x25519.Identity.from_str(k)) for k in keys]
        except pyrage.IdentityError:
            raise InvalidInputError(f"{path} is not a valid age identity file") from None
    lines = data.split(b"\n")
    if len(lines) != 4 or lines[0] != MAGIC.encode() or lines[3] != b"":
        raise InvalidInputError(f"{path} is not a handover identity file")
    try:
        header = json.loads(lines[1])
        blob = base64.b64decode(lines[2], validate=True)
        kek = kdf.derive_passphrase_key(passphrase(), header["kdf"])
        payload = AESGCM(kek).decrypt(blob[:12], blob[12:], lines[1])
    except InvalidTag:
        raise UnlockError(f"wrong passphrase for the identity file {path}") from None
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidInputError(f"{path} is not a handover identity file") from None
    return [_from_payload(header.get("officer"), payload)]


def store_keyring(registry_id: str, officer: str, age_identity: str, signing_pem: bytes) -> None:
    oskeyring.store(f"{registry_id}/identity/{officer}", _payload(age_identity, signing_pem))


def load(
    spec: str, passphrase: Callable[[], str], registry_id: Callable[[], str]
) -> list[LocalIdentity]:
    """The identities named by ``--identity``: a file, or ``keyring:OFFICER``."""
    if spec.startswith(KEYRING_PREFIX):
        officer = spec[len(KEYRING_PREFIX) :].strip().lower()
        payload = oskeyring.load(f"{registry_id()}/identity/{officer}")
        if payload is None:
            raise KeyringError(f"the OS keyring holds no identity of {officer} for this registry")
        return [_from_payload(officer, payload)]
    return _read_file(Path(spec).expanduser(), passphrase)
