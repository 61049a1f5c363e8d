"""The register, exported for its readers: the office's own file, an RTI reply, the public.

Every column of the data model is classified (:data:`CLASSES`): what the **public** list of
official handles shows (platform, handle, URL, owning office, verified or not); what an **RTI**
reply may disclose besides (posts and who held them, verification history with its evidence,
groups and their admin posts) and never (login and recovery contacts, 2FA detail, anybody's
phone number or email); what the office's own **records** hold (everything but secrets); and
what is **never** exported (secrets, keys, internals). An export shows a column only when its
class is open to the reader, so a new column of the data model stays out of every export until
someone classifies it (a test fails until then).

The accounts table of ``records`` uses the column names of ``import accounts``, so that an
export can be imported elsewhere. Personal accounts appear in ``records`` only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault.errors import InvalidInputError
from vault.model import AccountKind, Status, parse_level
from vault.records import posts
from vault.store import schema

if TYPE_CHECKING:
    from vault.store.storage import Registry

READERS = ("public", "rti", "records")
_RANK = {"public": 0, "rti": 1, "records": 2, "never": 3}

# Who may read each column of the data model, table by table.
CLASSES: dict[str, dict[str, str]] = {
    "accounts": {
        "public": "platform handle url verification",
        "rti": "kind disclaimer verification_date",
        "records": "login_email login_phone recovery_email recovery_phone twofa_method "
        "twofa_phone twofa_holder password_changed_at totp_changed_at "
        "recovery_codes_changed_at notes_changed_at rotation_due_at rotation_reason created_at "
        "updated_at escrowed_by archived_at archive_reason",
        "never": "id handle_key post_id officer_id password_sealed totp_sealed "
        "recovery_codes_sealed notes_sealed",
    },
    "posts": {
        "public": "slug title department level district",
        "records": "email phone created_at updated_at abolished_at abolish_reason",
        "never": "id",
    },
    "officers": {
        "rti": "service_id name grade",
        "records": "email phone created_at updated_at retired_at retire_reason",
        "never": "id",
    },
    "tenures": {
        "rti": "start_date end_date",
        "records": "created_at",
        "never": "id post_id officer_id",
    },
    "verification_history": {
        "rti": "from_status to_status on_date evidence",
        "records": "recorded_at recorded_by",
        "never": "id account_id",
    },
    "groups": {
        "rti": "slug name platform level district department owner_account_id",
        "records": "created_at updated_at archived_at archive_reason",
        "never": "id invite_sealed",
    },
    "group_admins": {"rti": "post_id", "never": "group_id"},
    "group_admin_phones": {"records": "phone added_at", "never": "group_id"},
    "page_roles": {
        "records": "role since until recorded_at recorded_by officer_id post_id",
        "never": "id account_id",
    },
    "account_names": {
        "records": "handle until recorded_by",
        "never": "id account_id platform handle_key",
    },
    "contact_overrides": {
        "records": "field value reason recorded_at recorded_by",
        "never": "id account_id",
    },
    "transfer_orders": {
        "records": "order_no order_date effective_date imported_at imported_by",
        "never": "id officer_id from_post_id to_post_id",
    },
    # The registry's machinery: keys, signatures, custody of packets, the log. Not the register.
    "settings": {"never": "name value"},
    "official_domains": {"never": "domain added_at added_by"},
    "events": {
        "never": "seq id at actor action object_type object_id object_ref details prev_hash hash"
    },
    "checkpoints": {"never": "id size head_hash signer fingerprint signature created_at"},
    "escrow_recipients": {"never": "recipient label added_at added_by"},
    "escrow_copies": {
        "never": "id post_id source document_sha256 made_at made_by recorded_at ciphertext"
    },
    "custody": {
        "never": "id packet_id direction post_id from_officer to_officer packet_sha256 "
        "created_at expires_at recorded_at claimed_at completed_at receipt_sha256 sequence "
        "previous_sha256 capacity reason from_fingerprint to_fingerprint escrow"
    },
    "data_keys": {"never": "id scope post_id created_at retired_at"},
    "key_slots": {"never": "id key_id kind label params wrapped created_at"},
    "identities": {
        "never": "id officer_id age_recipient signing_key fingerprint age_secret_sealed "
        "signing_secret_sealed source created_at retired_at"
    },
    "members": {"never": "id officer_id added_at added_by removed_at"},
    "reports": {
        "never": "id post_id officer fingerprint reported_at sha256 accounts rotated recorded_at"
    },
}


def class_of(source: str) -> str:
    """The class of ``table.column``; a column nobody classified is never exported."""
    table, _, column = source.partition(".")
    for name, columns in CLASSES.get(table, {}).items():
        if column in columns.split():
            return name
    return "never"


@dataclass(frozen=True)
class Column:
    name: str
    source: str  # the data model's column it shows: table.column
    value: Callable[[Any], Any]


def _col(name: str, source: str, attr: str | None = None) -> Column:
    key = attr or name
    return Column(name, source, lambda r: getattr(r, key))


def _date(attr: str) -> Callable[[Any], Any]:
    return lambda r: None if getattr(r, attr) is None else getattr(r, attr).isoformat()


def _yes_no(attr: str) -> Callable[[Any], Any]:
    return lambda r: None if getattr(r, attr) is None else ("yes" if getattr(r, attr) else "no")


ACCOUNT_COLUMNS = [
    _col("platform", "accounts.platform"),
    _col("handle", "accounts.handle"),
    _col("url", "accounts.url"),
    _col("post", "posts.slug", "post_slug"),
    _col("kind", "accounts.kind"),
    _col("officer", "officers.service_id", "owner"),
    Column("disclaimer", "accounts.disclaimer", _yes_no("disclaimer")),
    *(_col(c, f"accounts.{c}") for c in ("login_email", "login_phone", "recovery_email")),
    _col("recovery_phone", "accounts.recovery_phone"),
    _col("twofa", "accounts.twofa_method", "twofa_method"),
    _col("twofa_phone", "accounts.twofa_phone"),
    _col("twofa_holder", "accounts.twofa_holder"),
    _col("verification", "accounts.verification"),
    Column("verification_date", "accounts.verification_date", _date("verification_date")),
    _col("office", "posts.title"),
    _col("department", "posts.department"),
    _col("level", "posts.level"),
    _col("district", "posts.district"),
    _col("holder", "officers.service_id", "holder_id"),
    _col("holder_name", "officers.name"),
    _col("archived", "accounts.archive_reason", "archive_reason"),
]
PUBLIC_ACCOUNT_COLUMNS = [
    _col("platform", "accounts.platform"),
    _col("handle", "accounts.handle"),
    _col("url", "accounts.url"),
    _col("office", "posts.title"),
    _col("department", "posts.department"),
    _col("level", "posts.level"),
    _col("district", "posts.district"),
    Column(
        "verified",
        "accounts.verification",
        lambda r: "yes" if r.verification == Status.VERIFIED.value else "no",
    ),
]


def _holders() -> tuple[Any, Any]:
    t, o = schema.tenures, schema.officers.alias("holder")
    return t, o


def _accounts_query(reader: str, level: str | None, district: str | None) -> Any:
    a, p, o = schema.accounts, schema.posts, schema.officers
    t, holder = _holders()
    query = (
        sa.select(
            a,
            p.c.slug.label("post_slug"),
            p.c.title.label("office"),
            p.c.department,
            p.c.level,
            p.c.district,
            o.c.service_id.label("owner"),
            holder.c.service_id.label("holder_id"),
            holder.c.name.label("holder_name"),
        )
        .select_from(
            a.outerjoin(p, p.c.id == a.c.post_id)
            .outerjoin(o, o.c.id == a.c.officer_id)
            .outerjoin(t, sa.and_(t.c.post_id == p.c.id, t.c.end_date.is_(None)))
            .outerjoin(holder, holder.c.id == t.c.officer_id)
        )
        .order_by(
            posts.level_order(p.c.level), p.c.district, p.c.slug, a.c.platform, a.c.handle_key
        )
    )
    if reader != "records":
        query = query.where(a.c.kind == AccountKind.OFFICIAL.value, a.c.archived_at.is_(None))
    return _place(query, p, level, district)


def _place(query: sa.Select[Any], p: Any, level: str | None, district: str | None) -> Any:
    if level:
        query = query.where(p.c.level == parse_level(level).value)
    if district:
        query = query.where(sa.func.lower(p.c.district) == district.strip().lower())
    return query


POST_COLUMNS = [
    *(_col(c, f"posts.{c}") for c in ("slug", "title", "department", "level", "district")),
    _col("email", "posts.email"),
    _col("phone", "posts.phone"),
    _col("holder", "officers.service_id", "holder_id"),
    _col("holder_name", "officers.name"),
    _col("abolished", "posts.abolish_reason", "abolish_reason"),
]


def _posts_query(reader: str, level: str | None, district: str | None) -> Any:
    p = schema.posts
    t, holder = _holders()
    query = (
        sa.select(p, holder.c.service_id.label("holder_id"), holder.c.name.label("holder_name"))
        .select_from(
            p.outerjoin(t, sa.and_(t.c.post_id == p.c.id, t.c.end_date.is_(None))).outerjoin(
                holder, holder.c.id == t.c.officer_id
            )
        )
        .order_by(posts.level_order(p.c.level), p.c.district, p.c.slug)
    )
    if reader != "records":
        query = query.where(p.c.abolished_at.is_(None))
    return _place(query, p, level, district)


TENURE_COLUMNS = [
    _col("post", "posts.slug", "post_slug"),
    _col("officer", "officers.service_id", "service_id"),
    _col("officer_name", "officers.name", "name"),
    Column("start_date", "tenures.start_date", _date("start_date")),
    Column("end_date", "tenures.end_date", _date("end_date")),
]


def _tenures_query(_reader: str, level: str | None, district: str | None) -> Any:
    t, p, o = schema.tenures, schema.posts, schema.officers
    query = (
        sa.select(t, p.c.slug.label("post_slug"), o.c.service_id, o.c.name)
        .select_from(t.join(p, p.c.id == t.c.post_id).join(o, o.c.id == t.c.officer_id))
        .order_by(p.c.slug, t.c.start_date)
    )
    return _place(query, p, level, district)


HISTORY_COLUMNS = [
    Column("account", "accounts.handle", lambda r: f"{r.platform}:{r.handle}"),
    _col("from_status", "verification_history.from_status"),
    _col("to_status", "verification_history.to_status"),
    Column("on_date", "verification_history.on_date", _date("on_date")),
    _col("evidence", "verification_history.evidence"),
    _col("recorded_by", "verification_history.recorded_by"),
]


def _history_query(reader: str, level: str | None, district: str | None) -> Any:
    h, a, p = schema.verification_history, schema.accounts, schema.posts
    query = (
        sa.select(h, a.c.platform, a.c.handle)
        .select_from(h.join(a, a.c.id == h.c.account_id).outerjoin(p, p.c.id == a.c.post_id))
        .order_by(a.c.platform, a.c.handle_key, h.c.on_date, h.c.recorded_at)
    )
    if reader != "records":
        query = query.where(a.c.kind == AccountKind.OFFICIAL.value, a.c.archived_at.is_(None))
    return _place(query, p, level, district)


def _group_admins(conn: sa.Connection) -> tuple[dict[Any, str], dict[Any, str]]:
    ga, gp, p = schema.group_admins, schema.group_admin_phones, schema.posts
    by_post: dict[Any, list[str]] = {}
    for row in conn.execute(
        sa.select(ga.c.group_id, p.c.slug).join(p, p.c.id == ga.c.post_id).order_by(p.c.slug)
    ):
        by_post.setdefault(row.group_id, []).append(row.slug)
    by_phone: dict[Any, list[str]] = {}
    for row in conn.execute(sa.select(gp).order_by(gp.c.phone)):
        by_phone.setdefault(row.group_id, []).append(row.phone)
    return (
        {k: ", ".join(v) for k, v in by_post.items()},
        {k: ", ".join(v) for k, v in by_phone.items()},
    )


GROUP_COLUMNS = [
    *(_col(c, f"groups.{c}") for c in ("slug", "name", "platform", "level", "district")),
    _col("department", "groups.department"),
    _col("admins", "group_admins.post_id", "admin_posts"),
    _col("admin_phones", "group_admin_phones.phone"),
    Column(
        "owner",
        "groups.owner_account_id",
        lambda r: f"{r.owner_platform}:{r.owner_handle}" if r.owner_handle else None,
    ),
    _col("archived", "groups.archive_reason", "archive_reason"),
]


def _groups_query(reader: str, level: str | None, district: str | None) -> Any:
    g, a = schema.groups, schema.accounts
    query = (
        sa.select(g, a.c.platform.label("owner_platform"), a.c.handle.label("owner_handle"))
        .select_from(g.outerjoin(a, a.c.id == g.c.owner_account_id))
        .order_by(posts.level_order(g.c.level), g.c.district, g.c.slug)
    )
    if reader != "records":
        query = query.where(g.c.archived_at.is_(None))
    return _place(query, g, level, district)


ROLE_COLUMNS = [
    Column("account", "accounts.handle", lambda r: f"{r.platform}:{r.handle}"),
    Column(
        "holder",
        "page_roles.officer_id",
        lambda r: r.service_id if r.service_id else f"post:{r.post_slug}",
    ),
    _col("role", "page_roles.role"),
    Column("since", "page_roles.since", _date("since")),
    Column("until", "page_roles.until", _date("until")),
]


def _roles_query(_reader: str, level: str | None, district: str | None) -> Any:
    r, a, o, p = schema.page_roles, schema.accounts, schema.officers, schema.posts
    owner = schema.posts.alias("owner")
    query = (
        sa.select(r, a.c.platform, a.c.handle, o.c.service_id, p.c.slug.label("post_slug"))
        .select_from(
            r.join(a, a.c.id == r.c.account_id)
            .outerjoin(o, o.c.id == r.c.officer_id)
            .outerjoin(p, p.c.id == r.c.post_id)
            .outerjoin(owner, owner.c.id == a.c.post_id)
        )
        .order_by(a.c.platform, a.c.handle_key, r.c.since)
    )
    return _place(query, owner, level, district)


OFFICER_COLUMNS = [
    *(_col(c, f"officers.{c}") for c in ("service_id", "name", "grade", "email", "phone")),
    _col("retired", "officers.retire_reason", "retire_reason"),
]


def _officers_query(_reader: str, _level: str | None, _district: str | None) -> Any:
    o = schema.officers
    return sa.select(o).order_by(o.c.service_id)


@dataclass(frozen=True)
class Table:
    name: str
    columns: list[Column]
    query: Callable[[str, str | None, str | None], Any]
    readers: tuple[str, ...]


TABLES = (
    Table("accounts", ACCOUNT_COLUMNS, _accounts_query, ("rti", "records")),
    Table("accounts", PUBLIC_ACCOUNT_COLUMNS, _accounts_query, ("public",)),
    Table("posts", POST_COLUMNS, _posts_query, ("rti", "records")),
    Table("officers", OFFICER_COLUMNS, _officers_query, ("records",)),
    Table("tenures", TENURE_COLUMNS, _tenures_query, ("rti", "records")),
    Table("history", HISTORY_COLUMNS, _history_query, ("rti", "records")),
    Table("groups", GROUP_COLUMNS, _groups_query, ("rti", "records")),
    Table("roles", ROLE_COLUMNS, _roles_query, ("records",)),
)


def tables_for(reader: str) -> list[Table]:
    if reader not in READERS:
        raise InvalidInputError(f"export for {reader!r}? choose records, rti or public")
    return [t for t in TABLES if reader in t.readers]


def table_for(reader: str, name: str) -> Table:
    for table in tables_for(reader):
        if table.name == name:
            return table
    names = ", ".join(t.name for t in tables_for(reader))
    raise InvalidInputError(f"an export for {reader} has the tables {names}, not {name!r}")


def columns(table: Table, reader: str) -> list[Column]:
    """The table's columns a reader may see: those whose class is open to them."""
    return [c for c in table.columns if _RANK[class_of(c.source)] <= _RANK[reader]]


def rows(
    registry: Registry,
    table: Table,
    reader: str,
    *,
    level: str | None = None,
    district: str | None = None,
) -> Iterator[dict[str, Any]]:
    """The table's rows for ``reader``, streamed."""
    shown = columns(table, reader)
    with registry.read() as conn:
        admins = _group_admins(conn) if table.name == "groups" else None
        for found in conn.execute(table.query(reader, level, district)).yield_per(2000):
            row = _with_admins(found, admins) if admins is not None else found
            yield {c.name: c.value(row) for c in shown}


def _with_admins(row: Any, admins: tuple[dict[Any, str], dict[Any, str]]) -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(
        **row._asdict(), admin_posts=admins[0].get(row.id), admin_phones=admins[1].get(row.id)
    )
