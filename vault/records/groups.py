"""Groups of officers (WhatsApp by default) at the circular's three levels, and the posts that
administer them. Admins are posts, not people, so a transfer does not orphan a group."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from vault.errors import AlreadyExistsError, ConflictError, InvalidInputError, NotFoundError
from vault.model import N_, Group, Level, Platform, parse_level, parse_platform, slug
from vault.records import posts
from vault.store import schema

if TYPE_CHECKING:
    from vault.store.storage import Registry, Tx


class GroupFields(NamedTuple):
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


def to_group(row: Any, admins: list[str], conn: sa.Connection | None = None) -> Group:
    """A group record; with ``conn``, its admin numbers and owning account too."""
    phones: tuple[str, ...] = ()
    owner = None
    if conn is not None:
        gp, a = schema.group_admin_phones, schema.accounts
        phones = tuple(
            conn.execute(
                sa.select(gp.c.phone).where(gp.c.group_id == row.id).order_by(gp.c.phone)
            ).scalars()
        )
        if row.owner_account_id is not None:
            found = conn.execute(
                sa.select(a.c.platform, a.c.handle).where(a.c.id == row.owner_account_id)
            ).first()
            owner = f"{found.platform}:{found.handle}" if found else None
    return Group(
        row.id,
        row.slug,
        row.name,
        Platform(row.platform),
        Level(row.level),
        row.district,
        row.department,
        tuple(admins),
        phones,
        owner,
        row.invite_sealed is not None,
        row.archive_reason if row.archived_at is not None else None,
    )


def add_in(tx: Tx, group_slug: str, fields: GroupFields, admins: list[str]) -> uuid.UUID:
    key = slug(group_slug, "group")
    t = schema.groups
    if tx.conn.execute(sa.select(t.c.id).where(t.c.slug == key)).first():
        raise AlreadyExistsError(f"group {key!r} already exists")
    if not (fields.name and fields.name.strip()) or not fields.level:
        raise InvalidInputError(N_("a new group needs --name and --level"))
    level = parse_level(fields.level)
    district = (fields.district or "").strip() or None
    if level == Level.DISTRICT and not district:
        raise InvalidInputError(N_("a district-level group needs --district"))
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
    registry: Registry,
    group_slug: str,
    add_posts: list[str],
    remove_posts: list[str],
    add_phones: Sequence[str] = (),
    remove_phones: Sequence[str] = (),
) -> Group:
    """Change a group's admin posts, and the numbers that are its admins in the app (which
    must be official: a post's or an officer's)."""
    ga = schema.group_admins
    with registry.write() as tx:
        row = row_by_slug(tx.conn, group_slug)
        _change_phones(tx, row, add_phones, remove_phones)
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
        return to_group(row_by_slug(tx.conn, group_slug), sorted(current), tx.conn)


def _change_phones(tx: Tx, row: Any, add: Sequence[str], remove: Sequence[str]) -> None:
    from vault.records.contacts import load_official, normalise_phone
    from vault.store.settings import read

    gp = schema.group_admin_phones
    region = read(tx.conn, "default_region")
    official = load_official(tx.conn)
    for given in add:
        phone = normalise_phone(given, region, mobile=True)
        if not official.phone_is_official(phone):
            raise InvalidInputError(
                f"{phone} is not an official number (a post's or an officer's): a group's "
                "admins must be reachable through the office, not a personal phone"
            )
        if tx.conn.execute(
            sa.select(gp.c.phone).where(gp.c.group_id == row.id, gp.c.phone == phone)
        ).first():
            raise ConflictError(f"{phone} is already an admin number of {row.slug}")
        tx.conn.execute(gp.insert().values(group_id=row.id, phone=phone, added_at=tx.now))
        tx.log("group.admin-phone.add", "group", row.id, row.slug, phone=phone)
    for given in remove:
        phone = normalise_phone(given, region)
        if not tx.conn.execute(
            gp.delete().where(gp.c.group_id == row.id, gp.c.phone == phone)
        ).rowcount:
            raise ConflictError(f"{phone} is not an admin number of {row.slug}")
        tx.log("group.admin-phone.remove", "group", row.id, row.slug, phone=phone)


def set_owner(registry: Registry, group_slug: str, ref: str | None) -> Group:
    """The account that owns the group on its platform (``whatsapp:+91...``), or none."""
    from vault.records import accounts

    g = schema.groups
    with registry.write() as tx:
        row = row_by_slug(tx.conn, group_slug)
        owner = accounts.row_by_ref(tx.conn, ref) if ref else None
        tx.conn.execute(
            g.update()
            .where(g.c.id == row.id)
            .values(owner_account_id=owner.id if owner else None, updated_at=tx.now)
        )
        tx.log("group.owner", "group", row.id, row.slug,
               owner=accounts.ref_of(owner) if owner else None)  # fmt: skip
        return to_group(row_by_slug(tx.conn, group_slug), admins_of(tx.conn, row.id), tx.conn)


def set_invite(registry: Registry, group_slug: str, link: str | None) -> Group:
    """Seal the group's invite link (whoever has it can join: it is kept like a password), or
    forget it (``None``)."""
    from vault.crypto.unlock import registry_key, unlocker_of

    g = schema.groups
    with registry.write() as tx:
        row = row_by_slug(tx.conn, group_slug)
        sealed = None
        if link is not None:
            text = link.strip()
            if not text.startswith("https://"):  # what the platforms give; never plain http
                raise InvalidInputError(N_("an invite link starts with https://"))
            sealer = unlocker_of(registry).sealer(registry_key(tx.conn, registry))
            sealed = sealer.seal("groups", "invite_sealed", row.id, text.encode())
        tx.conn.execute(
            g.update().where(g.c.id == row.id).values(invite_sealed=sealed, updated_at=tx.now)
        )
        tx.log("group.invite", "group", row.id, row.slug, sealed=link is not None)
        return to_group(row_by_slug(tx.conn, group_slug), admins_of(tx.conn, row.id), tx.conn)


def invite_of(registry: Registry, group_slug: str) -> str | None:
    from vault.crypto.seal import Sealer
    from vault.crypto.unlock import registry_key

    with registry.read() as conn:
        row = row_by_slug(conn, group_slug)
        if row.invite_sealed is None:
            return None
        sealer = Sealer(registry_key(conn, registry))
        return sealer.open("groups", "invite_sealed", row.id, bytes(row.invite_sealed)).decode()


def list_groups(
    registry: Registry,
    *,
    level: str | None = None,
    district: str | None = None,
    archived: bool = False,
) -> list[Group]:
    t = schema.groups
    query = sa.select(t).order_by(posts.level_order(t.c.level), t.c.district, t.c.slug)
    if not archived:
        query = query.where(t.c.archived_at.is_(None))
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
        return to_group(row, _admins(conn, [row.id]).get(row.id, []), conn)
