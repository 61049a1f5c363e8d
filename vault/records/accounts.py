"""Accounts: the social media accounts the registry exists for, their contacts and verification,
as commands read them.

Every read here goes through the query catalog (:mod:`vault.store.reads`), so ``account show`` and
``account list`` on a SQLite registry never import SQLAlchemy; changing accounts is
:mod:`vault.records.account_changes`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from vault.errors import NotFoundError
from vault.model import (
    Account,
    AccountKind,
    AccountRef,
    ContactField,
    Credentials,
    Override,
    Platform,
    Role,
    Status,
    TwoFactor,
    VerificationChange,
    parse_kind,
    parse_level,
    parse_platform,
    parse_status,
)
from vault.store import reads

if TYPE_CHECKING:
    from vault.store.storage import Registry


class Filters(NamedTuple):
    post: str | None = None
    district: str | None = None
    level: str | None = None
    platform: str | None = None
    status: str | None = None
    kind: str | None = None
    archived: bool = False  # include archived accounts


NO_FILTERS = Filters()  # every account, archived ones aside


def row_by_ref(conn: Any, ref: str | AccountRef) -> Any:
    """The account a reference names: by its handle, or by a handle it had before a rename."""
    parsed = ref if isinstance(ref, AccountRef) else AccountRef.parse(ref)
    key = {"platform": parsed.platform.value, "key": parsed.key}
    row = reads.first(conn, "account_by_handle", **key)
    if row is None:
        row = reads.first(conn, "account_by_former_handle", **key)
    if row is None:
        raise NotFoundError(f"no account {str(parsed)!r}; see 'handover account list'")
    return row


def ref_of(row: Any) -> str:
    return f"{row.platform}:{row.handle}"


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


def history_of(conn: Any, account_id: Any) -> tuple[VerificationChange, ...]:
    """The account's verification history in the order the changes happened.

    That is the order of the state machine, each change starting where the last one ended, not
    the order of the clock, which may have been wrong when a change was recorded; entries that
    do not continue the chain (merged from another registry) follow by time.
    """
    rows = reads.rows(conn, "verification_history", account_id=account_id)
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


def overrides_of(conn: Any, account_id: Any) -> tuple[Override, ...]:
    return tuple(
        Override(ContactField(r.field), r.value, r.reason, r.recorded_at, r.recorded_by)
        for r in reads.rows(conn, "contact_overrides", account_id=account_id)
    )


def roles_of(
    conn: Any, account_id: Any = None, *, post_id: Any = None, ended: bool = False
) -> list[Role]:
    """Who holds which role on a page: on one account's, one post's accounts' or every page;
    open roles, or every role with ``ended``."""
    return [
        Role(
            f"{r.platform}:{r.handle}",
            r.service_id if r.officer_id is not None else f"post:{r.holder_post}",
            r.role,
            r.since,
            r.until,
        )
        for r in reads.rows(conn, "page_roles", account_id=account_id, post_id=post_id, ended=ended)
    ]


def show_in(conn: Any, row: Any) -> Account:
    post_slug = officer_key = None
    if row.post_id is not None:
        post_slug = reads.scalar(conn, "post_slug", id=row.post_id)
    if row.officer_id is not None:
        officer_key = reads.scalar(conn, "officer_service_id", id=row.officer_id)
    former = tuple(reads.scalars(conn, "former_handles", account_id=row.id))
    found = to_account(
        row, post_slug, officer_key, history_of(conn, row.id), overrides_of(conn, row.id)
    )
    archived = None
    if row.archived_at is not None:
        archived = f"{row.archived_at:%Y-%m-%d}: {row.archive_reason}"
    return found._replace(former_handles=former, archived=archived)


def show(registry: Registry, ref: str) -> tuple[Account, list[Role]]:
    """An account with its history and overrides, and its open page roles."""
    with registry.reads() as db:
        row = row_by_ref(db, ref)
        return show_in(db, row), roles_of(db, row.id)


# What describes an account, apart from its identity, owners and secrets: the columns that the
# listing shows, an import sets and a handover packet carries.
DESCRIPTIVE = (
    "url", "kind", "disclaimer", "login_email", "login_phone", "recovery_email",
    "recovery_phone", "twofa_method", "twofa_phone", "twofa_holder", "verification",
)  # fmt: skip


def _listing_params(filters: Filters) -> dict[str, Any]:
    return {
        "post": filters.post.strip().lower() if filters.post else None,
        "district": filters.district.strip().lower() if filters.district else None,
        "level": parse_level(filters.level).value if filters.level else None,
        "platform": parse_platform(filters.platform).value if filters.platform else None,
        "status": parse_status(filters.status).value if filters.status else None,
        "kind": parse_kind(filters.kind).value if filters.kind else None,
        "archived": filters.archived,
    }


def iter_listing(
    registry: Registry, filters: Filters = NO_FILTERS, *, table: bool = False
) -> Iterator[Any]:
    """``account list``: one row per account (the columns of
    :data:`vault.store.queries.LISTING`, or with ``table`` those of ``LISTING_TABLE``),
    streamed."""
    params = _listing_params(filters)
    with registry.reads() as db:
        yield from db.stream("account_listing_table" if table else "account_listing", **params)


def json_listing(registry: Registry, filters: Filters = NO_FILTERS) -> Iterator[str]:
    """``account list --json``: each row as JSON text (on SQLite, written by SQLite itself)."""
    params = _listing_params(filters)
    with registry.reads() as db:
        yield from db.json("account_listing", **params)


def credential_state(row: Any) -> str:
    """Where an account's current password is: ``held`` (sealed in this registry), ``escrowed``
    (its holder rotated it and reported it to the department's escrow, by ``escrowed_by``), or
    ``missing``."""
    if getattr(row, "has_password", None) or getattr(row, "password_sealed", None) is not None:
        return "held"
    return "escrowed" if row.escrowed_by else "missing"


def verification_by_platform(conn: Any) -> dict[str, dict[str, int]]:
    """How many official accounts of each platform are in each verification state."""
    counts: dict[str, dict[str, int]] = {}
    for platform, status, n in reads.rows(conn, "verification_counts"):
        counts.setdefault(platform, {})[status] = n
    return counts
