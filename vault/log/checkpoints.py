"""Signed checkpoints of the event log: "this registry's log had N entries ending in hash H".

A checkpoint is signed with the registry owner's Ed25519 key (SSHSIG, namespace
``handover.checkpoint.v1``), kept in the registry and exported to a file that the IT cell keeps
outside the database. Against a checkpoint, ``log verify`` detects what the hash chain alone cannot:
a log cut short after the checkpoint, or a history rewritten from its first entry on.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any, NamedTuple

from vault.crypto import sshsig
from vault.crypto.signed import SignedDocument, require
from vault.errors import InvalidInputError, SignatureError
from vault.log.verify import Checkpoint, Verification, verify_chain
from vault.model import N_, as_dict
from vault.store import journal, reads, settings

if TYPE_CHECKING:
    from vault.store.storage import Registry

# Verifying reads through vault.store.reads (no SQLAlchemy on SQLite); making a checkpoint
# imports what writing and signing need.

MAGIC = "HANDOVER-LOG-CHECKPOINT/1"
NAMESPACE = "handover.checkpoint.v1"
BAD = N_("the checkpoint is damaged or not authentic")


class Signed(NamedTuple):
    registry_id: str
    size: int
    head: str
    signer: str
    fingerprint: str
    created: str

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def _body(registry_id: str, head: journal.Head, row: Any, now: dt.datetime) -> dict[str, Any]:
    return {
        "format": 1,
        "kind": "handover-log-checkpoint",
        "registry_id": registry_id,
        "size": head.size,
        "head": head.hash,
        "created": now.isoformat(),
        "signer": {
            "officer": row.service_id,
            "signing_key": row.signing_key,
            "fingerprint": row.fingerprint,
        },
    }


def make(registry: Registry, officer: str | None) -> tuple[Signed, bytes]:
    """Sign the log's current size and head; store the checkpoint and return its file bytes."""
    from vault.crypto import identities
    from vault.store import schema

    with registry.write() as tx:
        row = identities.own_identity(tx.conn, registry, officer)
        head = journal.head(tx.conn)
        registry_id = str(settings.read(tx.conn, "registry_id"))
        doc = SignedDocument.create(
            MAGIC,
            _body(registry_id, head, row, tx.now),
            lambda m: identities.sign_as(tx.conn, registry, row, NAMESPACE, m),
        )
        tx.conn.execute(
            schema.checkpoints.insert().values(
                id=uuid.uuid4(),
                size=head.size,
                head_hash=head.hash,
                signer=row.service_id,
                fingerprint=row.fingerprint,
                signature=doc.to_bytes().decode(),
                created_at=tx.now,
            )
        )
        tx.log(
            "log.checkpoint",
            "log",
            None,
            None,
            size=head.size,
            head=head.hash,
            signer=row.service_id,
        )
        return _signed(doc), doc.to_bytes()


def _signed(doc: SignedDocument) -> Signed:
    body = doc.body
    signer = require(body.get("signer"), dict, BAD)
    size = body.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise SignatureError(BAD)
    return Signed(
        require(body.get("registry_id"), str, BAD),
        size,
        require(body.get("head"), str, BAD),
        require(signer.get("officer"), str, BAD),
        require(signer.get("fingerprint"), str, BAD),
        require(body.get("created"), str, BAD),
    )


def read(data: bytes) -> tuple[Signed, sshsig.PublicKey]:
    """Parse a checkpoint and check its signature against the key it names."""
    doc = SignedDocument.from_bytes(data, MAGIC, BAD)
    if doc.body.get("format") != 1 or doc.body.get("kind") != "handover-log-checkpoint":
        raise SignatureError(BAD)
    signed = _signed(doc)
    signer = doc.body["signer"]
    try:
        key = sshsig.PublicKey.parse(require(signer.get("signing_key"), str, BAD))
        sshsig.verify(doc.signature, NAMESPACE, doc.message, key)
    except SignatureError:
        raise SignatureError(BAD) from None
    if key.fingerprint != signed.fingerprint:
        raise SignatureError(BAD)
    return signed, key


def _trusted(conn: Any, signed: Signed, key: sshsig.PublicKey) -> None:
    """The signer's key must be one this registry has on record for that officer, current or
    retired (a checkpoint outlives a change of keys)."""
    if key.openssh not in reads.scalars(conn, "signing_keys_of", service_id=signed.signer):
        raise SignatureError(
            f"the checkpoint is signed by {signed.signer} with a key not on "
            f"record here ({signed.fingerprint})"
        )


def gather(conn: Any, files: list[bytes]) -> list[Checkpoint]:
    """Every checkpoint to hold the log against: the registry's own and the files given.

    Each one's signature is checked first: a checkpoint an attacker could forge proves nothing.
    """
    registry_id = str(settings.read(conn, "registry_id"))
    found: list[Checkpoint] = []
    for row in reads.rows(conn, "stored_checkpoints"):
        signed, key = read(row.signature.encode())
        _trusted(conn, signed, key)
        if (signed.size, signed.head) != (row.size, row.head_hash):
            raise SignatureError(BAD)
        found.append(Checkpoint(signed.size, signed.head, f"of {signed.created} (in the registry)"))
    for data in files:
        signed, key = read(data)
        if signed.registry_id != registry_id:
            raise InvalidInputError(N_("the checkpoint file belongs to another registry"))
        _trusted(conn, signed, key)
        found.append(Checkpoint(signed.size, signed.head, f"of {signed.created} (file)"))
    return found


def verify(registry: Registry, files: list[bytes]) -> Verification:
    with registry.reads() as db:
        return verify_chain(db, gather(db, files))
