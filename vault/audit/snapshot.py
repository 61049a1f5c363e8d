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

import sqlalchemy as sa

from vault.crypto import escrow
from vault.crypto.seal import key_id_of
from vault.crypto.unlock import unlock, unlocker_of
from vault.errors import AccessError
from vault.log import checkpoints
from vault.log.verify import Verification, verify_chain
from vault.records import contacts, transfers
from vault.records.contacts import OfficialContacts
from vault.store import schema, settings
from vault.store.journal import parse_entry, raw_select

if TYPE_CHECKING:
    from vault.store.storage import Registry

ACCOUNT_COLUMNS = (
    "id", "platform", "handle", "post_id", "officer_id", "kind", "disclaimer", "login_email",
    "login_phone", "recovery_email", "recovery_phone", "twofa_method", "twofa_phone",
    "verification", "verification_date", "password_changed_at", "rotation_due_at",
    "rotation_reason", "created_at", "escrowed_by",
)  # fmt: skip
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


def _raw(*columns: Any) -> sa.Select[Any]:
    """SELECT ``columns`` with UUIDs left as the database gives them (hex text on SQLite).

    The audit uses ids only as keys to join in memory; building a ``uuid.UUID`` for each of some
    70,000 ids in a 10,000-account registry was a tenth of the audit.
    """
    return sa.select(
        *(
            sa.type_coerce(c, sa.String).label(c.name) if isinstance(c.type, sa.Uuid) else c
            for c in columns
        )
    )


def load(conn: sa.Connection, registry: Registry, *, with_secrets: bool) -> Snapshot:
    now = registry.clock()
    # Archived records (an abolished post, a retired officer, a closed page, a dissolved group)
    # leave the audit: it is about what is in use.
    p, o_ = schema.posts, schema.officers
    posts = {r.id: r for r in conn.execute(_raw(*p.c).where(p.c.abolished_at.is_(None))).all()}
    officers = {r.id: r for r in conn.execute(_raw(*o_.c).where(o_.c.retired_at.is_(None))).all()}
    tenures: dict[uuid.UUID, list[Any]] = defaultdict(list)
    holders: dict[uuid.UUID, Any] = {}
    held_by: dict[uuid.UUID, list[Any]] = defaultdict(list)
    t = schema.tenures
    for row in conn.execute(_raw(*t.c).order_by(t.c.start_date, t.c.created_at)).all():
        if row.post_id not in posts or row.officer_id not in officers:
            continue
        tenures[row.post_id].append(row)
        if row.end_date is None:
            holders[row.post_id] = officers[row.officer_id]
            held_by[row.officer_id].append(posts[row.post_id])
    i = schema.identities
    identities = set(conn.execute(_raw(i.c.officer_id).where(i.c.retired_at.is_(None))).scalars())
    a = schema.accounts
    accounts = conn.execute(
        _raw(
            *(a.c[c] for c in ACCOUNT_COLUMNS),
            a.c.password_sealed.is_not(None).label("has_password"),
            a.c.totp_sealed.is_not(None).label("has_totp"),
        ).where(a.c.archived_at.is_(None))
    ).all()
    overrides: dict[uuid.UUID, dict[tuple[str, str], str]] = defaultdict(dict)
    o = schema.contact_overrides
    for row in conn.execute(_raw(o.c.account_id, o.c.field, o.c.value, o.c.reason)).all():
        overrides[row.account_id][(row.field, row.value)] = row.reason
    g = schema.groups
    groups = conn.execute(_raw(*g.c).where(g.c.archived_at.is_(None))).all()
    admins: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for row in conn.execute(_raw(*schema.group_admins.c)).all():
        if row.post_id in posts:
            admins[row.group_id].append(row.post_id)
    custody: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in conn.execute(_raw(*schema.custody.c)).all():
        if row.post_id in posts:
            custody[row.post_id].append(row)
    log = verify_chain(conn, checkpoints.gather(conn, []))
    live = {row.id for row in accounts}
    passwords = (
        {k: v for k, v in _passwords(conn, registry).items() if k in live} if with_secrets else None
    )
    lines = list(transfers.status(conn, now.astimezone().date()))
    snap = Snapshot(
        now,
        now.astimezone().date(),
        settings.read_all(conn),
        contacts.load_official(conn),
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
    r = schema.page_roles
    snap.roles = [
        row
        for row in conn.execute(_raw(*r.c).where(r.c.until.is_(None))).all()
        if row.account_id in live
    ]
    for row in conn.execute(_raw(*schema.group_admin_phones.c)).all():
        snap.admin_phones.setdefault(row.group_id, []).append(row.phone)
    snap.escrow = escrow.recipients(conn)
    e = schema.events
    query = raw_select().where(
        e.c.action == "identity.replace", e.c.at >= now - REPLACEMENTS_WINDOW
    )
    for raw in conn.execute(query):
        try:
            snap.replacements.append(parse_entry(raw))
        except (ValueError, TypeError):
            continue  # a malformed entry is the log rule's finding
    return snap


def _passwords(conn: sa.Connection, registry: Registry) -> dict[uuid.UUID, str]:
    """Every sealed password, opened in bulk: one unlock, one AES-GCM open per password."""
    a = schema.accounts
    opened = {}
    sealers: dict[bytes, Any] = {}
    unlocker = unlocker_of(registry)
    for raw_id, blob in conn.execute(
        _raw(a.c.id, a.c.password_sealed).where(a.c.password_sealed.is_not(None))
    ):
        header = bytes(blob[:17])  # version and key id: one sealer per key
        if header not in sealers:
            try:
                sealers[header] = unlocker.sealer(unlock(conn, unlocker, key_id_of(blob)))
            except AccessError:
                sealers[header] = None  # a post this user does not hold, on a shared registry
        sealer = sealers[header]
        if sealer is not None:
            account_id = raw_id if isinstance(raw_id, uuid.UUID) else uuid.UUID(raw_id)
            opened[raw_id] = sealer.open("accounts", "password_sealed", account_id, blob).decode(
                "utf-8"
            )
    return opened
