"""Groups of officers (WhatsApp by default) at the circular's three levels, and the posts that
administer them. Admins are posts, not people, so a transfer does not orphan a group."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault.errors import AlreadyExistsError, ConflictError, InvalidInputError, NotFoundError
from vault.model import Group, Level, Platform, parse_level, parse_platform, slug
from vault.records import posts
from vault.store import schema

if TYPE_CHECKING:
    from vault.store.storage import Registry, Tx


@dataclass(frozen=True)
class GroupFields:
    name: str | None = None
    level: str | None = None
    platform: str | None = None
    district: str | None = None
    department: str | None = None


def row_by_slug(conn: sa.Connection, value: str) -> sa.Row[Any]:
    t = schema.groups
    row = conn.execute(sa.select(t).where(t.c.slug == value.strip().lower())).first()
    if row is None:
        raise NotFoundError(f"no group {value!r}; see 'handover group list'")
    return row


def _admins(conn: sa.Connection, group_ids: list[uuid.UUID] | None = None) -> dict[Any, list[str]]:
    ga, p = schema.group_admins, schema.posts
    query = sa.select(ga.c.group_id, p.c.slug).join(p, p.c.id == ga.c.post_id).order_by(p.c.slug)
    if group_ids is not None:
        query = query.where(ga.c.group_id.in_(group_ids))
    found: dict[Any, list[str]] = {}
    for r in conn.execute(query):
        found.setdefault(r.group_id, []).append(r.slug)
    return found


def admins_of(conn: sa.Connection, group_id: uuid.UUID) -> list[str]:
    return _admins(conn, [group_id]).get(group_id, [])


def to_group(row: Any, admins: list[str]) -> Group:
    return Group(
        row.id,
        row.slug,
        row.name,
        Platform(row.platform),
        Level(row.level),
        row.district,
        row.department,
        tuple(admins),
    )


def add_in(tx: Tx, group_slug: str, fields: GroupFields, admins: list[str]) -> uuid.UUID:
    key = slug(group_slug, "group")
    t = schema.groups
    if tx.conn.execute(sa.select(t.c.id).where(t.c.slug == key)).first():
        raise AlreadyExistsError(f"group {key!r} already exists")
    if not (fields.name and fields.name.strip()) or not fields.level:
        raise InvalidInputError("a new group needs --name and --level")
    level = parse_level(fields.level)
    district = (fields.district or "").strip() or None
    if level == Level.DISTRICT and not district:
        raise InvalidInputError("a district-level group needs --district")
    values = {
        "name": fields.name.strip(),
        "level": level.value,
        "platform": parse_platform(fields.platform or "whatsapp").value,
        "district": district,
        "department": (fields.department or "").strip() or None,
    }
    group_id = uuid.uuid4()
    tx.conn.execute(
        t.insert().values(id=group_id, slug=key, created_at=tx.now, updated_at=tx.now, **values)
    )
    post_ids = {posts.row_by_slug(tx.conn, a).id: a for a in admins}
    if post_ids:
        tx.conn.execute(
            schema.group_admins.insert(),
            [{"group_id": group_id, "post_id": pid} for pid in post_ids],
        )
    tx.log("group.add", "group", group_id, key, admins=sorted(post_ids.values()), **values)
    return group_id


def add(registry: Registry, group_slug: str, fields: GroupFields, admins: list[str]) -> Group:
    with registry.write() as tx:
        group_id = add_in(tx, group_slug, fields, admins)
        row = row_by_slug(tx.conn, group_slug)
        return to_group(row, _admins(tx.conn, [group_id]).get(group_id, []))


def change_admins(
    registry: Registry, group_slug: str, add_posts: list[str], remove_posts: list[str]
) -> Group:
    ga = schema.group_admins
    with registry.write() as tx:
        row = row_by_slug(tx.conn, group_slug)
        current = set(_admins(tx.conn, [row.id]).get(row.id, []))
        for post_slug in add_posts:
            post = posts.row_by_slug(tx.conn, post_slug)
            if post.slug in current:
                raise ConflictError(f"{post.slug} already administers {row.slug}")
            tx.conn.execute(ga.insert().values(group_id=row.id, post_id=post.id))
            current.add(post.slug)
            tx.log("group.admin.add", "group", row.id, row.slug, post=post.slug)
        for post_slug in remove_posts:
            post = posts.row_by_slug(tx.conn, post_slug)
            if not tx.conn.execute(
                ga.delete().where(ga.c.group_id == row.id, ga.c.post_id == post.id)
            ).rowcount:
                raise ConflictError(f"{post.slug} does not administer {row.slug}")
            current.discard(post.slug)
            tx.log("group.admin.remove", "group", row.id, row.slug, post=post.slug)
        return to_group(row, sorted(current))


def list_groups(
    registry: Registry, *, level: str | None = None, district: str | None = None
) -> list[Group]:
    t = schema.groups
    query = sa.select(t).order_by(posts.level_order(t.c.level), t.c.district, t.c.slug)
    if level:
        query = query.where(t.c.level == parse_level(level).value)
    if district:
        query = query.where(sa.func.lower(t.c.district) == district.strip().lower())
    with registry.read() as conn:
        admins = _admins(conn)
        return [to_group(r, admins.get(r.id, [])) for r in conn.execute(query)]


def show(registry: Registry, group_slug: str) -> Group:
    with registry.read() as conn:
        row = row_by_slug(conn, group_slug)
        return to_group(row, _admins(conn, [row.id]).get(row.id, []))
