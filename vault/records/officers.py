"""Officers, and their tenures: who holds which post from when to when.

A post has at most one open tenure (a partial unique index says so too); assigning a new holder
ends the previous one on the day the new one starts, and relieving an officer leaves the post
vacant, which the audit reports when the post owns accounts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from vault.crypto import postkeys
from vault.errors import AlreadyExistsError, ConflictError, InvalidInputError, NotFoundError
from vault.model import N_, Officer, Tenure, as_dict, slug
from vault.records import custody, posts
from vault.records.contacts import load_official, normalise_email, normalise_phone
from vault.store import reads, schema
from vault.store.settings import read as read_setting

if TYPE_CHECKING:
    from vault.store.storage import Registry, Tx


class OfficerFields(NamedTuple):
    """What a user sets on an officer; ``None`` leaves a field as it is, ``""`` clears it."""

    name: str | None = None
    grade: str | None = None
    email: str | None = None
    phone: str | None = None


class OfficerDetail(NamedTuple):
    officer: Officer
    tenures: tuple[Tenure, ...]
    personal_accounts: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class Assignment(NamedTuple):
    tenure: Tenure
    ended: Tenure | None

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def row_by_service_id(conn: sa.Connection, value: str) -> Any:
    row = reads.first(conn, "officer_by_service_id", service_id=value.strip().lower())
    if row is None:
        raise NotFoundError(f"no officer {value!r}; see 'handover officer list'")
    return row


def _posts_held(conn: sa.Connection) -> dict[Any, tuple[str, ...]]:
    t, p = schema.tenures, schema.posts
    held: dict[Any, list[str]] = {}
    for r in conn.execute(
        sa.select(t.c.officer_id, p.c.slug)
        .join(p, p.c.id == t.c.post_id)
        .where(t.c.end_date.is_(None))
        .order_by(p.c.slug)
    ):
        held.setdefault(r.officer_id, []).append(r.slug)
    return {k: tuple(v) for k, v in held.items()}


def to_officer(row: Any, held: tuple[str, ...] = ()) -> Officer:
    return Officer(row.id, row.service_id, row.name, row.grade, row.email, row.phone, held)


def _clean(tx: Tx, fields: OfficerFields) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if fields.name is not None:
        if not fields.name.strip():
            raise InvalidInputError(N_("an officer needs a name"))
        values["name"] = fields.name.strip()
    if fields.grade is not None:
        values["grade"] = fields.grade.strip() or None
    if fields.email is not None:
        values["email"] = normalise_email(fields.email) if fields.email.strip() else None
        if values["email"]:
            official = load_official(tx.conn)
            if not official.email_is_official(values["email"]):
                raise InvalidInputError(
                    "an officer's email in the registry must be official: "
                    + official.why_not(values["email"])
                )
    if fields.phone is not None:
        region = read_setting(tx.conn, "default_region")
        values["phone"] = normalise_phone(fields.phone, region) if fields.phone.strip() else None
    return values


def add_in(tx: Tx, service_id: str, fields: OfficerFields) -> uuid.UUID:
    key = slug(service_id, "officer id")
    t = schema.officers
    if tx.conn.execute(sa.select(t.c.id).where(t.c.service_id == key)).first():
        raise AlreadyExistsError(f"officer {key!r} already exists")
    if not fields.name:
        raise InvalidInputError(N_("a new officer needs --name"))
    values = _clean(tx, fields)
    officer_id = uuid.uuid4()
    tx.conn.execute(
        t.insert().values(
            id=officer_id, service_id=key, created_at=tx.now, updated_at=tx.now, **values
        )
    )
    tx.log("officer.add", "officer", officer_id, key, **values)
    return officer_id


def add(registry: Registry, service_id: str, fields: OfficerFields) -> Officer:
    with registry.write() as tx:
        add_in(tx, service_id, fields)
        return to_officer(row_by_service_id(tx.conn, service_id))


def edit(registry: Registry, service_id: str, fields: OfficerFields) -> Officer:
    t = schema.officers
    with registry.write() as tx:
        row = row_by_service_id(tx.conn, service_id)
        changed = {k: v for k, v in _clean(tx, fields).items() if getattr(row, k) != v}
        if changed:
            tx.conn.execute(t.update().where(t.c.id == row.id).values(updated_at=tx.now, **changed))
            tx.log("officer.edit", "officer", row.id, row.service_id, **changed)
        held = _posts_held(tx.conn).get(row.id, ())
        return to_officer(row_by_service_id(tx.conn, service_id), held)


def list_officers(registry: Registry, *, retired: bool = False) -> list[Officer]:
    t = schema.officers
    query = sa.select(t).order_by(t.c.service_id)
    if not retired:
        query = query.where(t.c.retired_at.is_(None))
    with registry.read() as conn:
        held = _posts_held(conn)
        rows = conn.execute(query).all()
    return [to_officer(r, held.get(r.id, ())) for r in rows]


def show(registry: Registry, service_id: str) -> OfficerDetail:
    t, p, a = schema.tenures, schema.posts, schema.accounts
    with registry.read() as conn:
        row = row_by_service_id(conn, service_id)
        tenures = tuple(
            Tenure(r.slug, row.service_id, row.name, r.start_date, r.end_date)
            for r in conn.execute(
                sa.select(p.c.slug, t.c.start_date, t.c.end_date)
                .join(p, p.c.id == t.c.post_id)
                .where(t.c.officer_id == row.id)
                .order_by(t.c.start_date)
            )
        )
        personal = tuple(
            f"{r.platform}:{r.handle}"
            for r in conn.execute(
                sa.select(a.c.platform, a.c.handle).where(a.c.officer_id == row.id)
            )
        )
        held = _posts_held(conn).get(row.id, ())
    return OfficerDetail(to_officer(row, held), tenures, personal)


def _open_tenure(conn: sa.Connection, post_id: uuid.UUID) -> Any:
    t, o = schema.tenures, schema.officers
    return conn.execute(
        sa.select(t, o.c.service_id, o.c.name)
        .join(o, o.c.id == t.c.officer_id)
        .where(t.c.post_id == post_id, t.c.end_date.is_(None))
    ).first()


def assign_in(
    tx: Tx, officer_row: Any, post_row: Any, start: dt.date
) -> tuple[Tenure, Tenure | None]:
    """Begin ``officer``'s tenure of ``post`` on ``start``, ending the current holder's."""
    t = schema.tenures
    current = _open_tenure(tx.conn, post_row.id)
    ended = None
    if current is not None:
        if current.officer_id == officer_row.id:
            raise ConflictError(f"{officer_row.service_id} already holds {post_row.slug}")
        if start < current.start_date:
            raise ConflictError(
                f"{current.service_id} has held {post_row.slug} since {current.start_date}; "
                f"a new tenure cannot start before that ({start})"
            )
        tx.conn.execute(t.update().where(t.c.id == current.id).values(end_date=start))
        ended = Tenure(post_row.slug, current.service_id, current.name, current.start_date, start)
        tx.log(
            "tenure.end",
            "post",
            post_row.id,
            post_row.slug,
            officer=current.service_id,
            end_date=start,
        )
    tenure_id = uuid.uuid4()
    tx.conn.execute(
        t.insert().values(
            id=tenure_id,
            post_id=post_row.id,
            officer_id=officer_row.id,
            start_date=start,
            end_date=None,
            created_at=tx.now,
        )
    )
    tx.log(
        "tenure.start",
        "post",
        post_row.id,
        post_row.slug,
        officer=officer_row.service_id,
        start_date=start,
    )
    tenure = Tenure(post_row.slug, officer_row.service_id, officer_row.name, start, None)
    return tenure, ended


def assign(
    registry: Registry, service_id: str, post_slug: str, start: dt.date | None = None
) -> Assignment:
    with registry.write() as tx:
        officer_row = row_by_service_id(tx.conn, service_id)
        post_row = posts.row_by_slug(tx.conn, post_slug)
        tenure, ended = assign_in(tx, officer_row, post_row, start or local_today(tx))
        if postkeys.per_post(tx.conn):
            custody.hand_over_by_rekey(
                tx, post_row.id, ended.officer if ended else None, officer_row.service_id
            )
        return Assignment(tenure, ended)


def relieve(
    registry: Registry, service_id: str, post_slug: str, end: dt.date | None = None
) -> Tenure:
    """End an officer's tenure of a post, leaving it vacant until someone is assigned."""
    t = schema.tenures
    with registry.write() as tx:
        officer_row = row_by_service_id(tx.conn, service_id)
        post_row = posts.row_by_slug(tx.conn, post_slug)
        current = _open_tenure(tx.conn, post_row.id)
        if current is None or current.officer_id != officer_row.id:
            raise ConflictError(f"{officer_row.service_id} does not hold {post_row.slug}")
        end = end or local_today(tx)
        if end < current.start_date:
            raise ConflictError(f"the tenure began on {current.start_date}, after {end}")
        tx.conn.execute(t.update().where(t.c.id == current.id).values(end_date=end))
        tx.log(
            "tenure.end",
            "post",
            post_row.id,
            post_row.slug,
            officer=officer_row.service_id,
            end_date=end,
        )
        if postkeys.per_post(tx.conn):
            custody.hand_over_by_rekey(tx, post_row.id, officer_row.service_id, None)
        return Tenure(
            post_row.slug, officer_row.service_id, officer_row.name, current.start_date, end
        )


def local_today(tx: Tx) -> dt.date:
    """Today's date where the user is, which is what an officer means by 'from today'."""
    return tx.now.astimezone().date()
