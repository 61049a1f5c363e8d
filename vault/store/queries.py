"""The reads that commands make most, each defined once, as a SQLAlchemy Core statement.

On PostgreSQL these statements run through SQLAlchemy. On a SQLite registry they never do:
``scripts/gen-docs`` compiles each one to SQLite's SQL in :mod:`vault.store.compiled`, with the
kind of each result column, and :mod:`vault.store.reads` runs that text on the standard library's
``sqlite3`` and turns each value into what SQLAlchemy would have given. ``account show``,
``account list`` and the audit thus pay for SQLAlchemy (about 0.2 s of CPU to import) only on
PostgreSQL, and no query exists in two hand-kept copies. A test runs every query on both
databases over the same records and holds the results identical (``tests/integration/
test_reads.py``), and another that the compiled module is current.

A query is a function named for what it reads, returning a ``Select`` whose parameters are
``sa.bindparam`` by name. An optional filter is written ``(:x IS NULL OR col = :x)`` so that one
statement serves every combination of filters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import sqlalchemy as sa

from vault.store import schema

Query = Callable[[], sa.Select[Any]]
QUERIES: dict[str, Query] = {}


def query(make: Query) -> Query:
    QUERIES[make.__name__] = make
    return make


@cache
def statement(name: str) -> sa.Select[Any]:
    return QUERIES[name]()


def _param(name: str, type_: Any = None) -> Any:
    return sa.bindparam(name, type_=type_)


def _unset(value: Any) -> Any:
    """``:value IS NULL``, with the parameter's type spelled out: PostgreSQL cannot infer the
    type of a parameter that is only ever compared with NULL."""
    return sa.cast(value, value.type).is_(None)


def _optional(column: Any, name: str) -> Any:
    """``column = :name``, or true when the parameter is NULL (a filter not asked for)."""
    value = _param(name, column.type)
    return sa.or_(_unset(value), column == value)


def _raw(column: Any) -> Any:
    """An id as the database stores it (hex text on SQLite): for joining in memory, where
    building a ``uuid.UUID`` for each of 70,000 ids would cost a tenth of an audit."""
    return sa.type_coerce(column, sa.String).label(column.name)


# --- settings ----------------------------------------------------------------------------------


@query
def settings_all() -> sa.Select[Any]:
    s = schema.settings
    return sa.select(s.c.name, s.c.value)


@query
def setting() -> sa.Select[Any]:
    s = schema.settings
    return sa.select(s.c.value).where(s.c.name == _param("name"))


# --- records by their key: what nearly every write looks up first -----------------------------


@query
def post_by_slug() -> sa.Select[Any]:
    p = schema.posts
    return sa.select(p).where(p.c.slug == _param("slug"))


@query
def officer_by_service_id() -> sa.Select[Any]:
    o = schema.officers
    return sa.select(o).where(o.c.service_id == _param("service_id"))


def identity_rows() -> sa.Select[Any]:
    """Identities with their officer's service id, name and grade (not a query by itself: the
    base of :func:`current_identity` and of other readers of identities)."""
    i, o = schema.identities, schema.officers
    return sa.select(i, o.c.service_id, o.c.name, o.c.grade).join(o, o.c.id == i.c.officer_id)


@query
def current_identity() -> sa.Select[Any]:
    i = schema.identities
    return identity_rows().where(
        i.c.officer_id == _param("officer_id", sa.Uuid()), i.c.retired_at.is_(None)
    )


@query
def custody_of_packet() -> sa.Select[Any]:
    c = schema.custody
    return sa.select(c).where(
        c.c.packet_id == _param("packet_id", sa.Uuid()), c.c.direction == _param("direction")
    )


@query
def events_head() -> sa.Select[Any]:
    e = schema.events
    return sa.select(e.c.seq, e.c.hash, e.c.at).order_by(e.c.seq.desc()).limit(1)


# --- one account -------------------------------------------------------------------------------


@query
def account_by_handle() -> sa.Select[Any]:
    a = schema.accounts
    return sa.select(a).where(a.c.platform == _param("platform"), a.c.handle_key == _param("key"))


@query
def account_by_former_handle() -> sa.Select[Any]:
    a, n = schema.accounts, schema.account_names
    return (
        sa.select(a)
        .join(n, n.c.account_id == a.c.id)
        .where(n.c.platform == _param("platform"), n.c.handle_key == _param("key"))
        .order_by(n.c.until.desc())
        .limit(1)
    )


@query
def post_slug() -> sa.Select[Any]:
    p = schema.posts
    return sa.select(p.c.slug).where(p.c.id == _param("id", sa.Uuid()))


@query
def officer_service_id() -> sa.Select[Any]:
    o = schema.officers
    return sa.select(o.c.service_id).where(o.c.id == _param("id", sa.Uuid()))


@query
def former_handles() -> sa.Select[Any]:
    n = schema.account_names
    return (
        sa.select(n.c.handle)
        .where(n.c.account_id == _param("account_id", sa.Uuid()))
        .order_by(n.c.until)
    )


@query
def verification_history() -> sa.Select[Any]:
    h = schema.verification_history
    return (
        sa.select(h)
        .where(h.c.account_id == _param("account_id", sa.Uuid()))
        .order_by(h.c.recorded_at, h.c.on_date)
    )


@query
def contact_overrides() -> sa.Select[Any]:
    o = schema.contact_overrides
    return (
        sa.select(o)
        .where(o.c.account_id == _param("account_id", sa.Uuid()))
        .order_by(o.c.recorded_at)
    )


@query
def page_roles() -> sa.Select[Any]:
    """Page roles, of one account or of one post's accounts or all; ``ended`` true for those
    that ended too."""
    r, a, o, p = schema.page_roles, schema.accounts, schema.officers, schema.posts
    return (
        sa.select(r, a.c.platform, a.c.handle, o.c.service_id, p.c.slug.label("holder_post"))
        .select_from(
            r.join(a, a.c.id == r.c.account_id)
            .outerjoin(o, o.c.id == r.c.officer_id)
            .outerjoin(p, p.c.id == r.c.post_id)
        )
        .where(
            _optional(r.c.account_id, "account_id"),
            _optional(a.c.post_id, "post_id"),
            sa.or_(_param("ended", sa.Boolean()), r.c.until.is_(None)),
        )
        .order_by(a.c.platform, a.c.handle_key, r.c.since, r.c.role)
    )


@query
def verification_counts() -> sa.Select[Any]:
    """How many official accounts of each platform are in each verification state."""
    a = schema.accounts
    return (
        sa.select(a.c.platform, a.c.verification, sa.func.count().label("accounts"))
        .where(a.c.kind == "official")
        .group_by(a.c.platform, a.c.verification)
        .order_by(a.c.platform, a.c.verification)
    )


# --- the listing -------------------------------------------------------------------------------

# The fields of ``account list``, in its order: the listing is exactly these columns.
LISTING = (
    "id", "ref", "platform", "handle", "url", "post", "officer", "kind", "disclaimer",
    "login_email", "login_phone", "recovery_email", "recovery_phone", "twofa_method",
    "twofa_phone", "twofa_holder", "verification", "verification_date", "password_changed_at",
    "totp_changed_at", "recovery_codes_changed_at", "notes_changed_at", "rotation_due_at",
    "rotation_reason",
)  # fmt: skip


# The columns of the listing's table and CSV forms.
LISTING_TABLE = (
    "ref", "post", "kind", "verification", "login_email", "login_phone", "twofa_method",
    "rotation_due_at",
)  # fmt: skip


def _listing(columns: tuple[str, ...]) -> sa.Select[Any]:
    """The listing's rows with ``columns``: every filter optional (NULL), archived accounts
    only when asked."""
    a, p, o = schema.accounts, schema.posts, schema.officers
    named = {
        "ref": (a.c.platform + ":" + a.c.handle).label("ref"),
        "post": p.c.slug.label("post"),
        "officer": o.c.service_id.label("officer"),
    }
    district = _param("district", sa.String())
    return (
        sa.select(*(named[name] if name in named else a.c[name] for name in columns))
        .select_from(a.outerjoin(p, p.c.id == a.c.post_id).outerjoin(o, o.c.id == a.c.officer_id))
        .where(
            _optional(p.c.slug, "post"),
            sa.or_(_unset(district), sa.func.lower(p.c.district) == district),
            _optional(p.c.level, "level"),
            _optional(a.c.platform, "platform"),
            _optional(a.c.verification, "status"),
            _optional(a.c.kind, "kind"),
            sa.or_(_param("archived", sa.Boolean()), a.c.archived_at.is_(None)),
        )
        .order_by(a.c.platform, a.c.handle_key)
    )


@query
def account_listing() -> sa.Select[Any]:
    """``account list --json``: every field of the listing."""
    return _listing(LISTING)


@query
def account_listing_table() -> sa.Select[Any]:
    """``account list`` as a table or CSV: the columns people read, nothing to convert that
    is not shown."""
    return _listing(LISTING_TABLE)


# --- the audit's snapshot, and what it verifies ------------------------------------------------
# Ids come as the database stores them (:func:`_raw`): the audit joins on them in memory.


def _all_raw(table: sa.Table, names: Iterable[str] | None = None) -> list[Any]:
    """The columns of ``table`` (only ``names``, when given), ids as stored."""
    columns = table.c if names is None else [table.c[n] for n in names]
    return [_raw(c) if isinstance(c.type, sa.Uuid) else c for c in columns]


# The columns of posts, officers and tenures the audit's rules read. The snapshot keeps every
# post, officer and tenure for the whole audit: the columns it never read (above all the times
# each was made and changed, parsed into datetimes) took 35 of the 160 ms of loading it at
# 100,000 accounts, and 3 MiB.
AUDIT_POST = ("id", "slug", "title", "level", "district", "email", "phone")
AUDIT_OFFICER = ("id", "service_id", "name", "grade", "email", "phone")
AUDIT_TENURE = ("post_id", "officer_id", "start_date", "end_date")


@query
def audit_posts() -> sa.Select[Any]:
    """Posts in use (an abolished post leaves the audit)."""
    p = schema.posts
    return sa.select(*_all_raw(p, AUDIT_POST)).where(p.c.abolished_at.is_(None))


@query
def audit_officers() -> sa.Select[Any]:
    o = schema.officers
    return sa.select(*_all_raw(o, AUDIT_OFFICER)).where(o.c.retired_at.is_(None))


@query
def audit_tenures() -> sa.Select[Any]:
    t = schema.tenures
    return sa.select(*_all_raw(t, AUDIT_TENURE)).order_by(t.c.start_date, t.c.created_at, t.c.id)


@query
def audit_identities() -> sa.Select[Any]:
    """Officers with a current identity."""
    i = schema.identities
    return sa.select(_raw(i.c.officer_id)).where(i.c.retired_at.is_(None)).order_by(i.c.officer_id)


AUDIT_ACCOUNT = (
    "id", "platform", "handle", "post_id", "officer_id", "kind", "disclaimer", "login_email",
    "login_phone", "recovery_email", "recovery_phone", "twofa_method", "twofa_phone",
    "verification", "verification_date", "password_changed_at", "rotation_due_at",
    "rotation_reason", "escrowed_by",
)  # fmt: skip


@query
def audit_accounts() -> sa.Select[Any]:
    """Accounts in use, with whether each holds a TOTP seed (not the value) and the sealed
    password, which an audit with secrets opens."""
    a = schema.accounts
    return sa.select(
        *(_raw(a.c[c]) if isinstance(a.c[c].type, sa.Uuid) else a.c[c] for c in AUDIT_ACCOUNT),
        a.c.password_sealed,
        a.c.totp_sealed.is_not(None).label("has_totp"),
    ).where(
        a.c.archived_at.is_(None)
    )  # in no order: sorting 100,000 rows here was a tenth of the audit's reading


# How many ids a query by a list of ids takes (parameters ``id_0`` ... ``id_99``); written into
# the compiled catalog for :func:`vault.store.reads.rows_by_ids`.
IDS_AT_ONCE = 100


@query
def audit_passwords_of() -> sa.Select[Any]:
    """The sealed passwords of accounts by id (:func:`vault.store.reads.rows_by_ids`): those an
    audit reads again because their passwords may be shared with another's."""
    a = schema.accounts
    ids = [_param(f"id_{i}", a.c.id.type) for i in range(IDS_AT_ONCE)]
    return sa.select(
        _raw(a.c.id), a.c.platform, a.c.handle, _raw(a.c.post_id), a.c.password_sealed
    ).where(a.c.id.in_(ids))


@query
def audit_overrides() -> sa.Select[Any]:
    o = schema.contact_overrides
    return sa.select(_raw(o.c.account_id), o.c.field, o.c.value, o.c.reason).order_by(
        o.c.recorded_at, o.c.id
    )


@query
def audit_groups() -> sa.Select[Any]:
    g = schema.groups
    return sa.select(*_all_raw(g)).where(g.c.archived_at.is_(None)).order_by(g.c.slug)


@query
def audit_group_admins() -> sa.Select[Any]:
    ga = schema.group_admins
    return sa.select(*_all_raw(ga)).order_by(ga.c.group_id, ga.c.post_id)


@query
def audit_group_admin_phones() -> sa.Select[Any]:
    gp = schema.group_admin_phones
    return sa.select(*_all_raw(gp)).order_by(gp.c.group_id, gp.c.phone)


@query
def audit_custody() -> sa.Select[Any]:
    c = schema.custody
    return sa.select(*_all_raw(c)).order_by(c.c.recorded_at, c.c.id)


@query
def audit_roles() -> sa.Select[Any]:
    """Open page roles."""
    r = schema.page_roles
    return sa.select(*_all_raw(r)).where(r.c.until.is_(None)).order_by(r.c.since, r.c.id)


@query
def events_raw() -> sa.Select[Any]:
    """Every log entry in order, with its id and time as stored: a row edited by hand (an id
    or a time that no longer parses) must be found by whoever reads the log, not crash them."""
    e = schema.events
    return sa.select(*(_raw(c) if c.name in ("id", "at") else c for c in e.c)).order_by(e.c.seq)


@query
def events_of_action_since() -> sa.Select[Any]:
    """Log entries of one action made at or after a moment."""
    e = schema.events
    return events_raw().where(
        e.c.action == _param("action"), e.c.at >= _param("since", e.c.at.type)
    )


@query
def stored_checkpoints() -> sa.Select[Any]:
    c = schema.checkpoints
    return sa.select(c.c.size, c.c.head_hash, c.c.signature).order_by(c.c.created_at, c.c.id)


@query
def signing_keys_of() -> sa.Select[Any]:
    """The signing keys, current and retired, of an officer (by service id)."""
    i, o = schema.identities, schema.officers
    return (
        sa.select(i.c.signing_key)
        .join(o, o.c.id == i.c.officer_id)
        .where(o.c.service_id == _param("service_id"))
        .order_by(i.c.created_at)
    )


@query
def transfer_lines() -> sa.Select[Any]:
    """Transfer orders' lines with the officer and the posts named, one order or all."""
    t, o, p = schema.transfer_orders, schema.officers, schema.posts
    from_post, to_post = p.alias("from_post"), p.alias("to_post")
    return (
        sa.select(
            *_all_raw(t),
            o.c.service_id,
            from_post.c.slug.label("from_slug"),
            to_post.c.slug.label("to_slug"),
        )
        .join(o, o.c.id == t.c.officer_id)
        .outerjoin(from_post, from_post.c.id == t.c.from_post_id)
        .outerjoin(to_post, to_post.c.id == t.c.to_post_id)
        .where(_optional(t.c.order_no, "order_no"))
        .order_by(t.c.order_date, t.c.order_no, o.c.service_id)
    )


@query
def post_account_counts() -> sa.Select[Any]:
    """For each post, its accounts and how many of them await rotation."""
    a = schema.accounts
    return (
        sa.select(
            _raw(a.c.post_id),
            sa.func.count().label("accounts"),
            sa.func.count(a.c.rotation_due_at).label("due"),
        )
        .where(a.c.post_id.is_not(None))
        .group_by(a.c.post_id)
        .order_by(a.c.post_id)
    )


@query
def official_domains() -> sa.Select[Any]:
    d = schema.official_domains
    return sa.select(d.c.domain).order_by(d.c.domain)


@query
def official_phones() -> sa.Select[Any]:
    """Every post's and officer's phone number."""
    p, o = schema.posts, schema.officers
    both = sa.union(
        sa.select(p.c.phone.label("phone")).where(p.c.phone.is_not(None)),
        sa.select(o.c.phone.label("phone")).where(o.c.phone.is_not(None)),
    ).subquery("phones")
    return sa.select(both.c.phone).order_by(both.c.phone)


@query
def escrow_recipients() -> sa.Select[Any]:
    t = schema.escrow_recipients
    return sa.select(t.c.recipient).order_by(t.c.recipient)


@query
def registry_key_id() -> sa.Select[Any]:
    d = schema.data_keys
    return sa.select(d.c.id).where(d.c.scope == "registry", d.c.retired_at.is_(None))


@query
def key_slots_of() -> sa.Select[Any]:
    s = schema.key_slots
    # Slots made together (init, a rotation) in the order they are made: passphrase first.
    made = sa.case(
        {"passphrase": 0, "recovery": 1, "keyring": 2, "age": 3}, value=s.c.kind, else_=4
    )
    return (
        sa.select(s)
        .where(s.c.key_id == _param("key_id", sa.Uuid()))
        .order_by(s.c.created_at, made, s.c.label, s.c.id)
    )


# Queries whose result is printed as JSON as it is: on SQLite, SQLite writes each row's JSON.
JSON = ("account_listing",)


# --- compiling for SQLite ------------------------------------------------------------------------


def kind_of(type_: Any) -> str | None:
    """How a SQLite value becomes the Python value SQLAlchemy gives for ``type_``."""
    if isinstance(type_, schema.UTCDateTime):
        return "utc"
    if isinstance(type_, sa.Uuid):
        return "uuid"
    if isinstance(type_, sa.Boolean):
        return "bool"
    if isinstance(type_, sa.Date):
        return "date"
    return None


def _json_value(column: Any, kind: str | None) -> Any:
    """``column`` as SQLite's JSON of the Python value :func:`vault.store.reads.json_value`
    makes of it: a UUID with hyphens, a moment in ISO 8601 with ``+00:00`` (no fraction when it
    is zero), true or false."""
    if kind == "uuid":
        parts = [sa.func.substr(column, start, size) for start, size in JSON_UUID]
        return sa.func.lower(sa.func.printf("%s-%s-%s-%s-%s", *parts))
    if kind == "utc":
        day, clock = sa.func.substr(column, 1, 10), sa.func.substr(column, 12, 8)
        fraction = sa.func.substr(column, 20)
        return sa.case(
            (column.is_(None), sa.null()),
            (fraction == ".000000", day + "T" + clock + "+00:00"),
            else_=day + "T" + clock + fraction + "+00:00",
        )
    if kind == "bool":
        return sa.case(
            (column.is_(None), sa.null()),
            (column == sa.true(), sa.func.json("true")),
            else_=sa.func.json("false"),
        )
    return column


JSON_UUID = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


def _constants(compiled: Any) -> dict[str, Any]:
    """The values SQLAlchemy bound itself (a LIMIT, a literal): the query's own parameters have
    none."""
    return {k: v for k, v in compiled.params.items() if v is not None}


def compiled_module() -> str:
    """The text of :mod:`vault.store.compiled`: each query as SQLite's SQL, its columns and
    their kinds, and the constants SQLAlchemy bound (a LIMIT)."""
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect(paramstyle="named")
    lines = [
        '"""Every query of :mod:`vault.store.queries` compiled for SQLite (name: SQL, column',
        "names, column kinds, bound constants), and the JSON form of those printed as JSON.",
        "",
        "Generated by scripts/gen-docs; a test holds it to the queries. Do not edit.",
        '"""',
        "",
        "from typing import Any",
        "",
        "Compiled = tuple[str, tuple[str, ...], tuple[str | None, ...], dict[str, Any]]",
        f"IDS_AT_ONCE = {IDS_AT_ONCE}  # the ids a query by a list of ids takes",
        "QUERIES: dict[str, Compiled] = {",
    ]
    for name in sorted(QUERIES):
        stmt = statement(name)
        columns = list(stmt.selected_columns)
        names = tuple(str(c.key) for c in columns)
        if len(set(names)) != len(names) or not all(n.isidentifier() for n in names):
            raise ValueError(f"query {name}: column names must be distinct identifiers: {names}")
        kinds = tuple(kind_of(c.type) for c in columns)
        compiled = stmt.compile(dialect=dialect)
        constants = _constants(compiled)
        lines.append(f"    {name!r}: (")
        lines.append(f"        {_sql(str(compiled))},")
        lines.append(f"        {names!r},")
        lines.append(f"        {kinds!r},")
        lines.append(f"        {constants!r},")
        lines.append("    ),")
    lines.append("}")
    lines.append("JSON: dict[str, tuple[str, dict[str, Any]]] = {")
    for name in JSON:
        stmt = statement(name)
        pairs: list[Any] = []
        for column in stmt.selected_columns:
            key: Any = sa.literal_column(f"'{column.key}'")  # an identifier: checked above
            pairs.extend([key, _json_value(column, kind_of(column.type))])
        compiled = stmt.with_only_columns(sa.func.json_object(*pairs)).compile(dialect=dialect)
        lines.append(f"    {name!r}: (")
        lines.append(f"        {_sql(str(compiled))},")
        lines.append(f"        {_constants(compiled)!r},")
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _sql(text: str) -> str:
    """SQL as a Python literal, in pieces of at most about 90 characters."""
    words, pieces, line = " ".join(text.split("\n")).split(" "), [], ""
    for word in words:
        if line and len(line) + len(word) > 88:
            pieces.append(repr(line + " "))
            line = ""
        line = f"{line} {word}" if line else word
    pieces.append(repr(line))
    return "(\n            " + "\n            ".join(pieces) + "\n        )"
