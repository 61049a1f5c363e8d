"""Identity cards: an officer's public keys, self-signed, to be imported by other registries.

A card says: officer id, name and grade, age recipient, ``ssh-ed25519`` signing key and its
fingerprint, signed by that signing key (namespace ``handover.card.v1``). The self-signature proves
that whoever made the card holds the key; that the key is the officer's is confirmed out of band,
by reading its safety code (thirty digits, :mod:`vault.crypto.safety`) to each other, which is
why both ``identity card`` and ``officer import-card`` show it, and import asks who confirmed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vault.crypto import sshsig
from vault.crypto.safety import safety_code
from vault.crypto.signed import SignedDocument, require, require_id
from vault.errors import SignatureError
from vault.model import N_

if TYPE_CHECKING:
    from vault.records.identities import Imported
    from vault.store.storage import Registry

MAGIC = "HANDOVER-IDENTITY-CARD/1"
NAMESPACE = "handover.card.v1"
BAD = N_("the identity card is damaged or not authentic")


@dataclass(frozen=True)
class Card:
    officer: str
    name: str
    grade: str | None
    age_recipient: str
    signing_key: str
    fingerprint: str

    @property
    def safety_code(self) -> str:
        return safety_code(self.signing_key, self.age_recipient)


def make(registry: Registry, officer: str | None) -> tuple[Card, bytes]:
    from vault.crypto import identities

    with registry.read() as conn:
        row = identities.own_identity(conn, registry, officer)
        body = {
            "format": 1,
            "kind": "handover-identity-card",
            "officer": {"id": row.service_id, "name": row.name, "grade": row.grade},
            "age_recipient": row.age_recipient,
            "signing_key": row.signing_key,
            "fingerprint": row.fingerprint,
            "created": row.created_at.isoformat(),
        }
        doc = SignedDocument.create(
            MAGIC, body, lambda m: identities.sign_as(conn, registry, row, NAMESPACE, m)
        )
    return _card(body), doc.to_bytes()


def _card(body: dict[str, Any]) -> Card:
    officer = require(body.get("officer"), dict, BAD)
    grade = officer.get("grade")
    return Card(
        require_id(officer.get("id"), BAD),
        require(officer.get("name"), str, BAD),
        grade if isinstance(grade, str) else None,
        require(body.get("age_recipient"), str, BAD),
        require(body.get("signing_key"), str, BAD),
        require(body.get("fingerprint"), str, BAD),
    )


def read(data: bytes) -> Card:
    """Parse a card and check its self-signature."""
    doc = SignedDocument.from_bytes(data, MAGIC, BAD)
    if doc.body.get("format") != 1 or doc.body.get("kind") != "handover-identity-card":
        raise SignatureError(BAD)
    card = _card(doc.body)
    try:
        key = sshsig.PublicKey.parse(card.signing_key)
        sshsig.verify(doc.signature, NAMESPACE, doc.message, key)
    except SignatureError:
        raise SignatureError(BAD) from None
    if key.fingerprint != card.fingerprint:
        raise SignatureError(BAD)
    return card


def import_card(
    registry: Registry, card: Card, *, confirmed: str | None, replace_reason: str | None
) -> Imported:
    """Record a card already read (:func:`read`): see
    :func:`vault.records.identities.import_public`."""
    from vault.records import identities

    return identities.import_public(
        registry,
        card.officer,
        card.name,
        card.grade,
        card.age_recipient,
        card.signing_key,
        confirmed=confirmed,
        replace_reason=replace_reason,
    )
