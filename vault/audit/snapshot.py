"""Everything the audit rules read, loaded in a few bulk queries inside one read transaction.

The rules then work in memory: an audit of 10,000 accounts makes a handful of queries, not one per
account, and every rule sees the same consistent moment.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
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
    accounts: Sequence[Any]
    overrides: dict[uuid.UUID, dict[tuple[str, str], str]]
    groups: Sequence[Any]
    admins: dict[uuid.UUID, list[uuid.UUID]]
    custody: dict[uuid.UUID, list[Any]]
    log: Verification
    passwords: dict[uuid.UUID, str] | None
    transfers: list[Any]
    escrow: list[str] = field(default_factory=list)
    replacements: list[Any] = field(default_factory=list)
    official_accounts: list[Any] = field(default_factory=list)
    # Open page roles (account_id, officer_id, post_id, role), and each group's admin numbers.
    roles: list[Any] = field(default_factory=list)
    admin_phones: dict[uuid.UUID, list[str]] = field(default_factory=dict)
    _official_values: dict[str, bool] = field(default_factory=dict, repr=False)
    # What several rules work out from the same rows, kept for the others (vault.audit.rules).
    memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def is_official(self, value: str) -> bool:
        """Whether a contact is official, decided once per value: a post's email and phone
        recur on all its accounts, and several rules ask."""
        known = self._official_values.get(value)
        if known is None:
            known = self._official_values[value] = self.official.is_official(value)
        return known

    def where_post(self, post_id: uuid.UUID | None) -> tuple[str | None, str | None, str | None]:
        """(level, district, post) of a post, for filtering and the roll-up."""
        post = self.posts.get(post_id) if post_id is not None else None
        if post is None:
            return (None, None, None)
        return (post.level, post.district, post.slug)

    def ref(self, account: Any) -> str:
        return f"{account.platform}:{account.handle}"


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
    for row in reads.rows(db, "audit_tenures"):
        if row.post_id not in posts or row.officer_id not in officers:
            continue
        tenures[row.post_id].append(row)
        if row.end_date is None:
            holders[row.post_id] = officers[row.officer_id]
            held_by[row.officer_id].append(posts[row.post_id])
    identities = set(reads.scalars(db, "audit_identities"))
    accounts = reads.rows(db, "audit_accounts")
    overrides: dict[Any, dict[tuple[str, str], str]] = defaultdict(dict)
    for row in reads.rows(db, "audit_overrides"):
        overrides[row.account_id][(row.field, row.value)] = row.reason
    groups = reads.rows(db, "audit_groups")
    admins: dict[Any, list[Any]] = defaultdict(list)
    for row in reads.rows(db, "audit_group_admins"):
        if row.post_id in posts:
            admins[row.group_id].append(row.post_id)
    custody: dict[Any, list[Any]] = defaultdict(list)
    for row in reads.rows(db, "audit_custody"):
        if row.post_id in posts:
            custody[row.post_id].append(row)
    log = verify_chain(db, checkpoints.gather(db, []))
    live = {row.id for row in accounts}
    passwords = (
        {k: v for k, v in _passwords(db, registry).items() if k in live} if with_secrets else None
    )
    lines = list(transfers.status(db, now.astimezone().date()))
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
        accounts,
        overrides,
        groups,
        admins,
        custody,
        log,
        passwords,
        lines,
    )
    snap.official_accounts = [a for a in accounts if a.kind == "official"]
    snap.roles = [row for row in reads.rows(db, "audit_roles") if row.account_id in live]
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


def _passwords(db: Any, registry: Registry) -> dict[Any, str]:
    """Every sealed password, opened in bulk: one unlock, one AES-GCM open per password."""
    opened = {}
    sealers: dict[bytes, Any] = {}
    unlocker = unlocker_of(registry)
    for raw_id, stored in reads.rows(db, "audit_passwords"):
        blob = bytes(stored)
        header = blob[:17]  # version and key id: one sealer per key
        if header not in sealers:
            try:
                sealers[header] = unlocker.sealer(unlock(db, unlocker, key_id_of(blob)))
            except AccessError:
                sealers[header] = None  # a post this user does not hold, on a shared registry
        sealer = sealers[header]
        if sealer is not None:
            account_id = raw_id if isinstance(raw_id, uuid.UUID) else uuid.UUID(raw_id)
            opened[raw_id] = sealer.open("accounts", "password_sealed", account_id, blob).decode(
                "utf-8"
            )
    return opened
