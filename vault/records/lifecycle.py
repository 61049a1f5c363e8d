"""Records that change: an account renamed or archived, a post abolished, an officer retired,
a group archived; and the one way anything leaves the registry, the purge of an archived record.

None of it loses history. A rename keeps the old handle, which still finds the account. An
archived record leaves lists and audits, not the registry: it stays in exports for the file and
in the log. A purge is an explicit, logged deletion of an archived account or group, refused
while the account holds a secret sealed nowhere else (one not escrowed).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault.errors import ConflictError, InvalidInputError
from vault.model import N_, AccountRef
from vault.records import accounts, groups, officers, posts
from vault.store import schema

if TYPE_CHECKING:
    from vault.store.storage import Registry, Tx


def _reason(text: str | None) -> str:
    reason = " ".join((text or "").split())
    if not reason:
        raise InvalidInputError(N_("give the reason with --reason (it is kept with the record)"))
    return reason[:500]


def rename_account(registry: Registry, ref: str, new_handle: str) -> Any:
    """Give an account its new handle on the platform; the old one keeps finding it."""
    with registry.write() as tx:
        row = accounts.row_by_ref(tx.conn, ref)
        new = AccountRef.parse(f"{row.platform}:{new_handle}")
        a = schema.accounts
        taken = tx.conn.execute(
            sa.select(a.c.id).where(a.c.platform == row.platform, a.c.handle_key == new.key)
        ).scalar()
        if taken is not None and taken != row.id:
            raise ConflictError(f"{new} is another account in this registry")
        if new.key == row.handle_key and new.handle == row.handle:
            raise InvalidInputError(f"{accounts.ref_of(row)} already has that handle")
        tx.conn.execute(
            schema.account_names.insert().values(
                id=uuid.uuid4(),
                account_id=row.id,
                platform=row.platform,
                handle=row.handle,
                handle_key=row.handle_key,
                until=tx.now,
                recorded_by=tx.actor,
            )
        )
        tx.conn.execute(
            a.update()
            .where(a.c.id == row.id)
            .values(handle=new.handle, handle_key=new.key, updated_at=tx.now)
        )
        tx.log("account.rename", "account", row.id, str(new), old=accounts.ref_of(row))
        return accounts.show_in(tx.conn, accounts.row_by_ref(tx.conn, new))


def archive_account(registry: Registry, ref: str, reason: str | None) -> Any:
    """A page closed or a profile deleted: out of lists and audits, kept on record."""
    why = _reason(reason)
    with registry.write() as tx:
        row = accounts.row_by_ref(tx.conn, ref)
        if row.archived_at is not None:
            raise ConflictError(
                f"{accounts.ref_of(row)} was archived on {row.archived_at:%Y-%m-%d}"
            )
        a = schema.accounts
        tx.conn.execute(
            a.update()
            .where(a.c.id == row.id)
            .values(archived_at=tx.now, archive_reason=why, updated_at=tx.now)
        )
        tx.log("account.archive", "account", row.id, accounts.ref_of(row), reason=why)
        return accounts.show_in(tx.conn, accounts.row_by_ref(tx.conn, ref))


def abolish_post(registry: Registry, slug: str, reason: str | None) -> Any:
    """A post abolished by government order. Its holder is relieved first, and its accounts
    archived or moved to another post: nothing official may be left without an owner."""
    why = _reason(reason)
    with registry.write() as tx:
        row = posts.row_by_slug(tx.conn, slug)
        holder = posts.holder_of(tx.conn, row.id)
        if holder is not None:
            raise ConflictError(
                f"{holder[0]} holds {row.slug}: relieve them first (handover officer relieve)"
            )
        a = schema.accounts
        live = tx.conn.execute(
            sa.select(a.c.platform, a.c.handle).where(
                a.c.post_id == row.id, a.c.archived_at.is_(None)
            )
        ).all()
        if live:
            names = ", ".join(f"{r.platform}:{r.handle}" for r in live)
            raise ConflictError(
                f"{row.slug} still owns {names}: move them to another post (account edit --post) "
                "or archive them (account archive) first"
            )
        p = schema.posts
        tx.conn.execute(
            p.update()
            .where(p.c.id == row.id)
            .values(abolished_at=tx.now, abolish_reason=why, updated_at=tx.now)
        )
        tx.log("post.abolish", "post", row.id, row.slug, reason=why)
        return posts.to_post(posts.row_by_slug(tx.conn, slug))


def retire_officer(registry: Registry, service_id: str, reason: str | None) -> Any:
    """An officer who has left service: out of lists and audits; their tenures stay."""
    why = _reason(reason)
    with registry.write() as tx:
        row = officers.row_by_service_id(tx.conn, service_id)
        t = schema.tenures
        held = tx.conn.execute(
            sa.select(t.c.id).where(t.c.officer_id == row.id, t.c.end_date.is_(None))
        ).first()
        if held is not None:
            raise ConflictError(f"{row.service_id} still holds a post: relieve them first")
        o = schema.officers
        tx.conn.execute(
            o.update()
            .where(o.c.id == row.id)
            .values(retired_at=tx.now, retire_reason=why, updated_at=tx.now)
        )
        tx.log("officer.retire", "officer", row.id, row.service_id, reason=why)
        return officers.to_officer(officers.row_by_service_id(tx.conn, service_id), ())


def archive_group(registry: Registry, slug: str, reason: str | None) -> Any:
    why = _reason(reason)
    with registry.write() as tx:
        row = groups.row_by_slug(tx.conn, slug)
        g = schema.groups
        tx.conn.execute(
            g.update()
            .where(g.c.id == row.id)
            .values(archived_at=tx.now, archive_reason=why, updated_at=tx.now)
        )
        tx.log("group.archive", "group", row.id, row.slug, reason=why)
        return row.slug


SEALED = ("password_sealed", "totp_sealed", "recovery_codes_sealed", "notes_sealed")


def purge_account(registry: Registry, ref: str, reason: str | None) -> str:
    """Delete an archived account for good, with its history rows (the log keeps its story).
    Refused while it holds a secret sealed only here: escrow it first (a rotation report)."""
    why = _reason(reason)
    with registry.write() as tx:
        row = accounts.row_by_ref(tx.conn, ref)
        name = accounts.ref_of(row)
        if row.archived_at is None:
            raise ConflictError(f"{name} is not archived: archive it first (account archive)")
        if any(getattr(row, c) is not None for c in SEALED) and not row.escrowed_by:
            raise ConflictError(
                f"{name} holds secrets sealed only here, not escrowed: have them escrowed (the "
                "holder's rotation report does it) or open and keep them, before purging"
            )
        _forget_account(tx, row.id)
        tx.log("account.purge", "account", row.id, name, reason=why)
        return name


def _forget_account(tx: Tx, account_id: Any) -> None:
    g = schema.groups
    tx.conn.execute(
        g.update().where(g.c.owner_account_id == account_id).values(owner_account_id=None)
    )
    for table in (
        schema.verification_history,
        schema.contact_overrides,
        schema.account_names,
        schema.page_roles,
    ):
        tx.conn.execute(table.delete().where(table.c.account_id == account_id))
    tx.conn.execute(schema.accounts.delete().where(schema.accounts.c.id == account_id))


def purge_group(registry: Registry, slug: str, reason: str | None) -> str:
    why = _reason(reason)
    with registry.write() as tx:
        row = groups.row_by_slug(tx.conn, slug)
        if row.archived_at is None:
            raise ConflictError(f"group {row.slug} is not archived: archive it first")
        for table in (schema.group_admins, schema.group_admin_phones):
            tx.conn.execute(table.delete().where(table.c.group_id == row.id))
        tx.conn.execute(schema.groups.delete().where(schema.groups.c.id == row.id))
        tx.log("group.purge", "group", row.id, row.slug, reason=why)
        return str(row.slug)
