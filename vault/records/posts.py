"""Posts: the official positions that own accounts and outlive the officers who hold them."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from vault.errors import AlreadyExistsError, InvalidInputError, NotFoundError
from vault.model import N_, Level, Post, Tenure, as_dict, parse_level, slug
from vault.records.contacts import load_official, normalise_email, normalise_phone
from vault.store import reads, schema
from vault.store.settings import read as read_setting


def level_order(column: sa.ColumnElement[str]) -> sa.ColumnElement[int]:
    """State first, then heads of department, then districts: how a department reads a list."""
    return sa.case({"state": 0, "hod": 1, "district": 2}, value=column, else_=3)


if TYPE_CHECKING:
    from vault.store.storage import Registry, Tx


class PostFields(NamedTuple):
    """What a user sets on a post; ``None`` leaves a field as it is, ``""`` clears it."""

    title: str | None = None
    level: str | None = None
    district: str | None = None
    department: str | None = None
    email: str | None = None
    phone: str | None = None


class PostDetail(NamedTuple):
    post: Post
    tenures: tuple[Tenure, ...]
    accounts: tuple[str, ...]
    groups: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def row_by_slug(conn: sa.Connection, value: str) -> Any:
    row = reads.first(conn, "post_by_slug", slug=value.strip().lower())
    if row is None:
        raise NotFoundError(f"no post {value!r}; see 'handover post list'")
    return row


def _holders(conn: sa.Connection, post_ids: list[uuid.UUID] | None = None) -> dict[Any, Any]:
    t, o = schema.tenures, schema.officers
    query = (
        sa.select(t.c.post_id, o.c.service_id, o.c.name)
        .join(o, o.c.id == t.c.officer_id)
        .where(t.c.end_date.is_(None))
    )
    if post_ids is not None:
        query = query.where(t.c.post_id.in_(post_ids))
    return {r.post_id: (r.service_id, r.name) for r in conn.execute(query)}


def holder_of(conn: sa.Connection, post_id: uuid.UUID) -> tuple[str, str] | None:
    """The current holder's service id and name, or ``None`` for a vacant post."""
    held: tuple[str, str] | None = _holders(conn, [post_id]).get(post_id)
    return held


def to_post(row: Any, holder: tuple[str, str] | None = None) -> Post:
    return Post(
        row.id,
        row.slug,
        row.title,
        row.department,
        Level(row.level),
        row.district,
        row.email,
        row.phone,
        holder[0] if holder else None,
        holder[1] if holder else None,
    )


def _clean(tx: Tx, fields: PostFields, current: Any | None) -> dict[str, Any]:
    """Validate fields against the registry's rules; only the fields given are returned."""
    values: dict[str, Any] = {}
    if fields.title is not None:
        if not fields.title.strip():
            raise InvalidInputError(N_("a post needs a title"))
        values["title"] = fields.title.strip()
    if fields.level is not None:
        values["level"] = parse_level(fields.level).value
    for name in ("district", "department"):
        given = getattr(fields, name)
        if given is not None:
            values[name] = given.strip() or None
    if fields.email is not None:
        values["email"] = normalise_email(fields.email) if fields.email.strip() else None
        if values["email"]:
            official = load_official(tx.conn)
            if not official.email_is_official(values["email"]):
                raise InvalidInputError(
                    f"a post's email must be official: {official.why_not(values['email'])}"
                )
    if fields.phone is not None:
        region = read_setting(tx.conn, "default_region")
        values["phone"] = (
            normalise_phone(fields.phone, region, mobile=True) if fields.phone.strip() else None
        )
    level = values.get("level", current.level if current is not None else None)
    district = values.get("district", current.district if current is not None else None)
    if level == Level.DISTRICT and not district:
        raise InvalidInputError(N_("a district-level post needs --district"))
    return values


def add_in(tx: Tx, post_slug: str, fields: PostFields) -> uuid.UUID:
    key = slug(post_slug, "post")
    t = schema.posts
    if tx.conn.execute(sa.select(t.c.id).where(t.c.slug == key)).first():
        raise AlreadyExistsError(f"post {key!r} already exists")
    if fields.title is None or fields.level is None:
        raise InvalidInputError(N_("a new post needs --title and --level"))
    values = _clean(tx, fields, None)
    post_id = uuid.uuid4()
    tx.conn.execute(
        t.insert().values(id=post_id, slug=key, created_at=tx.now, updated_at=tx.now, **values)
    )
    tx.log("post.add", "post", post_id, key, **values)
    return post_id


def add(registry: Registry, post_slug: str, fields: PostFields) -> Post:
    with registry.write() as tx:
        add_in(tx, post_slug, fields)
        return to_post(row_by_slug(tx.conn, post_slug))


def edit(registry: Registry, post_slug: str, fields: PostFields) -> Post:
    t = schema.posts
    with registry.write() as tx:
        row = row_by_slug(tx.conn, post_slug)
        values = _clean(tx, fields, row)
        changed = {k: v for k, v in values.items() if getattr(row, k) != v}
        if changed:
            tx.conn.execute(t.update().where(t.c.id == row.id).values(updated_at=tx.now, **changed))
            tx.log("post.edit", "post", row.id, row.slug, **changed)
        row = row_by_slug(tx.conn, post_slug)
        return to_post(row, _holders(tx.conn, [row.id]).get(row.id))


def list_posts(
    registry: Registry,
    *,
    level: str | None = None,
    district: str | None = None,
    vacant: bool | None = None,
    abolished: bool = False,
) -> list[Post]:
    t = schema.posts
    query = sa.select(t).order_by(level_order(t.c.level), t.c.district, t.c.slug)
    if not abolished:
        query = query.where(t.c.abolished_at.is_(None))
    if level:
        query = query.where(t.c.level == parse_level(level).value)
    if district:
        query = query.where(sa.func.lower(t.c.district) == district.strip().lower())
    with registry.read() as conn:
        holders = _holders(conn)
        rows = conn.execute(query).all()
    posts = [to_post(r, holders.get(r.id)) for r in rows]
    if vacant is not None:
        posts = [p for p in posts if (p.holder is None) == vacant]
    return posts


def tenures_of(conn: sa.Connection, post_id: uuid.UUID) -> tuple[Tenure, ...]:
    t, o, p = schema.tenures, schema.officers, schema.posts
    rows = conn.execute(
        sa.select(p.c.slug, o.c.service_id, o.c.name, t.c.start_date, t.c.end_date)
        .join(o, o.c.id == t.c.officer_id)
        .join(p, p.c.id == t.c.post_id)
        .where(t.c.post_id == post_id)
        .order_by(t.c.start_date, t.c.created_at)
    )
    return tuple(Tenure(r.slug, r.service_id, r.name, r.start_date, r.end_date) for r in rows)


def show(registry: Registry, post_slug: str) -> PostDetail:
    a, g, ga = schema.accounts, schema.groups, schema.group_admins
    with registry.read() as conn:
        row = row_by_slug(conn, post_slug)
        accounts = tuple(
            f"{r.platform}:{r.handle}"
            for r in conn.execute(
                sa.select(a.c.platform, a.c.handle)
                .where(a.c.post_id == row.id)
                .order_by(a.c.platform, a.c.handle_key)
            )
        )
        groups = tuple(
            conn.execute(
                sa.select(g.c.slug)
                .join(ga, ga.c.group_id == g.c.id)
                .where(ga.c.post_id == row.id)
                .order_by(g.c.slug)
            ).scalars()
        )
        return PostDetail(
            to_post(row, _holders(conn, [row.id]).get(row.id)),
            tenures_of(conn, row.id),
            accounts,
            groups,
        )
