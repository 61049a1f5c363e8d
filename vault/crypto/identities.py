"""Officer identities: an age X25519 identity for receiving, and a separate Ed25519 signing key.

Two keys, not one: the age identity decrypts packets addressed to the officer, the Ed25519 key
signs what they send (packets, receipts, log checkpoints). A registry holds the private halves of
its own officers' identities, sealed under its data key, and the public halves of others',
imported from their self-signed identity cards. Keys can be replaced; the old ones stay, retired,
so that history (who signed what) can still be read. Who is on record with which key, and how a
key is replaced, is :mod:`vault.records.identities`; this module holds the keys themselves.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from vault.crypto import postkeys, sshsig
from vault.crypto.unlock import given_unlocker, open_sealed
from vault.errors import InvalidInputError, NotFoundError, SignatureError
from vault.model import N_, as_dict, redacted
from vault.store import queries, reads, schema

if TYPE_CHECKING:
    from vault.store.storage import Registry, Tx


class Identity(NamedTuple):
    officer: str
    officer_name: str
    age_recipient: str
    signing_key: str
    fingerprint: str
    local: bool
    created_at: dt.datetime
    retired_at: dt.datetime | None

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def to_identity(row: Any) -> Identity:
    return Identity(
        row.service_id,
        row.name,
        row.age_recipient,
        row.signing_key,
        row.fingerprint,
        row.source == "local",
        row.created_at,
        row.retired_at,
    )


def current(conn: sa.Connection, officer_id: uuid.UUID) -> Any:
    """The officer's current identity row, or ``None``."""
    return reads.first(conn, "current_identity", officer_id=officer_id)


def local_rows(conn: sa.Connection, registry: Registry) -> list[Any]:
    """The current identities whose private keys are at hand: sealed in this registry, or
    loaded from the user's own identity file or keyring (``--identity``)."""
    i = schema.identities
    held: set[str] = set()
    if (unlocker := given_unlocker(registry)) is not None:
        held = {local.recipient for local in unlocker.identities(conn)}
    return list(
        conn.execute(
            queries.identity_rows()
            .where(
                i.c.retired_at.is_(None),
                sa.or_(i.c.source == "local", i.c.age_recipient.in_(held)),
            )
            .order_by(i.c.created_at)
        )
    )


def own_identity(conn: sa.Connection, registry: Registry, officer: str | None) -> Any:
    """The identity to act as: the one named, or the only one at hand."""
    rows = local_rows(conn, registry)
    if officer is not None:
        key = officer.strip().lower()
        for row in rows:
            if row.service_id == key:
                return row
        raise NotFoundError(
            f"no identity of {officer!r} is at hand: create one with 'handover identity create "
            f"--officer {officer}', or give their identity file with --identity"
        )
    if not rows:
        raise NotFoundError(
            N_(
                "no officer identity is at hand: create one with 'handover identity create "
                "--officer ID', or give your identity file with --identity"
            )
        )
    if len(rows) > 1:
        names = ", ".join(r.service_id for r in rows)
        raise InvalidInputError(f"this registry holds several identities ({names}): name one")
    return rows[0]


def check_public(age_recipient: str, signing_key: str) -> str:
    """Validate both public keys; return the signing key's fingerprint."""
    import pyrage

    try:
        pyrage.x25519.Recipient.from_str(age_recipient)
    except pyrage.RecipientError:
        raise InvalidInputError(f"{age_recipient!r} is not an age X25519 recipient") from None
    try:
        return sshsig.PublicKey.parse(signing_key).fingerprint
    except SignatureError:
        raise InvalidInputError(N_("the signing key is not an ssh-ed25519 public key")) from None


def retire_current(tx: Tx, officer_id: uuid.UUID) -> None:
    i = schema.identities
    tx.conn.execute(
        i.update()
        .where(i.c.officer_id == officer_id, i.c.retired_at.is_(None))
        .values(retired_at=tx.now)
    )


class NewKeys(NamedTuple):
    """A fresh age identity and Ed25519 signing key; the private halves never print."""

    age_identity: str
    signing_pem: bytes
    age_recipient: str
    signing_key: str
    fingerprint: str

    def __repr__(self) -> str:
        return redacted(self, "age_identity", "signing_pem")

    def public(self) -> dict[str, str]:
        return {
            "age_recipient": self.age_recipient,
            "signing_key": self.signing_key,
            "fingerprint": self.fingerprint,
        }


def generate() -> NewKeys:
    import pyrage
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    age_identity = pyrage.x25519.Identity.generate()
    signing = Ed25519PrivateKey.generate()
    pem = signing.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    public = sshsig.PublicKey(
        signing.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    )
    return NewKeys(
        str(age_identity), pem, str(age_identity.to_public()), public.openssh, public.fingerprint
    )


def insert(
    tx: Tx,
    officer_id: uuid.UUID,
    age_recipient: str,
    signing_key: str,
    *,
    private: NewKeys | None = None,
) -> uuid.UUID:
    """Record an officer's current public keys, with the private halves sealed in this registry
    when ``private`` is given (``source`` local) or without them (a card, or keys kept outside)."""
    identity_id = uuid.uuid4()
    sealed: dict[str, Any] = {"age_secret_sealed": None, "signing_secret_sealed": None}
    if private is not None:
        sealer = postkeys.sealer_for(tx, None)
        sealed = {
            "age_secret_sealed": sealer.seal(
                "identities", "age_secret_sealed", identity_id, private.age_identity.encode()
            ),
            "signing_secret_sealed": sealer.seal(
                "identities", "signing_secret_sealed", identity_id, private.signing_pem
            ),
        }
    key = sshsig.PublicKey.parse(signing_key)
    tx.conn.execute(
        schema.identities.insert().values(
            id=identity_id,
            officer_id=officer_id,
            age_recipient=age_recipient,
            signing_key=key.openssh,
            fingerprint=key.fingerprint,
            source="local" if private is not None else "card",
            created_at=tx.now,
            retired_at=None,
            **sealed,
        )
    )
    return identity_id


class PrivateKeys(NamedTuple):
    """An identity's private halves, opened for one operation."""

    age_identity: str
    signing_pem: bytes

    def __repr__(self) -> str:
        return redacted(self, *self._fields)


def private_keys(conn: sa.Connection, registry: Registry, row: Any) -> PrivateKeys:
    if row.age_secret_sealed is None or row.signing_secret_sealed is None:
        if (unlocker := given_unlocker(registry)) is not None:
            for local in unlocker.identities(conn):
                if local.recipient == row.age_recipient and local.signing_pem is not None:
                    return PrivateKeys(str(local.age), local.signing_pem)
        raise NotFoundError(
            f"the private keys of {row.service_id} are not in this registry: give their "
            "identity file with --identity"
        )
    age_secret = open_sealed(
        conn, registry, "identities", "age_secret_sealed", row.id, row.age_secret_sealed
    )
    signing = open_sealed(
        conn, registry, "identities", "signing_secret_sealed", row.id, row.signing_secret_sealed
    )
    return PrivateKeys(age_secret.decode(), signing)


def sign_as(
    conn: sa.Connection, registry: Registry, row: Any, namespace: str, message: bytes
) -> str:
    return sshsig.sign(private_keys(conn, registry, row).signing_pem, namespace, message)
