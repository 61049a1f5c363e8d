"""Page roles: who holds which role on a page or channel, the way Facebook Pages, Instagram,
YouTube and LinkedIn pages are really run (people given roles, not one shared password).

A role is held by an officer in person or by a post, from a date; it ends rather than being
deleted, so the record shows who could act for the page when. At a handover the outgoing
officer's roles on the post's pages are to be removed and the incoming officer's added
(:func:`pending_for`); ``audit`` reports a role still held by an officer who no longer holds the
post (``role.stale``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault.errors import ConflictError, InvalidInputError, NotFoundError
from vault.model import N_, Role
from vault.records import accounts, officers, posts
from vault.store import schema

if TYPE_CHECKING:
    from vault.store.storage import Registry, Tx

# Platforms whose pages and channels are run through roles given to people.
ROLE_PLATFORMS = ("facebook", "instagram", "youtube", "linkedin")


def _role_name(text: str) -> str:
    name = " ".join(text.split()).lower()
    if not name or len(name) > 40 or not all(c.isalnum() or c in " -_" for c in name):
        raise InvalidInputError(f"{text!r} is not a role name like admin, editor or manager")
    return name


def _holder(conn: sa.Connection, officer: str | None, post: str | None) -> dict[str, Any]:
    if (officer is None) == (post is None):
        raise InvalidInputError(
            N_("a role is held by an officer (--officer) or by a post (--post)")
        )
    if officer is not None:
        return {"officer_id": officers.row_by_service_id(conn, officer).id, "post_id": None}
    return {"officer_id": None, "post_id": posts.row_by_slug(conn, post or "").id}


def _open(conn: sa.Connection, account_id: Any, holder: dict[str, Any], role: str) -> Any:
    r = schema.page_roles
    query = sa.select(r).where(r.c.account_id == account_id, r.c.role == role, r.c.until.is_(None))
    for column in ("officer_id", "post_id"):
        value = holder[column]
        query = query.where(r.c[column].is_(None) if value is None else r.c[column] == value)
    return conn.execute(query).first()


def add_in(tx: Tx, account: Any, holder: dict[str, Any], role: str, since: dt.date) -> None:
    if _open(tx.conn, account.id, holder, role) is not None:
        raise ConflictError(f"that role on {accounts.ref_of(account)} is already recorded")
    tx.conn.execute(
        schema.page_roles.insert().values(
            id=uuid.uuid4(),
            account_id=account.id,
            role=role,
            since=since,
            until=None,
            recorded_at=tx.now,
            recorded_by=tx.actor,
            **holder,
        )
    )
    label = _label(tx.conn, holder)
    tx.log("role.add", "account", account.id, accounts.ref_of(account), role=role, holder=label,
           since=since)  # fmt: skip


def end_in(tx: Tx, account: Any, holder: dict[str, Any], role: str, on: dt.date) -> None:
    found = _open(tx.conn, account.id, holder, role)
    if found is None:
        raise NotFoundError(
            f"{_label(tx.conn, holder)} holds no {role} role on {accounts.ref_of(account)}"
        )
    r = schema.page_roles
    tx.conn.execute(r.update().where(r.c.id == found.id).values(until=on))
    label = _label(tx.conn, holder)
    tx.log("role.end", "account", account.id, accounts.ref_of(account), role=role, holder=label,
           until=on)  # fmt: skip


def add(
    registry: Registry,
    ref: str,
    role: str,
    *,
    officer: str | None = None,
    post: str | None = None,
    since: dt.date | None = None,
) -> list[Role]:
    name = _role_name(role)
    with registry.write() as tx:
        account = accounts.row_by_ref(tx.conn, ref)
        if account.platform not in ROLE_PLATFORMS:
            raise InvalidInputError(
                f"{accounts.ref_of(account)}: {account.platform} accounts have no page roles "
                f"(those of {', '.join(ROLE_PLATFORMS)} do)"
            )
        today = tx.now.astimezone().date()
        add_in(tx, account, _holder(tx.conn, officer, post), name, since or today)
        return accounts.roles_of(tx.conn, account.id)


def end(
    registry: Registry,
    ref: str,
    role: str,
    *,
    officer: str | None = None,
    post: str | None = None,
    on: dt.date | None = None,
) -> list[Role]:
    name = _role_name(role)
    with registry.write() as tx:
        account = accounts.row_by_ref(tx.conn, ref)
        today = tx.now.astimezone().date()
        end_in(tx, account, _holder(tx.conn, officer, post), name, on or today)
        return accounts.roles_of(tx.conn, account.id)


def _label(conn: sa.Connection, holder: dict[str, Any]) -> str:
    if holder.get("officer_id") is not None:
        o = schema.officers
        return str(
            conn.execute(sa.select(o.c.service_id).where(o.c.id == holder["officer_id"])).scalar()
        )
    p = schema.posts
    return "post:" + str(
        conn.execute(sa.select(p.c.slug).where(p.c.id == holder["post_id"])).scalar()
    )


def listing(registry: Registry, ref: str | None = None, *, ended: bool = False) -> list[Role]:
    with registry.reads() as db:
        account_id = accounts.row_by_ref(db, ref).id if ref is not None else None
        return accounts.roles_of(db, account_id, ended=ended)


def hand_over(registry: Registry, ref: str, role: str, outgoing: str, incoming: str) -> None:
    """Record, in one change, that ``outgoing``'s role on the page was removed and ``incoming``
    given it (after both were done on the platform)."""
    name = _role_name(role)
    with registry.write() as tx:
        account = accounts.row_by_ref(tx.conn, ref)
        today = tx.now.astimezone().date()
        end_in(tx, account, _holder(tx.conn, outgoing, None), name, today)
        add_in(tx, account, _holder(tx.conn, incoming, None), name, today)


def pending_for(registry: Registry, post_slug: str) -> list[Role]:
    """The roles on the post's pages held in person by someone other than its holder."""
    with registry.read() as conn:
        post = posts.row_by_slug(conn, post_slug)
        holder = posts.holder_of(conn, post.id)
        incoming = holder[0] if holder else ""
        return [
            role
            for role in accounts.roles_of(conn, post_id=post.id)
            if not role.holder.startswith("post:") and role.holder != incoming
        ]
