"""Claiming a packet, witnessing one, and the receipts and rotation reports that answer it: the
protocol side (reading, verifying, decrypting, signing). What the registry records, and who may
make it record it, is :mod:`vault.exchange.handovers` and :mod:`vault.records.authority`.

A claim checks, in this order: the file's form and signature (one message for any failure); that
the signer's key is the one on record for that officer; that it lives at most 90 days, is not
dated in the future and has not expired; that the packet is addressed to an identity this
registry holds; that it was not claimed before; that its signer was entitled by this registry's
records, and that it is not older than a handover of the post this registry already has. Then it
decrypts, checks that the manifest repeats the signed header, that it carries only the post's
official accounts and none this registry holds as personal or another post's, and takes
everything in one transaction. The receipt, signed by the incoming officer, goes back to the
outgoing officer or the IT cell.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from handover.packet import BAD, Header, Packet, iso, sha256
from vault.canonical import canonical
from vault.crypto import sshsig
from vault.crypto.signed import SignedDocument, require, require_id
from vault.errors import SignatureError
from vault.model import N_

if TYPE_CHECKING:
    from vault.exchange.handovers import Claimed, Completed, Reported, ReportFacts, Witnessed
    from vault.records.custody import PacketFacts
    from vault.store.storage import Registry, Tx

RECEIPT_MAGIC = "HANDOVER-RECEIPT/1"
RECEIPT_NAMESPACE = "handover.receipt.v1"
RECEIPT_BAD = N_("the receipt is damaged or not authentic")
REPORT_MAGIC = "HANDOVER-ROTATION-REPORT/2"
REPORT_MAGIC_V1 = "HANDOVER-ROTATION-REPORT/1"
REPORT_NAMESPACE = "handover.rotation.v1"
REPORT_BAD = N_("the rotation report is damaged or not authentic")
REPEATED = ("packet_id", "created", "expires", "from", "to", "escrow")
REPEATED_V2 = (*REPEATED, "capacity", "reason", "sequence", "previous")


def _check_manifest(manifest: Any, header: Header) -> dict[str, Any]:
    """The manifest must repeat what the signed header says, byte for byte."""
    if type(manifest) is not dict:
        raise SignatureError(BAD)
    repeated = REPEATED_V2 if header.format >= 2 else REPEATED
    if any(k not in manifest or manifest[k] != header.raw[k] for k in repeated):
        raise SignatureError(BAD)
    if manifest.get("format") != header.format or manifest.get("kind") != "handover-manifest":
        raise SignatureError(BAD)
    post = manifest.get("post")
    accounts = manifest.get("accounts")
    if type(post) is not dict or post.get("slug") != header.post["slug"]:
        raise SignatureError(BAD)
    if type(accounts) is not list or len(accounts) != header.accounts:
        raise SignatureError(BAD)
    if not all(type(a) is dict for a in accounts):
        raise SignatureError(BAD)
    return manifest


def _decrypt(tx: Tx, own: Any, packet: Packet) -> dict[str, Any]:
    import pyrage

    from vault.crypto import identities

    keys = identities.private_keys(tx.conn, tx.registry, own)
    try:
        plain = pyrage.decrypt(
            packet.age_block, [pyrage.x25519.Identity.from_str(keys.age_identity)]
        )
        manifest = json.loads(plain)
        if canonical(manifest) != plain:
            raise SignatureError(BAD)
    except (pyrage.DecryptError, ValueError, UnicodeDecodeError, TypeError, RecursionError):
        raise SignatureError(BAD) from None
    return _check_manifest(manifest, packet.header)


def read_packet(data: bytes) -> tuple[Packet, PacketFacts]:
    """A packet whose signature verifies, and what its header says."""
    packet = Packet.from_bytes(data)
    packet.signer_key()
    return packet, packet.facts(sha256(data))


def _receipt(tx: Tx, facts: PacketFacts, own: Any, claimed: dt.datetime) -> bytes:
    """The receipt of a claim, signed by the claimant. Ed25519 signatures are deterministic, so
    the same claim always gives the same bytes: a receipt lost after the claim committed is
    issued again, identical."""
    from vault.crypto import identities

    receipt = SignedDocument.create(
        RECEIPT_MAGIC,
        {
            "format": 1,
            "kind": "handover-receipt",
            "packet_id": str(facts.packet_id),
            "packet_sha256": facts.sha256,
            "post": facts.post,
            "from": facts.sender,
            "to": {
                "officer": own.service_id,
                "signing_key": own.signing_key,
                "fingerprint": own.fingerprint,
            },
            "claimed": iso(claimed),
            "accounts": facts.accounts,
        },
        lambda m: identities.sign_as(tx.conn, tx.registry, own, RECEIPT_NAMESPACE, m),
    )
    return receipt.to_bytes()


def claim(registry: Registry, data: bytes, *, write_receipt: Callable[[bytes], None]) -> Claimed:
    """Claim a packet, then write its receipt: only once the claim has committed, so that no
    receipt ever vouches for a claim that did not happen. A packet this registry claimed before
    gets its receipt written again (the same bytes), so a receipt lost to a crash or a full disk
    is never lost for good."""
    from vault.exchange import handovers

    packet, facts = read_packet(data)
    with registry.write() as tx:
        again = handovers.claimed_before(tx, facts)
        if again is not None:
            receipt_bytes = _receipt(tx, facts, again.identity, again.claimed_at)
            if sha256(receipt_bytes) != again.receipt_sha256:
                raise SignatureError(RECEIPT_BAD)
            claimed = again.result
        else:
            own = handovers.admit_claim(tx, facts)
            tx.act_as(own.service_id)
            manifest = _decrypt(tx, own, packet)
            receipt_bytes = _receipt(tx, facts, own, tx.now)
            try:
                claimed = handovers.take_in(tx, facts, manifest, own, sha256(receipt_bytes))
            except (KeyError, TypeError, ValueError, AttributeError):
                raise SignatureError(BAD) from None
            checklist = claimed.checklist + tuple(
                f"the sender treats {d} as an official email domain and this registry does "
                f"not: if it is yours too, run 'handover config domains add {d}'"
                for d in _missing_domains(tx, manifest)
            )
            claimed = claimed._replace(checklist=checklist)
    write_receipt(receipt_bytes)
    return claimed


def witness(registry: Registry, data: bytes) -> Witnessed:
    """Record a packet made elsewhere (a holder's own registry), checked against this registry's
    records of who may sign for the post, so that its receipt can be recorded here."""
    from vault.exchange import handovers

    packet, facts = read_packet(data)
    with registry.write() as tx:
        return handovers.witness(tx, facts, packet.age_block.decode("ascii"))


def _missing_domains(tx: Tx, manifest: dict[str, Any]) -> list[str]:
    """Email domains official for the sender, used by the post's accounts, unknown here.

    They are named, not added: which domains count as official is this registry's decision.
    """
    from vault.records import contacts

    theirs = manifest.get("official_domains")
    if not isinstance(theirs, list):
        return []
    local = contacts.load_official(tx.conn)
    used = {
        contacts.email_domain(str(a.get(f)))
        for a in manifest["accounts"]
        for f in ("login_email", "recovery_email")
        if a.get(f)
    }
    return sorted(
        d
        for d in theirs
        if isinstance(d, str)
        and not local.email_is_official(f"x@{d}")
        and any(u == d or u.endswith("." + d) for u in used)
    )


class Receipt(NamedTuple):
    packet_id: uuid.UUID
    packet_sha256: str
    post: str
    sender: str
    officer: str
    key: sshsig.PublicKey
    claimed: dt.datetime
    document: SignedDocument


def read_receipt(data: bytes) -> Receipt:
    doc = SignedDocument.from_bytes(data, RECEIPT_MAGIC, RECEIPT_BAD)
    body = doc.body
    if body.get("format") != 1 or body.get("kind") != "handover-receipt":
        raise SignatureError(RECEIPT_BAD)
    to = require(body.get("to"), dict, RECEIPT_BAD)
    try:
        key = sshsig.PublicKey.parse(require(to.get("signing_key"), str, RECEIPT_BAD))
        sshsig.verify(doc.signature, RECEIPT_NAMESPACE, doc.message, key)
        claimed = dt.datetime.fromisoformat(require(body.get("claimed"), str, RECEIPT_BAD))
        packet_id = uuid.UUID(require(body.get("packet_id"), str, RECEIPT_BAD))
    except (SignatureError, ValueError):
        raise SignatureError(RECEIPT_BAD) from None
    if (
        claimed.tzinfo is None
        or require(to.get("fingerprint"), str, RECEIPT_BAD) != key.fingerprint
    ):
        raise SignatureError(RECEIPT_BAD)
    return Receipt(
        packet_id,
        require(body.get("packet_sha256"), str, RECEIPT_BAD),
        require_id(body.get("post"), RECEIPT_BAD),
        require_id(body.get("from"), RECEIPT_BAD),
        require_id(to.get("officer"), RECEIPT_BAD),
        key,
        claimed,
        doc,
    )


def record_receipt(registry: Registry, data: bytes) -> Completed:
    """Verify a receipt and close the handover it answers (see
    :func:`vault.exchange.handovers.receipt`)."""
    from vault.exchange import handovers

    found = read_receipt(data)
    with registry.write() as tx:
        return handovers.receipt(
            tx,
            handovers.ReceiptFacts(
                found.packet_id,
                found.packet_sha256,
                found.post,
                found.sender,
                found.officer,
                found.key,
                found.claimed,
                sha256(data),
            ),
        )


def make_report(registry: Registry, post_slug: str, officer: str | None) -> tuple[Reported, bytes]:
    """A signed statement, by the post's holder, of what they did with the post's accounts:
    when each credential changed, and every fact they changed (contacts, 2FA, verification).

    The new secrets go with it only inside an escrow copy, encrypted to the department's escrow
    recipients (those the claimed packet named): the IT cell keeps a recoverable copy it cannot
    read without the escrow identity from its safe.
    """
    from vault.crypto import escrow, identities
    from vault.errors import AuthorityError
    from vault.exchange import bundle, handovers
    from vault.records import custody, escrowed, posts

    with registry.read() as conn:
        own = identities.own_identity(conn, registry, officer)
        post = posts.row_by_slug(conn, post_slug)
        holder = posts.holder_of(conn, post.id)
        if holder is None or holder[0] != own.service_id:
            raise AuthorityError(
                f"{own.service_id} does not hold {post.slug}: only its holder "
                "reports on its credentials"
            )
        rows = bundle.official_accounts(conn, post.id)
        entries = [
            {**bundle.account_facts(conn, r), "rotation_due": r.rotation_due_at is not None}
            for r in rows
        ]
        recipients = custody.department_escrow(conn, post.id)
        copy = None
        if recipients:
            document = escrowed.copy_document(
                post.slug,
                [(r.platform, r.handle, bundle.account_secrets(conn, registry, r)) for r in rows],
            )
            copy = escrow.encrypt(canonical(document), recipients)
        body = {
            "format": 2,
            "kind": "handover-rotation-report",
            "post": post.slug,
            "officer": {
                "officer": own.service_id,
                "signing_key": own.signing_key,
                "fingerprint": own.fingerprint,
            },
            "reported": iso_micro(registry.clock()),
            "accounts": entries,
            "escrow": {"recipients": recipients, "copy": copy},
        }
        doc = SignedDocument.create(
            REPORT_MAGIC,
            body,
            lambda m: identities.sign_as(conn, registry, own, REPORT_NAMESPACE, m),
        )
    rotated = sum(1 for x in entries if not x["rotation_due"])
    made = handovers.Reported(
        post.slug, own.service_id, len(entries), rotated, len(entries), copy is not None
    )
    return made, doc.to_bytes()


def iso_micro(value: dt.datetime) -> str:
    """A report's time to the microsecond: two reports of one day must still be ordered."""
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _report_entries(body: dict[str, Any], fmt: int) -> list[dict[str, Any]]:
    entries = require(body.get("accounts"), list, REPORT_BAD)
    if fmt >= 2:
        return [require(e, dict, REPORT_BAD) for e in entries]
    converted = []
    for item in entries:
        entry = require(item, dict, REPORT_BAD)
        platform, _, handle = require(entry.get("ref"), str, REPORT_BAD).partition(":")
        changed = entry.get("password_changed_at")
        converted.append(
            {
                "platform": platform,
                "handle": handle,
                "rotation_due": bool(entry.get("rotation_due")) or type(changed) is not str,
                "changed": {"password_changed_at": changed} if type(changed) is str else {},
            }
        )
    return converted


def read_report(data: bytes) -> ReportFacts:
    """Parse a rotation report (format 2, or 1) and check its signature against the key it
    names; whether that key may report is the registry's check."""
    from vault.exchange import handovers

    fmt = 1 if data.startswith(REPORT_MAGIC_V1.encode() + b"\n") else 2
    doc = SignedDocument.from_bytes(data, REPORT_MAGIC_V1 if fmt == 1 else REPORT_MAGIC, REPORT_BAD)
    body = doc.body
    if body.get("format") != fmt or body.get("kind") != "handover-rotation-report":
        raise SignatureError(REPORT_BAD)
    signer = require(body.get("officer"), dict, REPORT_BAD)
    try:
        key = sshsig.PublicKey.parse(require(signer.get("signing_key"), str, REPORT_BAD))
        sshsig.verify(doc.signature, REPORT_NAMESPACE, doc.message, key)
        reported = dt.datetime.fromisoformat(require(body.get("reported"), str, REPORT_BAD))
    except (SignatureError, ValueError):
        raise SignatureError(REPORT_BAD) from None
    if reported.tzinfo is None:
        raise SignatureError(REPORT_BAD)
    recipients: list[str] = []
    copy = None
    if fmt >= 2:
        held = require(body.get("escrow"), dict, REPORT_BAD)
        recipients = require(held.get("recipients"), list, REPORT_BAD)
        copy = held.get("copy")
        if copy is not None:
            require(copy, str, REPORT_BAD)
    return handovers.ReportFacts(
        require_id(body.get("post"), REPORT_BAD),
        require_id(signer.get("officer"), REPORT_BAD),
        key,
        reported,
        sha256(data),
        _report_entries(body, fmt),
        [require(r, str, REPORT_BAD) for r in recipients],
        copy,
    )


def record_report(registry: Registry, data: bytes) -> Reported:
    """Take in a holder's rotation report (see :func:`vault.exchange.handovers.report`)."""
    from vault.exchange import handovers

    facts = read_report(data)
    with registry.write() as tx:
        try:
            return handovers.report(tx, facts)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise SignatureError(REPORT_BAD) from None


def is_report(data: bytes) -> bool:
    return data.startswith((REPORT_MAGIC.encode(), REPORT_MAGIC_V1.encode()))
