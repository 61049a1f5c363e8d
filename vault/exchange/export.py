"""The non-secret register, for the file, for RTI replies, and as a public list of handles.

The full export uses the same column names as ``import accounts`` (so that an export can be
imported elsewhere, and an import exported back to the same records), plus the owning office and
its holder. ``public`` keeps only what a government publishes about its official handles, in the
spirit of the U.S. Digital Registry: platform, handle, URL, owning office, verified or not; no
contact and no officer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault.model import AccountKind, Status, parse_level
from vault.records import posts
from vault.store import schema

if TYPE_CHECKING:
    from vault.store.storage import Registry

FULL_COLUMNS = (
    "platform", "handle", "url", "post", "kind", "officer", "disclaimer", "login_email",
    "login_phone", "recovery_email", "recovery_phone", "twofa", "twofa_phone", "twofa_holder",
    "verification", "verification_date", "office", "department", "level", "district", "holder",
)  # fmt: skip
PUBLIC_COLUMNS = (
    "platform",
    "handle",
    "url",
    "office",
    "department",
    "level",
    "district",
    "verified",
)


def rows(
    registry: Registry,
    *,
    level: str | None = None,
    district: str | None = None,
    public: bool = False,
) -> Iterator[dict[str, Any]]:
    """Accounts as export rows, official accounts only when ``public``; streamed."""
    a, p, o, t = schema.accounts, schema.posts, schema.officers, schema.tenures
    holder = o.alias("holder")
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
    if level:
        query = query.where(p.c.level == parse_level(level).value)
    if district:
        query = query.where(sa.func.lower(p.c.district) == district.strip().lower())
    if public:
        query = query.where(a.c.kind == AccountKind.OFFICIAL.value)
    with registry.read() as conn:
        for r in conn.execute(query).yield_per(2000):
            office = {
                "office": r.office,
                "department": r.department,
                "level": r.level,
                "district": r.district,
            }
            if public:
                yield {
                    "platform": r.platform,
                    "handle": r.handle,
                    "url": r.url,
                    **office,
                    "verified": "yes" if r.verification == Status.VERIFIED.value else "no",
                }
                continue
            yield {
                "platform": r.platform,
                "handle": r.handle,
                "url": r.url,
                "post": r.post_slug,
                "kind": r.kind,
                "officer": r.owner,
                "disclaimer": None if r.disclaimer is None else ("yes" if r.disclaimer else "no"),
                "login_email": r.login_email,
                "login_phone": r.login_phone,
                "recovery_email": r.recovery_email,
                "recovery_phone": r.recovery_phone,
                "twofa": r.twofa_method,
                "twofa_phone": r.twofa_phone,
                "twofa_holder": r.twofa_holder,
                "verification": r.verification,
                "verification_date": r.verification_date.isoformat()
                if r.verification_date
                else None,
                **office,
                "holder": r.holder_id,
            }
