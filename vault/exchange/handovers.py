"""Taking a handover into this registry: a claimed packet, a receipt, a packet witnessed, a rotation
report. Parsing, signatures and decryption are the packet protocol's (``handover``); what this
registry records, and whether the document's signer had the right to make it record it
(:mod:`vault.records.authority`), is decided here, in one transaction each.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from vault.crypto import escrow, identities, postkeys, sshsig
from vault.crypto.safety import safety_code
from vault.errors import AuthorityError, NotFoundError, SignatureError
from vault.exchange import bundle
from vault.model import N_, AccountRef, as_dict, parse_platform
from vault.records import authority, custody, escrowed, officers, posts
from vault.records.custody import PacketFacts
from vault.records.sealing import mark_rotation_due
from vault.store import journal, queries, schema, settings

if TYPE_CHECKING:
    from vault.store.storage import Tx

CHECKLIST = (
    N_(
        "change the password of each account on the platform, then record it with "
        "'handover account rotate ACCOUNT'"
    ),
    N_(
        "move 2FA to the post's official phone (and re-seal the new TOTP seed with "
        "'handover account set-totp')"
    ),
    N_("sign out every other session on each platform (revoke old sessions and app passwords)"),
    N_("update the admins of the groups the post runs"),
    N_("send the receipt back to the outgoing officer or the IT cell"),
)
# On the charge report, when someone holds a page role in person: the claim names each change.
ROLES_ITEM = N_(
    "remove the relieved officer's page roles (under Page roles above) and give yourself the "
    "same, then record it with 'handover account role end' and 'add'"
)


def _deadline(tx: Tx, since: dt.datetime) -> dt.datetime:
    return since + dt.timedelta(days=settings.read(tx.conn, "rotation_deadline_days"))


def _latest_start(tx: Tx, post_id: uuid.UUID) -> dt.date:
    """A new tenure cannot start before the current one did."""
    t = schema.tenures
    latest = tx.conn.execute(
        sa.select(sa.func.max(t.c.start_date)).where(t.c.post_id == post_id)
    ).scalar()
    return latest or dt.date.min


def _keep_escrow_copy(
    tx: Tx, post_id: uuid.UUID, source: str, digest: str, made_at: dt.datetime, made_by: str,
    recipients: list[str] | tuple[str, ...], ciphertext: str | None,
) -> bool:  # fmt: skip
    """Keep a copy encrypted to this registry's escrow (others' escrow copies are useless here)."""
    if ciphertext is None or not set(recipients) & set(escrow.recipients(tx.conn)):
        return False
    return escrowed.keep_copy(tx, post_id, source, digest, made_at, made_by, ciphertext)


def admit_claim(tx: Tx, facts: PacketFacts) -> Any:
    """Everything a claim checks before anything is decrypted; returns the identity here that
    the packet is addressed to."""
    if facts.format < 2:
        raise AuthorityError(
            N_(
                "this packet was made by an older handover (format 1, without the signer's "
                "capacity and the post's handover chain): ask the sender for a new packet"
            )
        )
    authority.known_signer(tx.conn, facts.sender, sshsig.PublicKey.parse(facts.sender_key))
    authority.check_times(tx.registry, facts.created, facts.expires)
    own = _own_recipient(tx, facts)
    earlier = custody.find(tx.conn, facts.packet_id, "received")
    if earlier is not None:
        raise AuthorityError(
            f"packet {facts.packet_id} was already claimed on {journal.iso(earlier.recorded_at)}"
        )
    authority.check_claim(tx.conn, facts)
    return own


def _own_recipient(tx: Tx, facts: PacketFacts) -> Any:
    for row in identities.local_rows(tx.conn, tx.registry):
        if row.fingerprint == facts.recipient_fingerprint or (
            facts.recipient_fingerprint is None and row.service_id == facts.recipient
        ):
            if row.service_id != facts.recipient:
                raise SignatureError(N_("the packet is damaged or not authentic"))
            return row
    raise AuthorityError(
        f"this packet is addressed to {facts.recipient}, not to an officer whose identity this "
        "registry holds"
    )


class Claimed(NamedTuple):
    packet_id: uuid.UUID
    post: str
    sender: str
    sender_safety_code: str
    capacity: str
    reason: str | None
    officer: str
    accounts_added: int
    accounts_updated: int
    groups: int
    rotation_due: dt.datetime
    previous_holder: str | None
    checklist: tuple[str, ...]
    accounts: tuple[str, ...]
    claimed_before: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class ClaimedBefore(NamedTuple):
    """A packet this registry has claimed already: what its receipt is made from again."""

    identity: Any
    claimed_at: dt.datetime
    receipt_sha256: str | None
    result: Claimed


def _sender_code(tx: Tx, officer: str) -> str:
    signer = identities.current(tx.conn, officers.row_by_service_id(tx.conn, officer).id)
    return safety_code(signer.signing_key, signer.age_recipient)


def claimed_before(tx: Tx, facts: PacketFacts) -> ClaimedBefore | None:
    """The earlier claim of this very packet (same bytes) here, if there was one."""
    record = custody.find(tx.conn, facts.packet_id, "received")
    if record is None or record.packet_sha256 != facts.sha256 or record.claimed_at is None:
        return None
    i = schema.identities
    own = tx.conn.execute(
        queries.identity_rows().where(i.c.fingerprint == record.to_fingerprint)
    ).first()
    if own is None:
        return None
    result = Claimed(
        facts.packet_id,
        facts.post,
        facts.sender,
        _sender_code(tx, facts.sender),
        facts.capacity,
        facts.reason,
        own.service_id,
        0,
        0,
        0,
        _deadline(tx, record.claimed_at),
        None,
        CHECKLIST,
        (),
        record.claimed_at,
    )
    return ClaimedBefore(own, record.claimed_at, record.receipt_sha256, result)


def _take_tenure(tx: Tx, officer: Any, post: Any) -> tuple[str, str] | None:
    """Make the claimant the post's holder (unless he is already); returns the holder before."""
    before = posts.holder_of(tx.conn, post.id)
    if before is None or before[0] != officer.service_id:
        start = max(tx.now.astimezone().date(), _latest_start(tx, post.id))
        officers.assign_in(tx, officer, post, start)
    return before


def take_in(
    tx: Tx, facts: PacketFacts, manifest: dict[str, Any], own: Any, receipt_sha256: str
) -> Claimed:
    """Write a checked and opened packet into this registry: the post, its official accounts
    and their secrets, groups and history; the claimant's tenure; rotation marks; custody."""
    authority.check_accounts(tx.conn, facts.post, manifest["accounts"])
    officer = officers.row_by_service_id(tx.conn, own.service_id)
    here = authority.post_here(tx.conn, facts.post)
    shared = here is not None and postkeys.per_post(tx.conn)
    old_key = None
    if shared:
        # The claimant becomes the holder first, so that the post's new key is wrapped to him
        # and the packet's secrets are sealed under it.
        before = _take_tenure(tx, officer, here)
        old_key = postkeys.rekey_for_claim(tx, here.id, f"handover {facts.packet_id}")
    summary = bundle.import_post(tx, manifest, source=f"packet {facts.packet_id}")
    post = posts.row_by_slug(tx.conn, summary["post"])
    if not shared:
        before = _take_tenure(tx, officer, post)
    if old_key is not None:
        postkeys.require_resealed(tx, post.id, old_key)
    deadline = _deadline(tx, tx.now)
    mark_rotation_due(tx, post.id, deadline, f"handover {facts.packet_id}")
    custody.record_packet(
        tx, facts, "received", post.id, claimed_at=tx.now, receipt_sha256=receipt_sha256
    )
    tx.log(
        "packet.claim",
        "post",
        post.id,
        post.slug,
        packet_id=facts.packet_id,
        sender=facts.sender,
        capacity=facts.capacity,
        reason=facts.reason,
        sequence=facts.sequence,
        accounts=facts.accounts,
        rotation_due=deadline,
        sha256=facts.sha256,
    )
    refs = tuple(f"{a['platform']}:{a['handle']}" for a in manifest["accounts"])
    return Claimed(
        facts.packet_id,
        post.slug,
        facts.sender,
        _sender_code(tx, facts.sender),
        facts.capacity,
        facts.reason,
        own.service_id,
        summary["accounts_added"],
        summary["accounts_updated"],
        summary["groups"],
        deadline,
        before[0] if before else None,
        CHECKLIST + _role_changes(manifest["accounts"], own.service_id),
        refs,
    )


def _role_changes(accounts: list[dict[str, Any]], incoming: str) -> tuple[str, ...]:
    """The page roles the packet says others hold in person on the post's pages, each a change
    for the incoming officer to make on the platform. Read from the packet, not this registry,
    so that a holder this registry has never heard of is named too."""
    return tuple(
        f"on {account['platform']}:{account['handle']}, remove {role['holder']} as "
        f"{role['role']} and make yourself {role['role']}; then record it: "
        "handover account role end / add"
        for account in accounts
        for role in account.get("roles", ())
        if role.get("until") is None
        and not str(role["holder"]).startswith("post:")
        and role["holder"] != incoming
    )


class Witnessed(NamedTuple):
    packet_id: uuid.UUID
    post: str
    sender: str
    recipient: str
    capacity: str
    sequence: int | None
    escrow_copy: bool

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def witness(tx: Tx, facts: PacketFacts, ciphertext: str) -> Witnessed:
    """Record a packet made in another registry, whose signer this registry finds entitled, so
    that its receipt can be recorded here and its escrow copy kept."""
    authority.known_signer(tx.conn, facts.sender, sshsig.PublicKey.parse(facts.sender_key))
    post = posts.row_by_slug(tx.conn, facts.post)
    if custody.find_any(tx.conn, facts.packet_id, ("sent", "witnessed")) is not None:
        raise AuthorityError(f"packet {facts.packet_id} is already on record here")
    authority.check_witness(tx.conn, facts, post)
    custody.record_packet(tx, facts, "witnessed", post.id)
    kept = _keep_escrow_copy(
        tx, post.id, "packet", facts.sha256, facts.created, facts.sender, facts.escrow, ciphertext
    )
    tx.log(
        "packet.witness",
        "post",
        post.id,
        post.slug,
        packet_id=facts.packet_id,
        sender=facts.sender,
        recipient=facts.recipient,
        capacity=facts.capacity,
        reason=facts.reason,
        sequence=facts.sequence,
        sha256=facts.sha256,
        escrow_copy=kept,
    )
    return Witnessed(
        facts.packet_id,
        post.slug,
        facts.sender,
        facts.recipient,
        facts.capacity,
        facts.sequence,
        kept,
    )


class ReceiptFacts(NamedTuple):
    packet_id: uuid.UUID
    packet_sha256: str
    post: str
    sender: str
    officer: str
    key: sshsig.PublicKey
    claimed: dt.datetime
    sha256: str


class Completed(NamedTuple):
    packet_id: uuid.UUID
    post: str
    outgoing: str
    incoming: str
    claimed: dt.datetime
    ended_tenure: bool
    rotation_due: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def receipt(tx: Tx, facts: ReceiptFacts) -> Completed:
    """Close a handover: the packet's recipient has claimed it. Tenures change, custody
    completes, and the post's credentials here are due for rotation: until they are changed, the
    outgoing officer (and anyone who saw them here) can still use them."""
    authority.known_signer(tx.conn, facts.officer, facts.key)
    record = authority.packet_of_receipt(tx.conn, facts.packet_id)
    post = posts.row_by_slug(tx.conn, facts.post)
    if record.packet_sha256 != facts.packet_sha256 or record.post_id != post.id:
        raise SignatureError(N_("the receipt is damaged or not authentic"))
    authority.check_receipt_signer(tx.conn, record, facts.officer, facts.key)
    if record.completed_at is not None:
        raise AuthorityError(
            f"the receipt for packet {facts.packet_id} was already recorded on "
            f"{journal.iso(record.completed_at)}"
        )
    incoming = officers.row_by_service_id(tx.conn, facts.officer)
    holder = posts.holder_of(tx.conn, post.id)
    ended = False
    if holder is None or holder[0] != incoming.service_id:
        start = max(facts.claimed.astimezone().date(), _latest_start(tx, post.id))
        _, previous = officers.assign_in(tx, incoming, post, start)
        ended = previous is not None
    custody.complete(tx, record.id, facts.claimed, facts.sha256)
    deadline = _deadline(tx, facts.claimed)
    mark_rotation_due(tx, post.id, deadline, f"handover {facts.packet_id}")
    tx.log(
        "packet.receipt",
        "post",
        post.id,
        post.slug,
        packet_id=facts.packet_id,
        incoming=facts.officer,
        claimed=facts.claimed,
        rotation_due=deadline,
    )
    return Completed(
        facts.packet_id,
        post.slug,
        record.from_officer,
        facts.officer,
        facts.claimed,
        ended,
        deadline,
    )


class ReportFacts(NamedTuple):
    post: str
    officer: str
    key: sshsig.PublicKey
    reported: dt.datetime
    sha256: str
    entries: list[dict[str, Any]]
    escrow_recipients: list[str]
    escrow_copy: str | None


class Reported(NamedTuple):
    post: str
    officer: str
    accounts: int
    rotated: int
    applied: int
    escrowed: bool

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def report(tx: Tx, facts: ReportFacts) -> Reported:
    """Take in a holder's rotation report: what the new holder changed (contacts, 2FA,
    verification) becomes this registry's record too; credentials rotated lose their mark here,
    the stale copy this registry held is dropped, and the escrow copy (when the report was
    encrypted to this registry's escrow) is kept, so the department can still recover them."""
    authority.known_signer(tx.conn, facts.officer, facts.key)
    post = posts.row_by_slug(tx.conn, facts.post)
    authority.check_report(tx.conn, post, facts.officer, facts.reported, facts.sha256)
    kept = _keep_escrow_copy(
        tx,
        post.id,
        "report",
        facts.sha256,
        facts.reported,
        facts.officer,
        facts.escrow_recipients,
        facts.escrow_copy,
    )
    a = schema.accounts
    rotated = applied = 0
    for entry in facts.entries:
        if not entry.get("rotation_due"):
            rotated += 1
        try:
            ref = AccountRef(parse_platform(entry["platform"]), entry["handle"])
        except (KeyError, TypeError, ValueError, NotFoundError) as exc:
            raise SignatureError(N_("the rotation report is damaged or not authentic")) from exc
        row = tx.conn.execute(
            sa.select(a).where(a.c.platform == ref.platform.value, a.c.handle_key == ref.key)
        ).first()
        if row is None or row.post_id != post.id:
            continue
        bundle.apply_account_facts(tx, row.id, entry)
        applied += 1
        if entry.get("rotation_due") or row.rotation_due_at is None:
            continue
        tx.conn.execute(
            a.update()
            .where(a.c.id == row.id)
            .values(
                rotation_due_at=None,
                rotation_reason=None,
                password_sealed=None,
                escrowed_by=facts.officer if kept else None,
                updated_at=tx.now,
            )
        )
        tx.log(
            "credential.rotated",
            "account",
            row.id,
            str(ref),
            reported_by=facts.officer,
            changed=entry.get("changed", {}).get("password_changed_at"),
            escrowed=kept,
        )
    r = schema.reports
    tx.conn.execute(
        r.insert().values(
            id=uuid.uuid4(),
            post_id=post.id,
            officer=facts.officer,
            fingerprint=facts.key.fingerprint,
            reported_at=facts.reported,
            sha256=facts.sha256,
            accounts=len(facts.entries),
            rotated=rotated,
            recorded_at=tx.now,
        )
    )
    tx.log(
        "packet.rotation-report",
        "post",
        post.id,
        post.slug,
        officer=facts.officer,
        accounts=len(facts.entries),
        rotated=rotated,
        applied=applied,
        escrowed=kept,
        sha256=facts.sha256,
    )
    return Reported(post.slug, facts.officer, len(facts.entries), rotated, applied, kept)
