"""Everything the audit rules read, loaded in a few bulk queries inside one read transaction.

The rules then work in memory: an audit of 10,000 accounts makes a handful of queries, not one per
account, and every rule sees the same consistent moment. The accounts, by far the most rows, are
read a batch at a time (:func:`accounts`) and each batch goes past every rule that looks at
accounts before the next is read: holding 100,000 of them at once, each rule walking all of
them in turn, made the audit's cost per account a third higher at 100,000 than at 10,000.
"""

from __future__ import annotations

import datetime as dt
import uuid
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vault.crypto import escrow
from vault.crypto.seal import key_id_of
from vault.crypto.unlock import unlock, unlocker_of
from vault.errors import AccessError
from vault.log import checkpoints
from vault.log.verify import Verification, verify_chain
from vault.records import contacts, transfers
from vault.records.contacts import OfficialContacts
from vault.store import reads, settings
from vault.store.journal import parse_entry

if TYPE_CHECKING:
    from vault.store.storage import Registry

# How far back the audit looks for replaced officer keys.
REPLACEMENTS_WINDOW = dt.timedelta(days=90)


@dataclass
class Snapshot:
    now: dt.datetime
    today: dt.date
    settings: dict[str, Any]
    official: OfficialContacts
    posts: dict[uuid.UUID, Any]
    officers: dict[uuid.UUID, Any]
    tenures: dict[uuid.UUID, list[Any]]
    holders: dict[uuid.UUID, Any]
    held_by: dict[uuid.UUID, list[Any]]
    identities: set[uuid.UUID]
    overrides: dict[uuid.UUID, dict[tuple[str, str], str]]
    groups: list[Any]
    admins: dict[uuid.UUID, list[uuid.UUID]]
    custody: dict[uuid.UUID, list[Any]]
    log: Verification
    transfers: list[Any]
    # Whether the audit opens the passwords (the rules that need them run only then).
    with_secrets: bool
    escrow: list[str] = field(default_factory=list)
    replacements: list[Any] = field(default_factory=list)
    # Open page roles (account_id, officer_id, post_id, role), and each group's admin numbers.
    roles: list[Any] = field(default_factory=list)
    admin_phones: dict[uuid.UUID, list[str]] = field(default_factory=dict)
    # Gathered from the accounts as they are read, for the rules over the whole registry: how
    # many accounts each post owns, and the accounts that share a password with another (as
    # (ref, post_id)).
    owning: Counter[Any] = field(default_factory=Counter)
    shared_passwords: dict[str, list[tuple[str, Any]]] = field(default_factory=dict, repr=False)
    # What rules work out from the registry once, kept for every batch (vault.audit.rules).
    memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def where_post(self, post_id: uuid.UUID | None) -> tuple[str | None, str | None, str | None]:
        """(level, district, post) of a post, for filtering and the roll-up."""
        post = self.posts.get(post_id) if post_id is not None else None
        if post is None:
            return (None, None, None)
        return (post.level, post.district, post.slug)

    def ref(self, account: Any) -> str:
        return f"{account.platform}:{account.handle}"


@dataclass
class Accounts:
    """A batch of accounts in use, as the rules that look at accounts see it: the rows, the
    official ones among them, their passwords (those this user can open, with secrets only),
    and what several rules work out from the same rows (:mod:`vault.audit.rules`)."""

    rows: list[Any]
    official: list[Any]
    passwords: dict[Any, str] = field(repr=False)
    memo: dict[str, Any] = field(default_factory=dict)


def load(db: Any, registry: Registry, *, with_secrets: bool) -> Snapshot:
    """The snapshot, read through ``db`` (:meth:`Registry.reads`: on SQLite the standard
    library's driver, so an audit does not load SQLAlchemy). Ids stay as the database stores
    them (hex text on SQLite): the audit only joins on them, and building a ``uuid.UUID`` for
    each of some 70,000 ids in a 10,000-account registry was a tenth of the audit."""
    now = registry.clock()
    # Archived records (an abolished post, a retired officer, a closed page, a dissolved group)
    # leave the audit: it is about what is in use.
    posts = {r.id: r for r in reads.rows(db, "audit_posts")}
    officers = {r.id: r for r in reads.rows(db, "audit_officers")}
    tenures: dict[Any, list[Any]] = defaultdict(list)
    holders: dict[Any, Any] = {}
    held_by: dict[Any, list[Any]] = defaultdict(list)
    # One look-up of each post and officer per tenure: the tenures come in no order of the
    # posts' or officers', so each look-up is a miss in memory at 100,000 accounts.
    for row in reads.rows(db, "audit_tenures"):
        post = posts.get(row.post_id)
        officer = officers.get(row.officer_id)
        if post is None or officer is None:
            continue
        tenures[row.post_id].append(row)
        if row.end_date is None:
            holders[row.post_id] = officer
            held_by[row.officer_id].append(post)
    identities = set(reads.scalars(db, "audit_identities"))
    overrides: dict[Any, dict[tuple[str, str], str]] = defaultdict(dict)
    for row in reads.rows(db, "audit_overrides"):
        overrides[row.account_id][(row.field, row.value)] = row.reason
    groups = reads.rows(db, "audit_groups")
    admins: dict[Any, list[Any]] = defaultdict(list)
    for row in reads.rows(db, "audit_group_admins"):
        if row.post_id in posts:
            admins[row.group_id].append(row.post_id)
    custody = transfers.custody_by_post(db)
    log = verify_chain(db, checkpoints.gather(db, []))
    lines = list(transfers.status(db, now.astimezone().date(), custody=custody))
    snap = Snapshot(
        now,
        now.astimezone().date(),
        settings.read_all(db),
        contacts.load_official(db),
        posts,
        officers,
        tenures,
        holders,
        held_by,
        identities,
        overrides,
        groups,
        admins,
        custody,
        log,
        lines,
        with_secrets,
    )
    snap.roles = reads.rows(db, "audit_roles")
    for row in reads.rows(db, "audit_group_admin_phones"):
        snap.admin_phones.setdefault(row.group_id, []).append(row.phone)
    snap.escrow = escrow.recipients(db)
    for raw in reads.rows(
        db, "events_of_action_since", action="identity.replace", since=now - REPLACEMENTS_WINDOW
    ):
        try:
            snap.replacements.append(parse_entry(raw))
        except (ValueError, TypeError):
            continue  # a malformed entry is the log rule's finding
    return snap


def accounts(db: Any, registry: Registry, snap: Snapshot) -> Iterator[Accounts]:
    """The accounts in use, a batch at a time, each password opened as its batch is read (one
    unlock per key, one AES-GCM open per password). What the rules over the whole registry need
    of the accounts is gathered into ``snap`` on the way."""
    opened = _Passwords(db, registry, snap) if snap.with_secrets else None
    for rows in reads.batches(db, "audit_accounts"):
        snap.owning.update([a.post_id for a in rows if a.post_id is not None])
        passwords = opened.of(rows) if opened is not None else {}
        yield Accounts(rows, [a for a in rows if a.kind == "official"], passwords)
    if opened is not None:
        snap.shared_passwords = opened.shared()


def _id_bytes(account_id: Any) -> bytes:
    return account_id.bytes if isinstance(account_id, uuid.UUID) else bytes.fromhex(account_id)


class _Passwords:
    """Opens the accounts' sealed passwords, one sealer per key, and finds the accounts that
    share a password.

    Of each account it keeps 24 bytes in two arrays, its id and a 64-bit digest of its password
    (Python's ``hash``, keyed afresh in each process), and the digest in a set. The accounts
    whose digest comes up more than once are read again at the end and their passwords
    compared: a digest only chooses whom to look at again, so passwords that merely share one
    are never taken for the same. Keeping instead each password with the account's name and post
    in a dict (some 270 bytes an account) cost 1.4 million more cache misses at 100,000 accounts,
    where it outgrew the processor's cache: 126 ms of CPU there against 7 ms at 10,000, where
    this way costs 87 and 5 (interleaved runs, differences within each round)."""

    def __init__(self, db: Any, registry: Registry, snap: Snapshot) -> None:
        self.db, self.unlocker, self.ref = db, unlocker_of(registry), snap.ref
        self.sealers: dict[bytes, Any] = {}
        self.digests = array("q")  # of the passwords opened, in the order read
        self.ids = bytearray()  # their accounts' ids, 16 bytes each, in the same order
        self.seen: set[int] = set()
        self.again: set[int] = set()  # digests that came up more than once

    def of(self, rows: list[Any], *, note: bool = True) -> dict[Any, str]:
        """The passwords of ``rows`` this user can open (not those sealed for a post this user
        does not hold), by account id; each noted by its digest for :meth:`shared`, unless
        ``note`` is false (in the same loop: a second one, for the digests, cost 2,400 more
        instructions an account)."""
        found: dict[Any, str] = {}
        digests, ids, seen, again = self.digests, self.ids, self.seen, self.again
        for a in rows:
            blob = a.password_sealed
            if blob is None:
                continue
            if not isinstance(blob, bytes):
                blob = bytes(blob)  # PostgreSQL's driver may give a memoryview
            sealer = self._sealer(blob)
            if sealer is None:
                continue
            row = _id_bytes(a.id)
            found[a.id] = password = sealer.open("accounts", "password_sealed", row, blob).decode()
            if note:
                digest = hash(password)
                if digest in seen:
                    again.add(digest)
                else:
                    seen.add(digest)
                digests.append(digest)
                ids += row
        return found

    def shared(self) -> dict[str, list[tuple[str, Any]]]:
        """The accounts that share a password with another, as (ref, post id) by password, in
        the order they were read: the accounts whose digest came up more than once, read again
        and compared by their passwords."""
        again, ids = self.again, self.ids
        if not again:
            return {}
        positions = [i for i, digest in enumerate(self.digests) if digest in again]
        wanted = [bytes(ids[i * 16 : i * 16 + 16]) for i in positions]
        ids_of = [uuid.UUID(bytes=b) for b in wanted]
        read = reads.rows_by_ids(self.db, "audit_passwords_of", ids_of)
        by_id = {_id_bytes(a.id): a for a in read}
        rows = [by_id[b] for b in wanted]
        passwords = self.of(rows, note=False)
        members: dict[str, list[tuple[str, Any]]] = {}
        for a in rows:
            password = passwords.get(a.id)
            if password is not None:
                members.setdefault(password, []).append((self.ref(a), a.post_id))
        return {password: group for password, group in members.items() if len(group) > 1}

    def _sealer(self, blob: bytes) -> Any:
        header = blob[:17]  # version and key id
        sealer = self.sealers.get(header, False)
        if sealer is False:
            try:
                sealer = self.unlocker.sealer(unlock(self.db, self.unlocker, key_id_of(blob)))
            except AccessError:
                sealer = None  # a post this user does not hold, on a shared registry
            self.sealers[header] = sealer
        return sealer
