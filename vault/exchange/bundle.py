"""A post's whole record as plain data: what a handover packet carries, and how it is taken in.

:func:`export_post` gathers the post, its tenures, every account with contacts, verification
history, accepted overrides and opened secrets, and the groups the post administers.
:func:`import_post` writes such a bundle into another registry inside the caller's transaction:
secrets are sealed again under the receiving registry's key, and an account that already belongs
to a different post there is refused (the whole import with it).
"""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from vault.errors import ConflictError, InvalidInputError
from vault.model import AccountRef, Level, parse_platform
from vault.records import accounts, groups, posts
from vault.records.credentials import secrets_of
from vault.records.sealing import COLUMNS, sealed_secrets
from vault.store import bulk, reads, schema

if TYPE_CHECKING:
    from vault.store.storage import Registry, Tx

ACCOUNT_FIELDS = ("platform", "handle", *accounts.DESCRIPTIVE)
SECRET_KINDS = tuple(COLUMNS)


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def official_accounts(conn: sa.Connection, post_id: uuid.UUID) -> list[Any]:
    """The post's official accounts, in a stable order: what a packet or report carries."""
    a = schema.accounts
    return list(
        conn.execute(
            sa.select(a)
            .where(a.c.post_id == post_id, a.c.kind == "official")
            .order_by(a.c.platform, a.c.handle_key)
        )
    )


def account_facts(conn: sa.Connection, row: Any) -> dict[str, Any]:
    """An account as a packet or rotation report carries it, less its secrets."""
    return {
        **{f: getattr(row, f) for f in ACCOUNT_FIELDS},
        "verification_date": _iso(row.verification_date),
        "history": [{**h.to_dict()} for h in accounts.history_of(conn, row.id)],
        "overrides": [o.to_dict() for o in accounts.overrides_of(conn, row.id)],
        "changed": {f"{k}_changed_at": _iso(getattr(row, f"{k}_changed_at")) for k in SECRET_KINDS},
        "roles": [
            {"holder": r.holder, "role": r.role, "since": _iso(r.since), "until": _iso(r.until)}
            for r in accounts.roles_of(conn, row.id, ended=True)
        ],
    }


def account_secrets(conn: sa.Connection, registry: Registry, row: Any) -> dict[str, Any]:
    """An account's secrets as a packet or escrow copy carries them."""
    secrets = secrets_of(conn, registry, row)
    seed = None
    if secrets.totp is not None:
        seed = {k: v for k, v in secrets.totp.items() if k != "uri"}
    return {
        "password": secrets.password,
        "totp": seed,
        "recovery_codes": secrets.recovery_codes,
        "notes": secrets.notes,
    }


def export_post(conn: sa.Connection, registry: Registry, post_slug: str) -> dict[str, Any]:
    post = posts.row_by_slug(conn, post_slug)
    out_accounts = [
        {**account_facts(conn, row), "secrets": account_secrets(conn, registry, row)}
        for row in official_accounts(conn, post.id)
    ]
    g, ga = schema.groups, schema.group_admins
    group_ids = [
        r for r in conn.execute(sa.select(ga.c.group_id).where(ga.c.post_id == post.id)).scalars()
    ]
    out_groups = [
        groups.to_group(r, admins).to_dict()
        for r in conn.execute(sa.select(g).where(g.c.id.in_(group_ids)).order_by(g.c.slug))
        for admins in [groups.admins_of(conn, r.id)]
    ]
    for group in out_groups:
        group.pop("id")
    return {
        "post": {
            "slug": post.slug,
            "title": post.title,
            "department": post.department,
            "level": post.level,
            "district": post.district,
            "email": post.email,
            "phone": post.phone,
        },
        "tenures": [t.to_dict() for t in posts.tenures_of(conn, post.id)],
        "accounts": out_accounts,
        "groups": out_groups,
    }


def _date(value: str | None) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def _datetime(value: str | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(value)


def _ensure_post(tx: Tx, data: dict[str, Any]) -> Any:
    t = schema.posts
    slug = data["slug"]
    Level(data["level"])
    values = {
        k: data.get(k) for k in ("title", "department", "level", "district", "email", "phone")
    }
    row = reads.first(tx.conn, "post_by_slug", slug=slug)
    if row is None:
        post_id = uuid.uuid4()
        tx.conn.execute(
            t.insert().values(id=post_id, slug=slug, created_at=tx.now, updated_at=tx.now, **values)
        )
        tx.log("post.add", "post", post_id, slug, source="handover packet")
    else:
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if changed:
            tx.conn.execute(t.update().where(t.c.id == row.id).values(updated_at=tx.now, **changed))
            tx.log("post.edit", "post", row.id, slug, source="handover packet", **changed)
    return posts.row_by_slug(tx.conn, slug)


def _account_values(data: dict[str, Any]) -> dict[str, Any]:
    """The columns an entry sets: only those it carries (a format 1 rotation report carries no
    contacts, and must not clear them)."""
    values = {f: data[f] for f in ACCOUNT_FIELDS if f not in ("platform", "handle") and f in data}
    if "verification_date" in data:
        values["verification_date"] = _date(data["verification_date"])
    for key, stamp in data.get("changed", {}).items():
        if f"{key.removesuffix('_changed_at')}" in SECRET_KINDS:
            values[key] = _datetime(stamp)
    return values


def apply_account_facts(tx: Tx, account_id: uuid.UUID, data: dict[str, Any]) -> dict[str, Any]:
    """Set an account's facts from a packet or report entry (contacts, 2FA, verification, and
    when secrets changed), and merge its verification history and contact overrides. Returns
    the values set."""
    values = _account_values(data)
    _update_accounts(tx, [(account_id, values)])
    _merge_records(tx, [(account_id, data)])
    return values


def _update_accounts(tx: Tx, changes: list[tuple[uuid.UUID, dict[str, Any]]]) -> None:
    """Set each account's values: one statement for each set of columns (a packet's entries
    carry the same ones), run for all its accounts at once."""
    rows = [{**values, "updated_at": tx.now, "_id": account_id} for account_id, values in changes]
    for keys, group in _by_columns(rows).items():
        columns = [c for c in keys if c != "_id"]
        bulk.update_many(
            tx.conn,
            schema.accounts,
            columns,
            ([*map(row.get, columns), row["_id"]] for row in group),
        )


def _insert(tx: Tx, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Rows straight to the driver (:mod:`vault.store.bulk`), one executemany per set of
    columns: SQLAlchemy's parameter processing of a packet's 200 accounts was a tenth of a
    claim's writing."""
    for group in _by_columns(rows).values():
        bulk.insert_dicts(tx.conn, table, group)


def _by_columns(rows: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Rows grouped by the columns they set: one executemany per group."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return groups


def _merge_records(tx: Tx, entries: list[tuple[uuid.UUID, dict[str, Any]]]) -> None:
    """Merge the accounts' verification histories, contact overrides and page roles from their
    entries, each kind read once for all the accounts and written in one statement."""
    ids = [account_id for account_id, _ in entries]
    h, o = schema.verification_history, schema.contact_overrides
    seen_history: set[tuple[Any, ...]] = set()
    seen_overrides: set[tuple[Any, ...]] = set()
    for chunk in bulk.chunks(ids):
        seen_history.update(
            tuple(r)
            for r in tx.conn.execute(
                sa.select(h.c.account_id, h.c.to_status, h.c.on_date, h.c.recorded_at).where(
                    h.c.account_id.in_(chunk)
                )
            )
        )
        seen_overrides.update(
            tuple(r)
            for r in tx.conn.execute(
                sa.select(o.c.account_id, o.c.field, o.c.value).where(o.c.account_id.in_(chunk))
            )
        )
    history, overrides = [], []
    for account_id, data in entries:
        for entry in data.get("history", []):
            key = (
                account_id,
                entry["to_status"],
                _date(entry["on_date"]),
                _datetime(entry["recorded_at"]),
            )
            if key in seen_history:
                continue
            seen_history.add(key)
            history.append(
                {
                    "id": uuid.uuid4(), "account_id": account_id,
                    "from_status": entry.get("from_status"), "to_status": key[1],
                    "on_date": key[2], "evidence": entry.get("evidence"),
                    "recorded_at": key[3], "recorded_by": entry["recorded_by"],
                }
            )  # fmt: skip
        for entry in data.get("overrides", []):
            held = (account_id, entry["field"], entry["value"])
            if held in seen_overrides:
                continue
            seen_overrides.add(held)
            overrides.append(
                {
                    "id": uuid.uuid4(), "account_id": account_id, "field": entry["field"],
                    "value": entry["value"], "reason": entry["reason"],
                    "recorded_at": _datetime(entry["recorded_at"]),
                    "recorded_by": entry["recorded_by"],
                }
            )  # fmt: skip
    _insert(tx, h, history)
    _insert(tx, o, overrides)
    _mirror_roles(
        tx, [(account_id, data["roles"]) for account_id, data in entries if "roles" in data]
    )


def _mirror_roles(tx: Tx, given: list[tuple[uuid.UUID, list[dict[str, Any]]]]) -> None:
    """Merge the sender's page roles into this registry's: a role it ended is ended here, and an
    open role this registry has never recorded is added. Only what the sender states changes
    anything: a role here whose holder the sender's registry does not know (another district's
    post, say) is not in its list and stays as it is. Holders unknown here are skipped."""
    if not given:
        return
    o, p, r = schema.officers, schema.posts, schema.page_roles
    have: dict[tuple[Any, ...], Any] = {}
    for chunk in bulk.chunks([account_id for account_id, _ in given]):
        for row in tx.conn.execute(sa.select(r).where(r.c.account_id.in_(chunk))):
            have[(row.account_id, row.officer_id, row.post_id, row.role, row.since)] = row
    named = {str(item["holder"]) for _, items in given for item in items}
    slugs = sorted(h[5:] for h in named if h.startswith("post:"))
    service_ids = sorted(h for h in named if not h.startswith("post:"))
    holders: dict[str, tuple[Any, Any]] = {}
    for chunk in bulk.chunks(slugs):
        for slug, post_id in tx.conn.execute(
            sa.select(p.c.slug, p.c.id).where(p.c.slug.in_(chunk))
        ):
            holders[f"post:{slug}"] = (None, post_id)
    for chunk in bulk.chunks(service_ids):
        for service_id, officer_id in tx.conn.execute(
            sa.select(o.c.service_id, o.c.id).where(o.c.service_id.in_(chunk))
        ):
            holders[service_id] = (officer_id, None)
    # Who holds each role (account, officer, post, role) in a role still open.
    open_roles = {key[:4] for key, row in have.items() if row.until is None}
    ended: list[tuple[dt.date, Any]] = []
    added: list[dict[str, Any]] = []
    for account_id, items in given:
        for item in items:
            key_holder = holders.get(str(item["holder"]))
            if key_holder is None:
                continue
            role, since = str(item["role"]), dt.date.fromisoformat(item["since"])
            until = _date(item.get("until"))
            here = have.get((account_id, *key_holder, role, since))
            if here is not None:
                if until is not None and here.until is None:
                    ended.append((until, here.id))
                continue
            if until is not None or (account_id, *key_holder, role) not in open_roles:
                new_role = {
                    "id": uuid.uuid4(), "account_id": account_id, "officer_id": key_holder[0],
                    "post_id": key_holder[1], "role": role, "since": since, "until": until,
                    "recorded_at": tx.now, "recorded_by": tx.actor,
                }  # fmt: skip
                added.append(new_role)
                have[(account_id, *key_holder, role, since)] = SimpleNamespace(**new_role)
                if until is None:
                    open_roles.add((account_id, *key_holder, role))
    bulk.update_many(tx.conn, r, ["until"], ended)
    _insert(tx, r, added)


def import_post(tx: Tx, bundle: dict[str, Any], *, source: str) -> dict[str, Any]:
    """Write ``bundle`` into the registry of ``tx``; return counts of what was added or updated.

    An account of the bundle that exists here under another post is a conflict: importing it
    would silently move an account between posts. Accounts are read, written and logged in bulk:
    a statement per kind of record, not per account.
    """
    try:
        post = _ensure_post(tx, bundle["post"])
        wanted = [
            (AccountRef(parse_platform(a["platform"]), a["handle"]), a) for a in bundle["accounts"]
        ]
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInputError(f"the handover data is malformed ({type(exc).__name__})") from None
    a = schema.accounts
    existing: dict[tuple[str, str], Any] = {}
    for chunk in bulk.chunks(sorted({ref.key for ref, _ in wanted})):
        for row in tx.conn.execute(
            sa.select(a.c.id, a.c.platform, a.c.handle_key, a.c.post_id).where(
                a.c.handle_key.in_(chunk)
            )
        ):
            existing[(row.platform, row.handle_key)] = row
    inserts: list[dict[str, Any]] = []
    changes: list[tuple[uuid.UUID, dict[str, Any]]] = []
    merged: list[tuple[uuid.UUID, dict[str, Any]]] = []
    logged: list[tuple[str, str, object, str | None, dict[str, Any]]] = []
    for ref, data in wanted:
        found = existing.get((ref.platform.value, ref.key))
        if found is not None and found.post_id not in (None, post.id):
            owner = tx.conn.execute(
                sa.select(schema.posts.c.slug).where(schema.posts.c.id == found.post_id)
            ).scalar()
            raise ConflictError(
                f"account {ref} already belongs to post {owner} in this "
                "registry; nothing was claimed"
            )
        account_id = found.id if found is not None else uuid.uuid4()
        values = _account_values(data)
        sealed = sealed_secrets(tx, _Place(account_id, post.id), data.get("secrets", {}))
        if found is None:
            inserts.append(
                {
                    "id": account_id, "platform": ref.platform.value, "handle": ref.handle,
                    "handle_key": ref.key, "post_id": post.id, "officer_id": None,
                    "created_at": tx.now, "updated_at": tx.now, **values, **sealed,
                }
            )  # fmt: skip
        else:
            changes.append((account_id, {"post_id": post.id, **values, **sealed}))
        merged.append((account_id, data))
        logged.append(
            ("account.import", "account", account_id, str(ref),
             {"source": source, "verification": values["verification"]})
        )  # fmt: skip
    _insert(tx, a, inserts)
    _update_accounts(tx, changes)
    _merge_records(tx, merged)
    tx.log_many(logged)
    joined = 0
    for group in bundle.get("groups", []):
        joined += _ensure_group_admin(tx, group, post)
    return {
        "post": post.slug,
        "accounts_added": len(inserts),
        "accounts_updated": len(changes),
        "groups": joined,
    }


class _Place(NamedTuple):
    """What sealing needs of an account: its id (bound into each value) and its post (whose key
    seals it on a registry with per-post keys)."""

    id: uuid.UUID
    post_id: uuid.UUID


def _ensure_group_admin(tx: Tx, group: dict[str, Any], post: Any) -> int:
    g, ga = schema.groups, schema.group_admins
    row = tx.conn.execute(sa.select(g).where(g.c.slug == group["slug"])).first()
    if row is None:
        groups.add_in(
            tx,
            group["slug"],
            groups.GroupFields(
                group["name"],
                group["level"],
                group["platform"],
                group.get("district"),
                group.get("department"),
            ),
            [post.slug],
        )
        return 1
    if not tx.conn.execute(
        sa.select(ga).where(ga.c.group_id == row.id, ga.c.post_id == post.id)
    ).first():
        tx.conn.execute(ga.insert().values(group_id=row.id, post_id=post.id))
        tx.log(
            "group.admin.add", "group", row.id, row.slug, post=post.slug, source="handover packet"
        )
    return 1
