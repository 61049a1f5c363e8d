"""Accounts: the social media accounts the registry exists for, their contacts and verification.

Official accounts must depend only on official contacts: a personal email or an unregistered mobile
as login or recovery contact is refused unless the user gives a reason, which is recorded as an
override (and still reported by the audit, at a lower severity). Secrets are not handled here but
in :mod:`vault.records.credentials`, which seals them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault.errors import (
    AlreadyExistsError,
    InvalidInputError,
    NotFoundError,
    PersonalContactError,
)
from vault.model import (
    Account,
    AccountKind,
    AccountRef,
    ContactField,
    Credentials,
    Override,
    Platform,
    Status,
    TwoFactor,
    VerificationChange,
    parse_kind,
    parse_level,
    parse_platform,
    parse_status,
    parse_twofa,
)
from vault.records import officers, posts, verification
from vault.records.contacts import OfficialContacts, load_official, normalise_email, normalise_phone
from vault.records.sealing import credential_state, reseal_moved
from vault.store import schema
from vault.store.settings import read as read_setting

if TYPE_CHECKING:
    from vault.store.storage import Registry, Tx

EMAIL_FIELDS = (ContactField.LOGIN_EMAIL, ContactField.RECOVERY_EMAIL)
PHONE_FIELDS = (ContactField.LOGIN_PHONE, ContactField.RECOVERY_PHONE)


@dataclass(frozen=True)
class AccountFields:
    """What a user sets on an account; ``None`` leaves a field as it is, ``""`` clears it."""

    post: str | None = None
    officer: str | None = None
    kind: str | None = None
    url: str | None = None
    disclaimer: bool | None = None
    login_email: str | None = None
    login_phone: str | None = None
    recovery_email: str | None = None
    recovery_phone: str | None = None
    twofa: str | None = None
    twofa_phone: str | None = None
    twofa_holder: str | None = None
    allow_personal: str | None = None


@dataclass(frozen=True)
class Filters:
    post: str | None = None
    district: str | None = None
    level: str | None = None
    platform: str | None = None
    status: str | None = None
    kind: str | None = None
    archived: bool = False  # include archived accounts


def row_by_ref(conn: sa.Connection, ref: str | AccountRef) -> sa.Row[Any]:
    """The account a reference names: by its handle, or by a handle it had before a rename."""
    parsed = ref if isinstance(ref, AccountRef) else AccountRef.parse(ref)
    t, n = schema.accounts, schema.account_names
    row = conn.execute(
        sa.select(t).where(t.c.platform == parsed.platform.value, t.c.handle_key == parsed.key)
    ).first()
    if row is None:
        row = conn.execute(
            sa.select(t)
            .join(n, n.c.account_id == t.c.id)
            .where(n.c.platform == parsed.platform.value, n.c.handle_key == parsed.key)
            .order_by(n.c.until.desc())
            .limit(1)
        ).first()
    if row is None:
        raise NotFoundError(f"no account {str(parsed)!r}; see 'handover account list'")
    return row


def ref_of(row: Any) -> str:
    return f"{row.platform}:{row.handle}"


def _resolve_owner(tx: Tx, fields: AccountFields, values: dict[str, Any]) -> None:
    if fields.post is not None:
        values["post_id"] = posts.row_by_slug(tx.conn, fields.post).id if fields.post else None
    if fields.officer is not None:
        values["officer_id"] = (
            officers.row_by_service_id(tx.conn, fields.officer).id if fields.officer else None
        )


def _clean_contacts(tx: Tx, fields: AccountFields, values: dict[str, Any]) -> None:
    region = read_setting(tx.conn, "default_region")
    for f in EMAIL_FIELDS:
        given = getattr(fields, f.value)
        if given is not None:
            values[f.value] = normalise_email(given) if given.strip() else None
    for f in PHONE_FIELDS:
        given = getattr(fields, f.value)
        if given is not None:
            values[f.value] = normalise_phone(given, region) if given.strip() else None
    if fields.twofa_phone is not None:
        values["twofa_phone"] = (
            normalise_phone(fields.twofa_phone, region, mobile=True)
            if fields.twofa_phone.strip()
            else None
        )
        if values["twofa_phone"] and fields.twofa is None:
            values["twofa_method"] = TwoFactor.SMS.value
    if fields.twofa is not None:
        values["twofa_method"] = parse_twofa(fields.twofa).value
    if fields.twofa_holder is not None:
        values["twofa_holder"] = fields.twofa_holder.strip() or None


def _overridden(conn: sa.Connection, account_id: uuid.UUID | None) -> set[tuple[str, str]]:
    if account_id is None:
        return set()
    t = schema.contact_overrides
    return {
        (r.field, r.value)
        for r in conn.execute(sa.select(t.c.field, t.c.value).where(t.c.account_id == account_id))
    }


def _check_official(
    tx: Tx,
    account_id: uuid.UUID,
    ref: str,
    merged: dict[str, Any],
    changed: dict[str, Any],
    reason: str | None,
    official: OfficialContacts | None = None,
) -> list[tuple[ContactField, str]]:
    """Refuse new non-official contacts of an official account unless a reason is given.

    Returns the (field, value) pairs that need a recorded override. A value already overridden
    for this account (an edit that leaves it in place) needs nothing new.
    """
    if merged["kind"] != AccountKind.OFFICIAL.value:
        return []
    official = official or load_official(tx.conn)
    existing = _overridden(tx.conn, account_id)
    needed: list[tuple[ContactField, str]] = []
    for f in (*EMAIL_FIELDS, *PHONE_FIELDS):
        value = changed.get(f.value)
        if value and not official.is_official(value) and (f.value, value) not in existing:
            needed.append((f, value))
    if needed and not (reason and reason.strip()):
        f, value = needed[0]
        raise PersonalContactError(
            f"{ref}: {f.value.replace('_', ' ')} {official.why_not(value)}; official accounts "
            "must use the post's official contacts (give --allow-personal REASON to record an "
            "exception)"
        )
    return needed


def _record_overrides(
    tx: Tx, account_id: uuid.UUID, ref: str, needed: list[tuple[ContactField, str]], reason: str
) -> None:
    for f, value in needed:
        tx.conn.execute(
            schema.contact_overrides.insert().values(
                id=uuid.uuid4(),
                account_id=account_id,
                field=f.value,
                value=value,
                reason=reason.strip(),
                recorded_at=tx.now,
                recorded_by=tx.actor,
            )
        )
        tx.log(
            "account.override",
            "account",
            account_id,
            ref,
            field=f.value,
            value=value,
            reason=reason.strip(),
        )


def _check_kind(merged: dict[str, Any]) -> None:
    if merged["kind"] == AccountKind.PERSONAL.value and merged.get("officer_id") is None:
        raise InvalidInputError("a personal account needs --officer, the officer it belongs to")
    if merged["kind"] == AccountKind.OFFICIAL.value and merged.get("disclaimer") is not None:
        raise InvalidInputError("the 'views are my own' disclaimer is for personal accounts")


def add_in(
    tx: Tx,
    ref: AccountRef,
    fields: AccountFields,
    status: Status = Status.UNVERIFIED,
    status_date: dt.date | None = None,
    evidence: str | None = None,
) -> uuid.UUID:
    t = schema.accounts
    if tx.conn.execute(
        sa.select(t.c.id).where(t.c.platform == ref.platform.value, t.c.handle_key == ref.key)
    ).first():
        raise AlreadyExistsError(f"account {ref} already exists")
    values: dict[str, Any] = {
        "kind": parse_kind(fields.kind).value if fields.kind else AccountKind.OFFICIAL.value,
        "twofa_method": TwoFactor.UNKNOWN.value,
        "url": (fields.url or "").strip() or None,
        "disclaimer": fields.disclaimer,
    }
    if values["kind"] == AccountKind.PERSONAL.value and values["disclaimer"] is None:
        values["disclaimer"] = False
    _resolve_owner(tx, fields, values)
    _clean_contacts(tx, fields, values)
    _check_kind(values)
    account_id = uuid.uuid4()
    needed = _check_official(tx, account_id, str(ref), values, values, fields.allow_personal)
    on = status_date or tx.now.astimezone().date()
    # An account registered as unverified has no verification date: its recorded history may
    # begin with an application made before the registry knew of it.
    known_since = None if status is Status.UNVERIFIED and status_date is None else on
    tx.conn.execute(
        t.insert().values(
            id=account_id,
            platform=ref.platform.value,
            handle=ref.handle,
            handle_key=ref.key,
            verification=status.value,
            verification_date=known_since,
            created_at=tx.now,
            updated_at=tx.now,
            **values,
        )
    )
    tx.conn.execute(
        schema.verification_history.insert().values(
            id=uuid.uuid4(),
            account_id=account_id,
            from_status=None,
            to_status=status.value,
            on_date=on,
            evidence=evidence or "registered in handover",
            recorded_at=tx.now,
            recorded_by=tx.actor,
        )
    )
    tx.log(
        "account.add",
        "account",
        account_id,
        str(ref),
        **{k: v for k, v in values.items() if k not in ("post_id", "officer_id")},
        post=fields.post or None,
        officer=fields.officer or None,
        verification=status.value,
    )
    _record_overrides(tx, account_id, str(ref), needed, fields.allow_personal or "")
    return account_id


def add(
    registry: Registry,
    ref: str,
    fields: AccountFields,
    status: str | None = None,
    evidence: str | None = None,
) -> Account:
    parsed = AccountRef.parse(ref)
    with registry.write() as tx:
        add_in(
            tx,
            parsed,
            fields,
            parse_status(status) if status else Status.UNVERIFIED,
            evidence=evidence,
        )
        return show_in(tx.conn, row_by_ref(tx.conn, parsed))


def edit(registry: Registry, ref: str, fields: AccountFields) -> Account:
    t = schema.accounts
    with registry.write() as tx:
        row = row_by_ref(tx.conn, ref)
        values: dict[str, Any] = {}
        if fields.kind is not None:
            values["kind"] = parse_kind(fields.kind).value
        if fields.url is not None:
            values["url"] = fields.url.strip() or None
        if fields.disclaimer is not None:
            values["disclaimer"] = fields.disclaimer
        _resolve_owner(tx, fields, values)
        _clean_contacts(tx, fields, values)
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        merged = {**row._asdict(), **changed}
        if merged["kind"] == AccountKind.OFFICIAL.value and "kind" in changed:
            merged["disclaimer"] = changed["disclaimer"] = None
        _check_kind(merged)
        # A change of kind to official re-checks every contact, not only the changed ones.
        to_check = merged if "kind" in changed else changed
        needed = _check_official(tx, row.id, ref_of(row), merged, to_check, fields.allow_personal)
        if changed:
            tx.conn.execute(t.update().where(t.c.id == row.id).values(updated_at=tx.now, **changed))
            tx.log(
                "account.edit",
                "account",
                row.id,
                ref_of(row),
                **{k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in changed.items()},
            )
        if "post_id" in changed:
            reseal_moved(tx, row, row_by_ref(tx.conn, ref))
        _record_overrides(tx, row.id, ref_of(row), needed, fields.allow_personal or "")
        return show_in(tx.conn, row_by_ref(tx.conn, ref))


def record_verification(
    registry: Registry,
    ref: str,
    status: str,
    evidence: str | None = None,
    on_date: dt.date | None = None,
) -> Account:
    """Move an account's verification along the state machine, with who, when and evidence."""
    new = parse_status(status)
    t = schema.accounts
    with registry.write() as tx:
        row = row_by_ref(tx.conn, ref)
        current = Status(row.verification)
        verification.check(ref_of(row), current, new, evidence)
        on = on_date or tx.now.astimezone().date()
        if row.verification_date and on < row.verification_date:
            raise InvalidInputError(
                f"{ref_of(row)} became {current.value} on {row.verification_date}; "
                f"a later change cannot be dated {on}"
            )
        tx.conn.execute(
            t.update()
            .where(t.c.id == row.id)
            .values(verification=new.value, verification_date=on, updated_at=tx.now)
        )
        tx.conn.execute(
            schema.verification_history.insert().values(
                id=uuid.uuid4(),
                account_id=row.id,
                from_status=current.value,
                to_status=new.value,
                on_date=on,
                evidence=(evidence or "").strip() or None,
                recorded_at=tx.now,
                recorded_by=tx.actor,
            )
        )
        tx.log(
            "account.verify",
            "account",
            row.id,
            ref_of(row),
            from_status=current.value,
            to_status=new.value,
            on_date=on,
            evidence=(evidence or "").strip() or None,
        )
        return show_in(tx.conn, row_by_ref(tx.conn, ref))


def _credentials(row: Any) -> Credentials:
    return Credentials(
        row.password_changed_at,
        row.totp_changed_at,
        row.recovery_codes_changed_at,
        row.notes_changed_at,
        row.rotation_due_at,
        row.rotation_reason,
        credential_state(row),
        row.escrowed_by,
    )


def to_account(
    row: Any,
    post_slug: str | None,
    officer_id: str | None,
    history: tuple[VerificationChange, ...] = (),
    overrides: tuple[Override, ...] = (),
) -> Account:
    return Account(
        row.id,
        ref_of(row),
        Platform(row.platform),
        row.handle,
        row.url,
        post_slug,
        officer_id,
        AccountKind(row.kind),
        row.disclaimer,
        row.login_email,
        row.login_phone,
        row.recovery_email,
        row.recovery_phone,
        TwoFactor(row.twofa_method),
        row.twofa_phone,
        row.twofa_holder,
        Status(row.verification),
        row.verification_date,
        _credentials(row),
        history,
        overrides,
    )


def history_of(conn: sa.Connection, account_id: uuid.UUID) -> tuple[VerificationChange, ...]:
    """The account's verification history in the order the changes happened.

    That is the order of the state machine, each change starting where the last one ended, not
    the order of the clock, which may have been wrong when a change was recorded; entries that
    do not continue the chain (merged from another registry) follow by time.
    """
    h = schema.verification_history
    rows = list(
        conn.execute(
            sa.select(h).where(h.c.account_id == account_id).order_by(h.c.recorded_at, h.c.on_date)
        )
    )
    ordered, state = [], None
    while rows:
        step = next((r for r in rows if r.from_status == state), rows[0])
        rows.remove(step)
        ordered.append(step)
        state = step.to_status
    return tuple(
        VerificationChange(
            Status(r.from_status) if r.from_status else None,
            Status(r.to_status),
            r.on_date,
            r.evidence,
            r.recorded_at,
            r.recorded_by,
        )
        for r in ordered
    )


def overrides_of(conn: sa.Connection, account_id: uuid.UUID) -> tuple[Override, ...]:
    o = schema.contact_overrides
    return tuple(
        Override(ContactField(r.field), r.value, r.reason, r.recorded_at, r.recorded_by)
        for r in conn.execute(
            sa.select(o).where(o.c.account_id == account_id).order_by(o.c.recorded_at)
        )
    )


def show_in(conn: sa.Connection, row: Any) -> Account:
    post_slug = officer_key = None
    if row.post_id is not None:
        post_slug = conn.execute(
            sa.select(schema.posts.c.slug).where(schema.posts.c.id == row.post_id)
        ).scalar()
    if row.officer_id is not None:
        officer_key = conn.execute(
            sa.select(schema.officers.c.service_id).where(schema.officers.c.id == row.officer_id)
        ).scalar()
    n = schema.account_names
    former = tuple(
        conn.execute(
            sa.select(n.c.handle).where(n.c.account_id == row.id).order_by(n.c.until)
        ).scalars()
    )
    found = to_account(
        row, post_slug, officer_key, history_of(conn, row.id), overrides_of(conn, row.id)
    )
    archived = None
    if row.archived_at is not None:
        archived = f"{row.archived_at:%Y-%m-%d}: {row.archive_reason}"
    return dataclasses.replace(found, former_handles=former, archived=archived)


def show(registry: Registry, ref: str) -> Account:
    with registry.read() as conn:
        return show_in(conn, row_by_ref(conn, ref))


# What describes an account, apart from its identity, owners and secrets: the columns that the
# listing shows, an import sets and a handover packet carries.
DESCRIPTIVE = (
    "url", "kind", "disclaimer", "login_email", "login_phone", "recovery_email",
    "recovery_phone", "twofa_method", "twofa_phone", "twofa_holder", "verification",
)  # fmt: skip
LIST_COLUMNS = (
    "id", "platform", "handle", *DESCRIPTIVE, "verification_date", "password_changed_at",
    "totp_changed_at", "recovery_codes_changed_at", "notes_changed_at", "rotation_due_at",
    "rotation_reason",
)  # fmt: skip


def _listing_query(filters: Filters) -> sa.Select[Any]:
    a, p, o = schema.accounts, schema.posts, schema.officers
    query = (
        sa.select(
            *(a.c[name] for name in LIST_COLUMNS),
            p.c.slug.label("post_slug"),
            o.c.service_id.label("officer_key"),
        )
        .select_from(a.outerjoin(p, p.c.id == a.c.post_id).outerjoin(o, o.c.id == a.c.officer_id))
        .order_by(a.c.platform, a.c.handle_key)
    )
    if filters.post:
        query = query.where(p.c.slug == filters.post.strip().lower())
    if filters.district:
        query = query.where(sa.func.lower(p.c.district) == filters.district.strip().lower())
    if filters.level:
        query = query.where(p.c.level == parse_level(filters.level).value)
    if filters.platform:
        query = query.where(a.c.platform == parse_platform(filters.platform).value)
    if filters.status:
        query = query.where(a.c.verification == parse_status(filters.status).value)
    if filters.kind:
        query = query.where(a.c.kind == parse_kind(filters.kind).value)
    if not filters.archived:
        query = query.where(a.c.archived_at.is_(None))
    return query


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def iter_listing(registry: Registry, filters: Filters = Filters()) -> Iterator[dict[str, Any]]:
    """The listing as plain dicts, straight from the rows: what ``account list`` prints.

    The same fields as an :class:`Account` (less history and overrides, credentials inlined),
    without building one per row: listing 10,000 accounts is dominated by start-up, not rows.
    """
    with registry.read() as conn:
        for r in conn.execute(_listing_query(filters)).yield_per(2000):
            yield {
                "id": str(r.id),
                "ref": f"{r.platform}:{r.handle}",
                "platform": r.platform,
                "handle": r.handle,
                "url": r.url,
                "post": r.post_slug,
                "officer": r.officer_key,
                "kind": r.kind,
                "disclaimer": r.disclaimer,
                "login_email": r.login_email,
                "login_phone": r.login_phone,
                "recovery_email": r.recovery_email,
                "recovery_phone": r.recovery_phone,
                "twofa_method": r.twofa_method,
                "twofa_phone": r.twofa_phone,
                "twofa_holder": r.twofa_holder,
                "verification": r.verification,
                "verification_date": _iso(r.verification_date),
                "password_changed_at": _iso(r.password_changed_at),
                "totp_changed_at": _iso(r.totp_changed_at),
                "recovery_codes_changed_at": _iso(r.recovery_codes_changed_at),
                "notes_changed_at": _iso(r.notes_changed_at),
                "rotation_due_at": _iso(r.rotation_due_at),
                "rotation_reason": r.rotation_reason,
            }


def verification_by_platform(conn: sa.Connection) -> dict[str, dict[str, int]]:
    """How many official accounts of each platform are in each verification state."""
    a = schema.accounts
    counts: dict[str, dict[str, int]] = {}
    for platform, status, n in conn.execute(
        sa.select(a.c.platform, a.c.verification, sa.func.count())
        .where(a.c.kind == "official")
        .group_by(a.c.platform, a.c.verification)
        .order_by(a.c.platform)
    ):
        counts.setdefault(platform, {})[status] = n
    return counts
