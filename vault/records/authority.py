"""Who may do what for a post, by this registry's own records. Every reader enforces it here.

A good signature proves who signed; it does not prove they had the right. The rules (also in
docs/security.md):

================================  =============================================================
act                               who may, by this registry's records
================================  =============================================================
sign a packet for a post          its current holder; or an IT cell member acting for the
                                  department, with a reason (a vacant post, a holder who has
                                  left or cannot be reached); the header states the capacity
claim a packet                    one addressed to an identity held here; if this registry
                                  records another holder of the post, only from that holder or
                                  an IT cell member known here; never older than a handover of
                                  the post this registry already has
take an account in a claim        only the post's official accounts; never one this registry
                                  holds as personal, or as another post's
record a receipt                  the packet's named recipient (the key its header names), for a
                                  packet this registry made or witnessed
witness a packet                  one whose signer was entitled by this registry's records
record a rotation report          the post's current holder here; never older than the last
replace an officer's key          only with ``--replace-key`` and a reason, logged and audited
================================  =============================================================

Refusals are :class:`~vault.errors.AuthorityError`: one line that says who may.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from vault.crypto import identities, sshsig
from vault.errors import AuthorityError, NotFoundError
from vault.model import N_, handle_key
from vault.records import custody, members, officers, posts
from vault.records.custody import PacketFacts
from vault.store import bulk, journal, schema

if TYPE_CHECKING:
    from vault.store.storage import Registry

HOLDER = "holder"
IT_CELL = "it-cell"
CAPACITIES = (HOLDER, IT_CELL)
MAX_LIFETIME = dt.timedelta(days=90)
MAX_AHEAD = dt.timedelta(minutes=10)


class Signer(NamedTuple):
    """The identity that signs for a post, and in which capacity."""

    row: Any  # an identity row of vault.crypto.identities
    capacity: str
    reason: str | None


def _holder_text(holder: tuple[str, str] | None) -> str:
    return f"{holder[0]}, {holder[1]}" if holder else "nobody, the post is vacant"


def _who_may_sign(post: Any, holder: tuple[str, str] | None) -> str:
    if holder is None:
        return (
            f"{post.slug} is vacant: only an IT cell member acting for the department may sign "
            "its packet (--from MEMBER --reason TEXT)"
        )
    return (
        f"only the holder of {post.slug} ({_holder_text(holder)}) or an IT cell member acting "
        "for the department (--from MEMBER --reason TEXT) may sign its packet"
    )


def signer_for_packet(
    conn: sa.Connection, registry: Registry, post: Any, sender: str | None, reason: str | None
) -> Signer:
    """The identity that may sign ``post``'s packet, or :class:`AuthorityError` naming who may.

    Without ``sender``, the post's holder, if their identity is at hand; there is no fallback to
    whatever identity happens to be at hand.
    """
    holder = posts.holder_of(conn, post.id)
    reason = (reason or "").strip() or None
    if sender is None:
        at_hand = {r.service_id: r for r in identities.local_rows(conn, registry)}
        if holder is not None and holder[0] in at_hand:
            if reason:
                raise AuthorityError(
                    N_(
                        "--reason is for an IT cell member signing for the department; the holder "
                        "signs without one"
                    )
                )
            return Signer(at_hand[holder[0]], HOLDER, None)
        raise AuthorityError(
            _who_may_sign(post, holder)
            + ("; their identity is not at hand here (--identity FILE)" if holder else "")
        )
    row = identities.own_identity(conn, registry, sender)
    if holder is not None and row.service_id == holder[0]:
        if reason:
            raise AuthorityError(
                N_(
                    "--reason is for an IT cell member signing for the department; the holder "
                    "signs without one"
                )
            )
        return Signer(row, HOLDER, None)
    if members.is_member(conn, row.officer_id):
        if reason is None:
            raise AuthorityError(
                f"{row.service_id} is an IT cell member, not the holder of {post.slug}: to sign "
                f"for the department give --reason TEXT (the holder: {_holder_text(holder)})"
            )
        return Signer(row, IT_CELL, reason)
    raise AuthorityError(f"{_who_may_sign(post, holder)}; {row.service_id} is neither")


def known_signer(conn: sa.Connection, officer: str, key: sshsig.PublicKey) -> Any:
    """The identity on record for ``officer`` that ``key`` must be, or :class:`AuthorityError`."""
    try:
        row = officers.row_by_service_id(conn, officer)
    except NotFoundError:
        row = None
    current = identities.current(conn, row.id) if row is not None else None
    if current is None:
        raise AuthorityError(
            f"unknown signer {officer} (key {key.fingerprint}): confirm their safety code with "
            "them by phone, then import their card with 'handover officer import-card'"
        )
    if current.signing_key != key.openssh:
        raise AuthorityError(
            f"signed by a key that is not on record for {officer} ({key.fingerprint}; on "
            f"record: {current.fingerprint})"
        )
    return current


def check_times(registry: Registry, created: dt.datetime, expires: dt.datetime) -> None:
    """A packet lives at most 90 days, is not dated in the future, and has not expired.

    An overridden clock (``HANDOVER_NOW``) can only make these checks stricter: the later of it
    and the system clock decides expiry, the system clock decides what is "in the future".
    """
    if expires - created > MAX_LIFETIME or expires <= created:
        raise AuthorityError(
            N_(
                "this packet claims a lifetime of more than 90 days (or none): it was not made "
                "by handover as it is; ask the sender for a new one"
            )
        )
    system = registry.system_now()
    if created > system + MAX_AHEAD:
        raise AuthorityError(
            f"this packet is dated {journal.iso(created)}, in the future: the sender's clock is "
            "wrong or the packet is forged; ask for a new one"
        )
    if max(system, registry.clock()) > expires:
        raise AuthorityError(f"this packet expired on {journal.iso(expires)}; ask for a new one")


def post_here(conn: sa.Connection, slug: str) -> Any:
    """The post's row in this registry, or ``None`` when a packet brings it here first."""
    try:
        return posts.row_by_slug(conn, slug)
    except NotFoundError:
        return None


def check_claim(conn: sa.Connection, facts: PacketFacts) -> Any:
    """May this registry take in the packet? Returns the post's row here (or ``None``).

    Its place in the post's handover chain comes first: never older than a handover on record.
    A packet made in this very registry (a shared one) is on record as sent: it is itself the
    newest handover, and may be claimed."""
    post = post_here(conn, facts.post)
    if post is not None and facts.sequence is not None:
        end = custody.chain_end(conn, post.id)
        made_here = custody.find_any(conn, facts.packet_id, ("sent", "witnessed"))
        this_one = (
            made_here is not None
            and made_here.packet_sha256 == facts.sha256
            and facts.sequence == end.sequence
        )
        if facts.sequence <= end.sequence and not this_one:
            raise AuthorityError(
                f"this packet is handover {facts.sequence} of {post.slug}, but this registry "
                f"already has handover {end.sequence}: an older packet cannot be claimed"
            )
        follows = facts.sequence == end.sequence + 1
        if end.sequence and follows and facts.previous_sha256 not in end.documents:
            raise AuthorityError(
                f"this packet does not follow the last handover of {post.slug} this registry "
                "knows (another packet was made in between): ask the sender for a new one"
            )
    if facts.capacity == IT_CELL:
        signer = officers.row_by_service_id(conn, facts.sender)
        if not members.is_member(conn, signer.id):
            raise AuthorityError(
                f"{facts.sender} signed for the department (IT cell), but is not an IT cell "
                "member in this registry (an IT cell member adds them: handover member add)"
            )
    elif post is not None:
        holder = posts.holder_of(conn, post.id)
        if holder is not None and holder[0] != facts.sender:
            raise AuthorityError(
                f"this registry records {holder[0]} ({holder[1]}) as the holder of {post.slug}: "
                f"a packet signed by {facts.sender} is refused; ask {holder[0]} (or the IT cell) "
                "for the packet"
            )
    return post


def check_accounts(conn: sa.Connection, post_slug: str, accounts: list[dict[str, Any]]) -> None:
    """A packet carries only its post's official accounts, and a claim never takes an account
    this registry holds as personal or as another post's."""
    a, p = schema.accounts, schema.posts
    here: dict[tuple[str, str], Any] = {}
    handles = sorted({handle_key(str(item.get("handle", ""))) for item in accounts})
    for chunk in bulk.chunks(handles):  # one read for all, in IN lists of any database
        for row in conn.execute(
            sa.select(a.c.platform, a.c.handle_key, a.c.kind, p.c.slug)
            .select_from(a.outerjoin(p, p.c.id == a.c.post_id))
            .where(a.c.handle_key.in_(chunk))
        ):
            here[(row.platform, row.handle_key)] = row
    for item in accounts:
        ref = f"{item.get('platform')}:{item.get('handle')}"
        if item.get("kind") != "official":
            raise AuthorityError(
                f"the packet carries {ref} as a {item.get('kind')} account: a packet carries "
                "only its post's official accounts; nothing was claimed"
            )
        found = here.get((str(item.get("platform")), handle_key(str(item.get("handle", "")))))
        if found is None:
            continue
        if found.kind != "official":
            raise AuthorityError(
                f"{ref} is a personal account in this registry: a packet cannot take it over; "
                "nothing was claimed"
            )
        if found.slug is not None and found.slug != post_slug:
            raise AuthorityError(
                f"{ref} already belongs to post {found.slug} in this registry; nothing was claimed"
            )


def check_witness(conn: sa.Connection, facts: PacketFacts, post: Any) -> None:
    """A packet made elsewhere is recorded only if its signer was entitled by these records."""
    if facts.capacity == IT_CELL:
        signer = officers.row_by_service_id(conn, facts.sender)
        if not members.is_member(conn, signer.id):
            raise AuthorityError(
                f"{facts.sender} signed for the department, but is not an IT cell member here"
            )
        return
    holder = posts.holder_of(conn, post.id)
    if holder is None or holder[0] != facts.sender:
        raise AuthorityError(
            f"{facts.sender} does not hold {post.slug} in this registry (holder: "
            f"{_holder_text(holder)}): the packet cannot be witnessed"
        )


def packet_of_receipt(conn: sa.Connection, packet_id: Any) -> Any:
    """The record of the packet a receipt answers: one this registry made or witnessed."""
    found = custody.find_any(conn, packet_id, ("sent", "witnessed"))
    if found is None:
        raise AuthorityError(
            f"this registry has no record of packet {packet_id}: a receipt is recorded only for "
            "a packet made here, or witnessed first (handover packet witness FILE)"
        )
    return found


def check_receipt_signer(
    conn: sa.Connection, record: Any, officer: str, key: sshsig.PublicKey
) -> None:
    """Only the officer the packet was addressed to, with the key the packet named, may sign
    its receipt."""
    named = record.to_fingerprint or known_signer(conn, record.to_officer, key).fingerprint
    if officer != record.to_officer or key.fingerprint != named:
        raise AuthorityError(
            f"the receipt is signed by {officer} ({key.fingerprint}), but packet "
            f"{record.packet_id} was addressed to {record.to_officer} ({named})"
        )


def check_report(
    conn: sa.Connection, post: Any, officer: str, reported: dt.datetime, sha256: str
) -> None:
    """A rotation report comes from the post's current holder and is newer than the last one."""
    holder = posts.holder_of(conn, post.id)
    if holder is None or holder[0] != officer:
        raise AuthorityError(
            f"{officer} does not hold {post.slug} in this registry (holder: "
            f"{_holder_text(holder)}): record their receipt first"
        )
    r = schema.reports
    if conn.execute(sa.select(r.c.id).where(r.c.sha256 == sha256)).first():
        raise AuthorityError(N_("this rotation report was already recorded"))
    newest = conn.execute(
        sa.select(sa.func.max(r.c.reported_at)).where(r.c.post_id == post.id)
    ).scalar()
    if newest is not None and reported <= newest:
        raise AuthorityError(
            f"this report of {post.slug} was made {journal.iso(reported)}, before the last one "
            f"recorded ({journal.iso(newest)}): an older report cannot override a newer"
        )
