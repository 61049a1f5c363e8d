"""What a post's handover will carry, and what is missing, before the packet is made.

The outgoing officer sees it in ``handover give`` and the charge report prints it: every official
account (platform, handle, verification, where its second factor is held, which secrets are
sealed here, who holds which page role), the groups the post administers, and every warning the
audit has about the post
(a password not in the registry, an authenticator seed missing, a personal recovery address, no
escrow for the department...), each with its remedy. Never a secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from vault import audit
from vault.audit.model import Finding
from vault.exchange.bundle import official_accounts
from vault.model import as_dict
from vault.records import accounts, groups, posts
from vault.store import schema

if TYPE_CHECKING:
    from vault.store.storage import Registry

# Findings that concern no post but every handover: they show in every preview.
REGISTRY_WIDE = ("escrow.none", "log.broken")


class AccountLine(NamedTuple):
    ref: str
    platform: str
    handle: str
    url: str | None
    verification: str
    twofa_method: str
    twofa_where: str | None
    login_email: str | None
    login_phone: str | None
    password: bool
    totp: bool
    recovery_codes: bool
    roles: tuple[str, ...] = ()  # "admin: ias-0042", "editor: post:collector-ahmedabad"

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class GroupLine(NamedTuple):
    slug: str
    name: str
    platform: str
    admins: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class Preview(NamedTuple):
    post: str
    title: str
    department: str | None
    level: str
    district: str | None
    holder: str | None
    holder_name: str | None
    accounts: tuple[AccountLine, ...]
    groups: tuple[GroupLine, ...]
    warnings: tuple[Finding, ...]

    @property
    def missing_passwords(self) -> int:
        return sum(not a.password for a in self.accounts)

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def account_lines(conn: sa.Connection, post_id: Any) -> tuple[AccountLine, ...]:
    return tuple(
        AccountLine(
            f"{row.platform}:{row.handle}",
            row.platform,
            row.handle,
            row.url,
            row.verification,
            row.twofa_method,
            row.twofa_phone or row.twofa_holder,
            row.login_email,
            row.login_phone,
            row.password_sealed is not None,
            row.totp_sealed is not None,
            row.recovery_codes_sealed is not None,
            tuple(f"{r.role}: {r.holder}" for r in accounts.roles_of(conn, row.id)),
        )
        for row in official_accounts(conn, post_id)
    )


def group_lines(conn: sa.Connection, post_id: Any) -> tuple[GroupLine, ...]:
    g, ga = schema.groups, schema.group_admins
    rows = conn.execute(
        sa.select(g)
        .where(g.c.id.in_(sa.select(ga.c.group_id).where(ga.c.post_id == post_id)))
        .order_by(g.c.slug)
    )
    return tuple(
        GroupLine(r.slug, r.name, r.platform, tuple(groups.admins_of(conn, r.id))) for r in rows
    )


def preview(registry: Registry, post_slug: str) -> Preview:
    """The handover of ``post_slug`` as it would go now."""
    with registry.read() as conn:
        post = posts.row_by_slug(conn, post_slug)
        holder = posts.holder_of(conn, post.id)
        lines = account_lines(conn, post.id)
        group_rows = group_lines(conn, post.id)
    report = audit.run(registry)
    warnings = tuple(f for f in report.findings if f.post == post.slug or f.rule in REGISTRY_WIDE)
    return Preview(
        post.slug,
        post.title,
        post.department,
        post.level,
        post.district,
        holder[0] if holder else None,
        holder[1] if holder else None,
        lines,
        group_rows,
        warnings,
    )
