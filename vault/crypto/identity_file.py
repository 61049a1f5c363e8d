"""Identities kept outside the registry: an officer's on their own machine, the department's
escrow identity in the IT cell's safe.

On a department-wide registry, private keys never enter the database: an officer's age identity
and signing key live in a passphrase-protected identity file or in their OS keyring, and unlock
the per-post keys wrapped to them. The department's escrow identity (an age key, no signing key)
lives in a file of the same format, made by ``init``, kept offline; it opens the escrow copies of
every packet and rotation report. A plain ``age-keygen`` file loads too (it can open, not sign).

Identity file format (``HANDOVER-IDENTITY-FILE/1``)::

    HANDOVER-IDENTITY-FILE/1
    {RFC 8785 header: kind, officer or label, public keys, Argon2id parameters}
    base64(nonce || AES-256-GCM(KEK, {"age_identity":..., "signing_key": PEM}, AAD=header))

with the KEK from Argon2id(passphrase), the same parameters as a registry's passphrase slot.
``kind`` is ``handover-identity-file`` (an officer's: age and signing key) or
``handover-escrow-identity`` (the department's escrow: an age key only). The passphrase is the
file's own, never the registry's.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from vault.canonical import canonical
from vault.crypto import kdf, oskeyring
from vault.errors import InvalidInputError, KeyringError, UnlockError
from vault.model import redacted

MAGIC = "HANDOVER-IDENTITY-FILE/1"
KEYRING_PREFIX = "keyring:"
OFFICER_KIND = "handover-identity-file"
ESCROW_KIND = "handover-escrow-identity"


class LocalIdentity(NamedTuple):
    """Private keys held by the user of this process, for unlocking and signing."""

    officer: str | None
    age: Any  # pyrage.x25519.Identity
    signing_pem: bytes | None = None

    def __repr__(self) -> str:
        return redacted(self, "age", "signing_pem")

    @property
    def recipient(self) -> str:
        return str(self.age.to_public())


def _payload(age_identity: str, signing_pem: bytes | None) -> bytes:
    data = {"age_identity": age_identity}
    if signing_pem is not None:
        data["signing_key"] = signing_pem.decode()
    return json.dumps(data).encode()


def _from_payload(officer: str | None, payload: bytes) -> LocalIdentity:
    import pyrage

    data = json.loads(payload)
    signing = data.get("signing_key")
    return LocalIdentity(
        officer,
        pyrage.x25519.Identity.from_str(data["age_identity"]),
        signing.encode() if signing is not None else None,
    )


def _write(path: Path, header: dict[str, Any], payload: bytes, passphrase: str) -> None:
    """Write a new identity file (mode 600); an existing file is never overwritten."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header_bytes = canonical({"format": 1, **header, "kdf": kdf.new_passphrase_params()})
    params = json.loads(header_bytes)["kdf"]
    nonce = os.urandom(12)
    sealed = AESGCM(kdf.derive_passphrase_key(passphrase, params)).encrypt(
        nonce, payload, header_bytes
    )
    text = MAGIC.encode() + b"\n" + header_bytes + b"\n" + base64.b64encode(nonce + sealed) + b"\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise InvalidInputError(f"cannot create {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise InvalidInputError(f"cannot write {path}: {exc.strerror}") from None


def write_file(
    path: Path,
    officer: str,
    age_identity: str,
    signing_pem: bytes,
    public: dict[str, str],
    passphrase: str,
) -> None:
    """Write an officer's new identity file (mode 600); an existing file is never overwritten."""
    header = {"kind": OFFICER_KIND, "officer": officer, **public}
    _write(path, header, _payload(age_identity, signing_pem), passphrase)


def write_escrow_file(path: Path, age_identity: str, label: str, passphrase: str) -> str:
    """Write the department's new escrow identity file; returns its age recipient."""
    import pyrage

    recipient = str(pyrage.x25519.Identity.from_str(age_identity).to_public())
    header = {"kind": ESCROW_KIND, "label": label, "age_recipient": recipient}
    _write(path, header, _payload(age_identity, None), passphrase)
    return recipient


def read_file(path: Path, passphrase: Callable[[], str]) -> list[LocalIdentity]:
    """The identities in a handover identity file (asking for its passphrase) or an age key
    file."""
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
        if header.get("kind", OFFICER_KIND) not in (OFFICER_KIND, ESCROW_KIND):
            raise ValueError(header.get("kind"))
        blob = base64.b64decode(lines[2], validate=True)
        kek = kdf.derive_passphrase_key(passphrase(), header["kdf"])
        payload = AESGCM(kek).decrypt(blob[:12], blob[12:], lines[1])
    except InvalidTag:
        raise UnlockError(f"wrong passphrase for the identity file {path}") from None
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
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
    return read_file(Path(spec).expanduser(), passphrase)
