"""Claiming a packet into the incoming officer's registry, and the receipt that closes a handover.

A claim checks, in this order: the file's form and signature (one message for any failure), that
the signer's key is the one on record for that officer, that the packet is addressed to an
identity this registry holds, that it has not expired, that it was not claimed before; then it
decrypts, checks that the manifest repeats the signed header, and takes everything in one
transaction: the post, its accounts and re-sealed secrets, groups and history; the incoming
officer's tenure; a custody record; and a rotation deadline on every credential. The receipt,
signed by the incoming officer, goes back to the outgoing officer (or the IT cell).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handover.errors import PolicyError
from handover.packet import BAD, Header, Packet, iso, sha256
from vault.canonical import canonical
from vault.crypto import sshsig
from vault.crypto.signed import SignedDocument, require
from vault.errors import SignatureError, VaultError
from vault.model import Record

if TYPE_CHECKING:
    from vault.store.storage import Registry, Tx

RECEIPT_MAGIC = "HANDOVER-RECEIPT/1"
RECEIPT_NAMESPACE = "handover.receipt.v1"
RECEIPT_BAD = "the receipt is damaged or not authentic"
CHECKLIST = (
    "change the password of each account on the platform, then record it with "
    "'handover account rotate ACCOUNT'",
    "move 2FA to the post's official phone (and re-seal the new TOTP seed with "
    "'handover account set-totp')",
    "sign out every other session on each platform (revoke old sessions and app passwords)",
    "update the admins of the groups the post runs",
    "send the receipt back to the outgoing officer or the IT cell",
)


def _known_signer(tx: Tx, officer: str, key: sshsig.PublicKey) -> Any:
    from vault.crypto import identities
    from vault.errors import NotFoundError
    from vault.records import officers

    try:
        row = officers.row_by_service_id(tx.conn, officer)
    except NotFoundError:
        row = None
    current = identities.current(tx.conn, row.id) if row is not None else None
    if current is None:
        raise PolicyError(
            f"unknown signer {officer} (key {key.fingerprint}): confirm this fingerprint with "
            "them by phone, then import their card with 'handover officer import-card'"
        )
    if current.signing_key != key.openssh:
        raise PolicyError(
            f"signed by a key that is not on record for {officer} ({key.fingerprint}; on "
            f"record: {current.fingerprint})"
        )
    return current


def _own_recipient(tx: Tx, header: Header) -> Any:
    from vault.crypto import identities

    for row in identities.local_rows(tx.conn, tx.registry):
        if row.age_recipient == header.recipient["recipient"]:
            if row.service_id != header.recipient["officer"]:
                raise SignatureError(BAD)
            return row
    raise PolicyError(
        f"this packet is addressed to {header.recipient['officer']}, not to an officer whose "
        "identity this registry holds"
    )


def _check_manifest(manifest: Any, header: Header) -> dict[str, Any]:
    """The manifest must repeat what the signed header says, byte for byte."""
    if not isinstance(manifest, dict):
        raise SignatureError(BAD)
    repeated = ("packet_id", "created", "expires", "from", "to", "escrow")
    if any(manifest.get(k) != header.raw[k] for k in repeated):
        raise SignatureError(BAD)
    if manifest.get("format") != 1 or manifest.get("kind") != "handover-manifest":
        raise SignatureError(BAD)
    post = manifest.get("post")
    accounts = manifest.get("accounts")
    if not isinstance(post, dict) or post.get("slug") != header.post["slug"]:
        raise SignatureError(BAD)
    if not isinstance(accounts, list) or len(accounts) != header.accounts:
        raise SignatureError(BAD)
    return manifest


def _decrypt(tx: Tx, registry: Registry, own: Any, packet: Packet) -> dict[str, Any]:
    import pyrage

    from vault.crypto import identities

    keys = identities.private_keys(tx.conn, registry, own)
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


@dataclass(frozen=True)
class Claimed(Record):
    packet_id: uuid.UUID
    post: str
    sender: str
    officer: str
    accounts_added: int
    accounts_updated: int
    groups: int
    rotation_due: dt.datetime
    previous_holder: str | None
    checklist: tuple[str, ...]
    accounts: tuple[str, ...]


def claim(registry: Registry, data: bytes, *, write_receipt: Callable[[bytes], None]) -> Claimed:
    from vault.crypto import identities
    from vault.exchange import bundle
    from vault.records import custody, officers, posts, sealing
    from vault.store import settings

    packet = Packet.from_bytes(data)
    key = packet.signer_key()
    header = packet.header
    with registry.write() as tx:
        _known_signer(tx, header.sender["officer"], key)
        own = _own_recipient(tx, header)
        if tx.now > header.expires:
            raise PolicyError(
                f"this packet expired on {iso(header.expires)}; ask "
                f"{header.sender['officer']} for a new one"
            )
        earlier = custody.find(tx.conn, header.packet_id, "received")
        if earlier is not None:
            raise PolicyError(
                f"packet {header.packet_id} was already claimed on {iso(earlier.recorded_at)}"
            )
        manifest = _decrypt(tx, registry, own, packet)
        try:
            summary = bundle.import_post(tx, manifest, source=f"packet {header.packet_id}")
        except (KeyError, TypeError, ValueError, AttributeError):
            raise SignatureError(BAD) from None
        post = posts.row_by_slug(tx.conn, summary["post"])
        officer = officers.row_by_service_id(tx.conn, own.service_id)
        before = posts.holder_of(tx.conn, post.id)
        if before is None or before[0] != officer.service_id:
            start = max(tx.now.astimezone().date(), _latest_start(tx, post.id))
            officers.assign_in(tx, officer, post, start)
        days = settings.read(tx.conn, "rotation_deadline_days")
        deadline = tx.now + dt.timedelta(days=days)
        sealing.mark_rotation_due(tx, post.id, deadline, f"handover {header.packet_id}")
        custody.record(
            tx,
            packet_id=header.packet_id,
            direction="received",
            post_id=post.id,
            from_officer=header.sender["officer"],
            to_officer=own.service_id,
            packet_sha256=sha256(data),
            created_at=header.created,
            expires_at=header.expires,
            claimed_at=tx.now,
        )
        tx.log(
            "packet.claim",
            "post",
            post.id,
            post.slug,
            packet_id=header.packet_id,
            sender=header.sender["officer"],
            accounts=header.accounts,
            rotation_due=deadline,
            sha256=sha256(data),
        )
        receipt = SignedDocument.create(
            RECEIPT_MAGIC,
            {
                "format": 1,
                "kind": "handover-receipt",
                "packet_id": str(header.packet_id),
                "packet_sha256": sha256(data),
                "post": post.slug,
                "from": header.sender["officer"],
                "to": {
                    "officer": own.service_id,
                    "signing_key": own.signing_key,
                    "fingerprint": own.fingerprint,
                },
                "claimed": iso(tx.now),
                "accounts": header.accounts,
            },
            lambda m: identities.sign_as(tx.conn, registry, own, RECEIPT_NAMESPACE, m),
        )
        write_receipt(receipt.to_bytes())
        refs = tuple(f"{a['platform']}:{a['handle']}" for a in manifest["accounts"])
        checklist = CHECKLIST + tuple(
            f"the sender treats {d} as an official email domain and this registry does not: "
            f"if it is yours too, run 'handover config domains add {d}'"
            for d in _missing_domains(tx, manifest)
        )
        return Claimed(
            header.packet_id,
            post.slug,
            header.sender["officer"],
            own.service_id,
            summary["accounts_added"],
            summary["accounts_updated"],
            summary["groups"],
            deadline,
            before[0] if before else None,
            checklist,
            refs,
        )


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


def _latest_start(tx: Tx, post_id: uuid.UUID) -> dt.date:
    """A new tenure cannot start before the current one did."""
    import sqlalchemy as sa

    from vault.store import schema

    t = schema.tenures
    latest = tx.conn.execute(
        sa.select(sa.func.max(t.c.start_date)).where(t.c.post_id == post_id)
    ).scalar()
    return latest or dt.date.min


@dataclass(frozen=True)
class Receipt:
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
    return Receipt(
        packet_id,
        require(body.get("packet_sha256"), str, RECEIPT_BAD),
        require(body.get("post"), str, RECEIPT_BAD),
        require(body.get("from"), str, RECEIPT_BAD),
        require(to.get("officer"), str, RECEIPT_BAD),
        key,
        claimed,
        doc,
    )


@dataclass(frozen=True)
class Completed(Record):
    packet_id: uuid.UUID
    post: str
    outgoing: str
    incoming: str
    claimed: dt.datetime
    ended_tenure: bool
    rotation_due: dt.datetime


def record_receipt(registry: Registry, data: bytes) -> Completed:
    """Verify a receipt and close the handover: tenures change and the custody record completes.

    The credentials this registry holds for the post are marked "rotation due" by the same
    deadline the incoming officer has: until they are changed, the outgoing officer (and anyone
    who saw them here) can still use them.
    """
    from vault.records import custody, officers, posts, sealing
    from vault.store import settings

    receipt = read_receipt(data)
    with registry.write() as tx:
        _known_signer(tx, receipt.officer, receipt.key)
        post = posts.row_by_slug(tx.conn, receipt.post)
        sent = custody.find(tx.conn, receipt.packet_id, "sent")
        if sent is not None:
            if sent.packet_sha256 != receipt.packet_sha256 or sent.post_id != post.id:
                raise SignatureError(RECEIPT_BAD)
            if sent.completed_at is not None:
                raise PolicyError(
                    f"the receipt for packet {receipt.packet_id} was already "
                    f"recorded on {iso(sent.completed_at)}"
                )
        elif custody.find(tx.conn, receipt.packet_id, "witnessed") is not None:
            raise PolicyError(f"the receipt for packet {receipt.packet_id} was already recorded")
        incoming = officers.row_by_service_id(tx.conn, receipt.officer)
        holder = posts.holder_of(tx.conn, post.id)
        ended = False
        if holder is None or holder[0] != incoming.service_id:
            start = max(receipt.claimed.astimezone().date(), _latest_start(tx, post.id))
            _, previous = officers.assign_in(tx, incoming, post, start)
            ended = previous is not None
        if sent is not None:
            custody.complete(tx, sent.id, receipt.claimed, sha256(data))
        else:
            custody.record(
                tx,
                packet_id=receipt.packet_id,
                direction="witnessed",
                post_id=post.id,
                from_officer=receipt.sender,
                to_officer=receipt.officer,
                packet_sha256=receipt.packet_sha256,
                created_at=receipt.claimed,
                expires_at=receipt.claimed,
                claimed_at=receipt.claimed,
                completed_at=tx.now,
                receipt_sha256=sha256(data),
            )
        days = settings.read(tx.conn, "rotation_deadline_days")
        deadline = receipt.claimed + dt.timedelta(days=days)
        sealing.mark_rotation_due(tx, post.id, deadline, f"handover {receipt.packet_id}")
        tx.log(
            "packet.receipt",
            "post",
            post.id,
            post.slug,
            packet_id=receipt.packet_id,
            incoming=receipt.officer,
            claimed=receipt.claimed,
            rotation_due=deadline,
        )
        return Completed(
            receipt.packet_id,
            post.slug,
            receipt.sender,
            receipt.officer,
            receipt.claimed,
            ended,
            deadline,
        )


REPORT_MAGIC = "HANDOVER-ROTATION-REPORT/1"
REPORT_NAMESPACE = "handover.rotation.v1"
REPORT_BAD = "the rotation report is damaged or not authentic"


@dataclass(frozen=True)
class Reported(Record):
    post: str
    officer: str
    accounts: int
    rotated: int


def make_report(registry: Registry, post_slug: str, officer: str | None) -> tuple[Reported, bytes]:
    """A signed statement, by the post's holder, of when each credential last changed.

    The outgoing officer's or IT cell's registry learns from it that the credentials handed
    over have been rotated, which it cannot see otherwise.
    """
    import sqlalchemy as sa

    from vault.crypto import identities
    from vault.records import posts
    from vault.store import schema

    with registry.read() as conn:
        own = identities.own_identity(conn, registry, officer)
        post = posts.row_by_slug(conn, post_slug)
        holder = posts.holder_of(conn, post.id)
        if holder is None or holder[0] != own.service_id:
            raise PolicyError(
                f"{own.service_id} does not hold {post.slug}: only its holder "
                "reports on its credentials"
            )
        a = schema.accounts
        rows = conn.execute(
            sa.select(a.c.platform, a.c.handle, a.c.password_changed_at, a.c.rotation_due_at)
            .where(a.c.post_id == post.id)
            .order_by(a.c.platform, a.c.handle_key)
        )
        accounts = [
            {
                "ref": f"{r.platform}:{r.handle}",
                "password_changed_at": iso(r.password_changed_at)
                if r.password_changed_at
                else None,
                "rotation_due": r.rotation_due_at is not None,
            }
            for r in rows
        ]
        body = {
            "format": 1,
            "kind": "handover-rotation-report",
            "post": post.slug,
            "officer": {
                "officer": own.service_id,
                "signing_key": own.signing_key,
                "fingerprint": own.fingerprint,
            },
            "reported": iso(registry.clock()),
            "accounts": accounts,
        }
        doc = SignedDocument.create(
            REPORT_MAGIC,
            body,
            lambda m: identities.sign_as(conn, registry, own, REPORT_NAMESPACE, m),
        )
    rotated = sum(1 for x in accounts if not x["rotation_due"])
    return Reported(post.slug, own.service_id, len(accounts), rotated), doc.to_bytes()


def record_report(registry: Registry, data: bytes) -> Reported:
    """Take in a holder's rotation report: accounts it shows rotated lose their mark here, and
    the stale password this registry still holds for them is dropped."""

    from vault.records import accounts, posts
    from vault.store import schema

    doc = SignedDocument.from_bytes(data, REPORT_MAGIC, REPORT_BAD)
    body = doc.body
    signer = require(body.get("officer"), dict, REPORT_BAD)
    entries = require(body.get("accounts"), list, REPORT_BAD)
    try:
        key = sshsig.PublicKey.parse(require(signer.get("signing_key"), str, REPORT_BAD))
        sshsig.verify(doc.signature, REPORT_NAMESPACE, doc.message, key)
    except SignatureError:
        raise SignatureError(REPORT_BAD) from None
    officer = require(signer.get("officer"), str, REPORT_BAD)
    with registry.write() as tx:
        _known_signer(tx, officer, key)
        post = posts.row_by_slug(tx.conn, require(body.get("post"), str, REPORT_BAD))
        holder = posts.holder_of(tx.conn, post.id)
        if holder is None or holder[0] != officer:
            raise PolicyError(
                f"{officer} does not hold {post.slug} in this registry: record their receipt first"
            )
        a = schema.accounts
        rotated = 0
        for item in entries:
            entry = require(item, dict, REPORT_BAD)
            changed = entry.get("password_changed_at")
            if entry.get("rotation_due") or not isinstance(changed, str):
                continue
            try:
                row = accounts.row_by_ref(tx.conn, require(entry.get("ref"), str, REPORT_BAD))
                when = dt.datetime.fromisoformat(changed)
            except (ValueError, VaultError):
                continue
            if row.post_id != post.id or row.rotation_due_at is None:
                continue
            tx.conn.execute(
                a.update()
                .where(a.c.id == row.id)
                .values(
                    rotation_due_at=None,
                    rotation_reason=None,
                    password_changed_at=when,
                    password_sealed=None,
                    updated_at=tx.now,
                )
            )
            tx.log(
                "credential.rotated",
                "account",
                row.id,
                accounts.ref_of(row),
                reported_by=officer,
                changed=when,
            )
            rotated += 1
        tx.log(
            "packet.rotation-report", "post", post.id, post.slug, officer=officer, rotated=rotated
        )
        return Reported(post.slug, officer, len(entries), rotated)
