"""Who is on record with which keys: officers' identities made here, and cards imported.

An officer's own identity is made here (private halves sealed in the registry, or kept outside it
in an identity file or the OS keyring); another officer's public keys come from their card. The
keys themselves, and how a registry signs and opens with them, are :mod:`vault.crypto.identities`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from vault.crypto import identities, postkeys, sshsig
from vault.crypto.identities import Identity, current, to_identity
from vault.crypto.safety import safety_code
from vault.errors import AuthorityError, ConflictError, InvalidInputError, NotFoundError
from vault.model import N_, as_dict
from vault.records import officers
from vault.store import queries, schema

if TYPE_CHECKING:
    from vault.store.storage import Registry


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
    with registry.write() as tx:
        officer = officers.row_by_service_id(tx.conn, service_id)
        if keep is None and postkeys.per_post(tx.conn):
            raise InvalidInputError(
                N_(
                    "on a shared registry your private keys stay on your machine: give "
                    "--identity-file PATH (or --keyring)"
                )
            )
        existing = current(tx.conn, officer.id)
        if existing is not None and not replace:
            kind = "their own" if existing.source == "local" else "an imported"
            raise ConflictError(
                f"{officer.service_id} already has {kind} identity ({existing.fingerprint}); "
                "give --replace to make a new one (the old one is kept as history)"
            )
        made = identities.generate()
        if existing is not None:
            identities.retire_current(tx, officer.id)
        identities.insert(
            tx,
            officer.id,
            made.age_recipient,
            made.signing_key,
            private=made if keep is None else None,
        )
        tx.log(
            "identity.create",
            "officer",
            officer.id,
            officer.service_id,
            fingerprint=made.fingerprint,
            age_recipient=made.age_recipient,
            replaced=existing.fingerprint if existing is not None else None,
            kept_outside=keep is not None,
        )
        if keep is not None:
            keep(made.age_identity, made.signing_pem, made.public())
        return to_identity(current(tx.conn, officer.id))


class Imported(NamedTuple):
    identity: Identity
    new_officer: bool
    replaced: str | None
    unchanged: bool
    safety_code: str
    previous_safety_code: str | None

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class OnRecord(NamedTuple):
    """What this registry holds for an officer whose card is being imported."""

    officer_known: bool
    name: str | None
    fingerprint: str | None
    safety_code: str | None
    same_keys: bool
    own: bool

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def on_record(
    registry: Registry, service_id: str, age_recipient: str, signing_key: str
) -> OnRecord:
    """Before a card is imported: is the officer known here, with which keys, and are they the
    card's? (What a person must see before confirming.)"""
    with registry.read() as conn:
        try:
            officer = officers.row_by_service_id(conn, service_id)
        except NotFoundError:
            return OnRecord(False, None, None, None, False, False)
        existing = current(conn, officer.id)
    if existing is None:
        return OnRecord(True, officer.name, None, None, False, False)
    return OnRecord(
        True,
        officer.name,
        existing.fingerprint,
        safety_code(existing.signing_key, existing.age_recipient),
        (existing.signing_key, existing.age_recipient)
        == (sshsig.PublicKey.parse(signing_key).openssh, age_recipient),
        existing.source == "local",
    )


def import_public(
    registry: Registry,
    service_id: str,
    name: str,
    grade: str | None,
    age_recipient: str,
    signing_key: str,
    *,
    confirmed: str | None,
    replace_reason: str | None = None,
) -> Imported:
    """Record another officer's public keys (from a card whose signature the caller checked).

    The keys are trusted because someone confirmed the card's safety code with the officer
    (``confirmed`` says who and how; it is logged). A card with other keys than those on record
    for the officer is refused unless ``replace_reason`` is given: a changed key is how an
    impostor would get in, so replacing one is logged and the audit reports it.
    """
    fingerprint = identities.check_public(age_recipient, signing_key)
    code = safety_code(sshsig.PublicKey.parse(signing_key).openssh, age_recipient)
    with registry.write() as tx:
        new_officer = False
        try:
            officer = officers.row_by_service_id(tx.conn, service_id)
        except NotFoundError:
            officer = None
        existing = current(tx.conn, officer.id) if officer is not None else None
        if existing is not None and (existing.signing_key, existing.age_recipient) == (
            sshsig.PublicKey.parse(signing_key).openssh,
            age_recipient,
        ):
            return Imported(to_identity(existing), False, None, True, code, None)
        if existing is not None and existing.source == "local":
            raise ConflictError(
                f"{existing.service_id}'s own identity is held in this registry; a card cannot "
                "replace it"
            )
        previous_code = None
        if existing is not None:
            previous_code = safety_code(existing.signing_key, existing.age_recipient)
            if not (replace_reason or "").strip():
                raise AuthorityError(
                    f"{existing.service_id} already has other keys on record (safety code "
                    f"{previous_code}); this card's are {code}: replace them only after "
                    "confirming with the officer, with --replace-key --reason TEXT"
                )
        if not (confirmed or "").strip():
            raise InvalidInputError(
                N_(
                    "confirm the card's safety code with the officer first, and say how: "
                    '--confirmed TEXT (for example "phone call with Asha Mehta, 2026-12-01")'
                )
            )
        if officer is None:
            officers.add_in(tx, service_id, officers.OfficerFields(name=name, grade=grade))
            officer = officers.row_by_service_id(tx.conn, service_id)
            new_officer = True
        if existing is not None:
            identities.retire_current(tx, officer.id)
        identities.insert(tx, officer.id, age_recipient, signing_key)
        tx.log(
            "identity.replace" if existing is not None else "identity.import",
            "officer",
            officer.id,
            officer.service_id,
            fingerprint=fingerprint,
            safety_code=code,
            age_recipient=age_recipient,
            confirmed=(confirmed or "").strip(),
            replaced=existing.fingerprint if existing is not None else None,
            replaced_safety_code=previous_code,
            reason=(replace_reason or "").strip() or None,
        )
        return Imported(
            to_identity(current(tx.conn, officer.id)),
            new_officer,
            existing.fingerprint if existing is not None else None,
            False,
            code,
            previous_code,
        )


def list_identities(registry: Registry, officer: str | None = None) -> list[Identity]:
    i, o = schema.identities, schema.officers
    query = queries.identity_rows().order_by(o.c.service_id, i.c.created_at)
    if officer:
        query = query.where(o.c.service_id == officer.strip().lower())
    with registry.read() as conn:
        return [to_identity(r) for r in conn.execute(query)]


def export_age(registry: Registry, officer: str | None) -> tuple[Identity, str]:
    """The officer's age identity in the clear, for ``age -d`` without handover."""
    with registry.read() as conn:
        row = identities.own_identity(conn, registry, officer)
        return to_identity(row), identities.private_keys(conn, registry, row).age_identity
