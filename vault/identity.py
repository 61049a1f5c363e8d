"""Officer identities: an age X25519 identity for receiving, and a separate Ed25519 signing key.

Two keys, not one: the age identity decrypts packets addressed to the officer, the Ed25519 key
signs what they send (packets, receipts, log checkpoints). A registry holds the private halves of
its own officers' identities, sealed under its data key, and the public halves of others',
imported from their self-signed identity cards. Keys can be replaced; the old ones stay, retired,
so that history (who signed what) can still be read.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault import keys, officers, schema, sshsig
from vault.errors import ConflictError, InvalidInputError, NotFoundError, SignatureError
from vault.model import Record

if TYPE_CHECKING:
    from vault.storage import Registry, Tx


@dataclass(frozen=True)
class Identity(Record):
    officer: str
    officer_name: str
    age_recipient: str
    signing_key: str
    fingerprint: str
    local: bool
    created_at: dt.datetime
    retired_at: dt.datetime | None


def _select() -> sa.Select[Any]:
    i, o = schema.identities, schema.officers
    return sa.select(i, o.c.service_id, o.c.name, o.c.grade).join(o, o.c.id == i.c.officer_id)


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
    i = schema.identities
    return conn.execute(
        _select().where(i.c.officer_id == officer_id, i.c.retired_at.is_(None))
    ).first()


def local_rows(conn: sa.Connection, registry: Registry) -> list[Any]:
    """The current identities whose private keys are at hand: sealed in this registry, or
    loaded from the user's own identity file or keyring (``--identity``)."""
    i = schema.identities
    held: set[str] = set()
    if registry.unlocker is not None:
        held = {local.recipient for local in registry.unlocker.identities(conn)}
    return list(
        conn.execute(
            _select()
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
            "no officer identity is at hand: create one with 'handover identity create "
            "--officer ID', or give your identity file with --identity"
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
        raise InvalidInputError("the signing key is not an ssh-ed25519 public key") from None


def _retire_current(tx: Tx, officer_id: uuid.UUID) -> None:
    i = schema.identities
    tx.conn.execute(
        i.update()
        .where(i.c.officer_id == officer_id, i.c.retired_at.is_(None))
        .values(retired_at=tx.now)
    )


def create(
    registry: Registry,
    service_id: str,
    *,
    replace: bool = False,
    keep: Callable[[str, bytes, dict[str, str]], None] | None = None,
) -> Identity:
    """Make a new age identity and Ed25519 signing key for an officer.

    By default the private halves are sealed in this registry. With ``keep`` they are handed to
    it instead (to write an identity file, or store them in the OS keyring) and only the public
    halves are recorded: on a shared registry, private keys never enter the database.
    """
    import pyrage
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from vault import postkeys

    with registry.write() as tx:
        officer = officers.row_by_service_id(tx.conn, service_id)
        if keep is None and postkeys.per_post(tx.conn):
            raise InvalidInputError(
                "on a shared registry your private keys stay on your machine: give "
                "--identity-file PATH (or --keyring)"
            )
        existing = current(tx.conn, officer.id)
        if existing is not None and not replace:
            kind = "their own" if existing.source == "local" else "an imported"
            raise ConflictError(
                f"{officer.service_id} already has {kind} identity ({existing.fingerprint}); "
                "give --replace to make a new one (the old one is kept as history)"
            )
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
        identity_id = uuid.uuid4()
        if existing is not None:
            _retire_current(tx, officer.id)
        sealed: dict[str, Any] = {"age_secret_sealed": None, "signing_secret_sealed": None}
        if keep is None:
            sealer = keys.sealer_for(tx, None)
            sealed = {
                "age_secret_sealed": sealer.seal(
                    "identities", "age_secret_sealed", identity_id, str(age_identity).encode()
                ),
                "signing_secret_sealed": sealer.seal(
                    "identities", "signing_secret_sealed", identity_id, pem
                ),
            }
        tx.conn.execute(
            schema.identities.insert().values(
                id=identity_id,
                officer_id=officer.id,
                age_recipient=str(age_identity.to_public()),
                signing_key=public.openssh,
                fingerprint=public.fingerprint,
                source="local" if keep is None else "card",
                created_at=tx.now,
                retired_at=None,
                **sealed,
            )
        )
        tx.log(
            "identity.create",
            "officer",
            officer.id,
            officer.service_id,
            fingerprint=public.fingerprint,
            age_recipient=str(age_identity.to_public()),
            replaced=existing.fingerprint if existing is not None else None,
            kept_outside=keep is not None,
        )
        if keep is not None:
            keep(
                str(age_identity),
                pem,
                {
                    "age_recipient": str(age_identity.to_public()),
                    "signing_key": public.openssh,
                    "fingerprint": public.fingerprint,
                },
            )
        return to_identity(current(tx.conn, officer.id))


@dataclass(frozen=True)
class Imported(Record):
    identity: Identity
    new_officer: bool
    replaced: str | None
    unchanged: bool


def import_public(
    registry: Registry,
    service_id: str,
    name: str,
    grade: str | None,
    age_recipient: str,
    signing_key: str,
) -> Imported:
    """Record another officer's public keys (from a card whose signature the caller checked)."""
    fingerprint = check_public(age_recipient, signing_key)
    with registry.write() as tx:
        new_officer = False
        try:
            officer = officers.row_by_service_id(tx.conn, service_id)
        except NotFoundError:
            officers.add_in(tx, service_id, officers.OfficerFields(name=name, grade=grade))
            officer = officers.row_by_service_id(tx.conn, service_id)
            new_officer = True
        existing = current(tx.conn, officer.id)
        if existing is not None and (existing.signing_key, existing.age_recipient) == (
            sshsig.PublicKey.parse(signing_key).openssh,
            age_recipient,
        ):
            return Imported(to_identity(existing), False, None, True)
        if existing is not None and existing.source == "local":
            raise ConflictError(
                f"{officer.service_id}'s own identity is held in this registry; a card cannot "
                "replace it"
            )
        if existing is not None:
            _retire_current(tx, officer.id)
        tx.conn.execute(
            schema.identities.insert().values(
                id=uuid.uuid4(),
                officer_id=officer.id,
                age_recipient=age_recipient,
                signing_key=sshsig.PublicKey.parse(signing_key).openssh,
                fingerprint=fingerprint,
                source="card",
                created_at=tx.now,
                retired_at=None,
            )
        )
        tx.log(
            "identity.import",
            "officer",
            officer.id,
            officer.service_id,
            fingerprint=fingerprint,
            age_recipient=age_recipient,
            replaced=existing.fingerprint if existing is not None else None,
        )
        return Imported(
            to_identity(current(tx.conn, officer.id)),
            new_officer,
            existing.fingerprint if existing is not None else None,
            False,
        )


def list_identities(registry: Registry, officer: str | None = None) -> list[Identity]:
    i, o = schema.identities, schema.officers
    query = _select().order_by(o.c.service_id, i.c.created_at)
    if officer:
        query = query.where(o.c.service_id == officer.strip().lower())
    with registry.read() as conn:
        return [to_identity(r) for r in conn.execute(query)]


@dataclass(frozen=True)
class PrivateKeys:
    """An identity's private halves, opened for one operation."""

    age_identity: str
    signing_pem: bytes

    def __repr__(self) -> str:
        return "PrivateKeys(<hidden>)"


def private_keys(conn: sa.Connection, registry: Registry, row: Any) -> PrivateKeys:
    if row.age_secret_sealed is None or row.signing_secret_sealed is None:
        if registry.unlocker is not None:
            for local in registry.unlocker.identities(conn):
                if local.recipient == row.age_recipient and local.signing_pem is not None:
                    return PrivateKeys(str(local.age), local.signing_pem)
        raise NotFoundError(
            f"the private keys of {row.service_id} are not in this registry: give their "
            "identity file with --identity"
        )
    age_secret = keys.open_sealed(
        conn, registry, "identities", "age_secret_sealed", row.id, row.age_secret_sealed
    )
    signing = keys.open_sealed(
        conn, registry, "identities", "signing_secret_sealed", row.id, row.signing_secret_sealed
    )
    return PrivateKeys(age_secret.decode(), signing)


def sign_as(
    conn: sa.Connection, registry: Registry, row: Any, namespace: str, message: bytes
) -> str:
    return sshsig.sign(private_keys(conn, registry, row).signing_pem, namespace, message)


def export_age(registry: Registry, officer: str | None) -> tuple[Identity, str]:
    """The officer's age identity in the clear, for ``age -d`` without handover."""
    with registry.read() as conn:
        row = own_identity(conn, registry, officer)
        return to_identity(row), private_keys(conn, registry, row).age_identity
