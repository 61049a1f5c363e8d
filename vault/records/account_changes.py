"""Changing accounts: adding, editing and moving them along the verification state machine.

Official accounts must depend only on official contacts: a personal email or an unregistered mobile
as login or recovery contact is refused unless the user gives a reason, which is recorded as an
override (and still reported by the audit, at a lower severity). Secrets are not handled here but
in :mod:`vault.records.credentials`, which seals them. Reading accounts is
:mod:`vault.records.accounts`, which commands that only read load without SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault.errors import AlreadyExistsError, InvalidInputError, PersonalContactError
from vault.model import (
    N_,
    Account,
    AccountKind,
    AccountRef,
    ContactField,
    Status,
    TwoFactor,
    parse_kind,
    parse_status,
    parse_twofa,
)
from vault.records import officers, posts, verification
from vault.records.accounts import ref_of, row_by_ref, show_in
from vault.records.contacts import OfficialContacts, load_official, normalise_email, normalise_phone
from vault.records.sealing import reseal_moved
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
        raise InvalidInputError(N_("a personal account needs --officer, the officer it belongs to"))
    if merged["kind"] == AccountKind.OFFICIAL.value and merged.get("disclaimer") is not None:
        raise InvalidInputError(N_("the 'views are my own' disclaimer is for personal accounts"))


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
