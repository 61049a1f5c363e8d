"""Importing the register's own records: posts, officers (with who holds which post from when)
and groups (with their admin posts)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from vault.crypto import postkeys
from vault.exchange.rows import (
    COLUMNS,
    Progress,
    RowReader,
    changed_fields,
    merged_row,
    optional_email,
    optional_phone,
    reject_if_errors,
    write_rows,
)
from vault.model import Level, parse_date, parse_level, parse_platform
from vault.records import contacts, custody
from vault.store import schema
from vault.store.settings import day_first as settings_day_first
from vault.store.settings import read

if TYPE_CHECKING:
    from vault.store.storage import Tx


def import_posts(
    tx: Tx,
    reader: RowReader,
    text: Iterable[str],
    _secrets: Iterable[str] | None,
    dry: bool,
    progress: Progress | None,
) -> tuple[int, int, int, int, int]:
    region = read(tx.conn, "default_region")
    official = contacts.load_official(tx.conn)
    t = schema.posts
    existing = {r.slug: r for r in tx.conn.execute(sa.select(t))}
    inserts, updates = [], []
    rows = 0
    for number, row in reader.rows(text):
        rows += 1
        key = reader.unique(number, "slug", row["slug"], "post")
        level = reader.value(number, "level", parse_level, row["level"])
        email = reader.value(number, "email", optional_email, row.get("email", ""))
        if email and not official.email_is_official(email):
            reader.error(
                number, "email", f"a post's email must be official: {official.why_not(email)}"
            )
        values = {
            "title": reader.required(number, "title", row["title"], "a post needs a title"),
            "level": level.value if level else None,
            "district": row.get("district") or None,
            "department": row.get("department") or None,
            "email": email,
            "phone": reader.value(
                number, "phone", optional_phone(region, mobile=True), row.get("phone", "")
            ),
        }
        if level is Level.DISTRICT and not values["district"]:
            reader.error(number, "district", "a district-level post needs a district")
        if key in existing:
            changed = changed_fields(existing[key], values)
            if changed:
                updates.append(
                    {
                        "_id": existing[key].id,
                        **{**merged_row(existing[key], values), "updated_at": tx.now},
                    }
                )
        elif key:
            inserts.append(
                {
                    "id": uuid.uuid4(),
                    "slug": key,
                    "created_at": tx.now,
                    "updated_at": tx.now,
                    **values,
                }
            )
    reject_if_errors(reader)
    if not dry:
        write_rows(tx, t, inserts, updates, (*tuple(COLUMNS["posts"][1:]), "updated_at"), progress)
    return rows, len(inserts), len(updates), rows - len(inserts) - len(updates), 0


def import_officers(
    tx: Tx,
    reader: RowReader,
    text: Iterable[str],
    _secrets: Iterable[str] | None,
    dry: bool,
    progress: Progress | None,
) -> tuple[int, int, int, int, int]:
    region = read(tx.conn, "default_region")
    day_first = settings_day_first(tx.conn)
    official = contacts.load_official(tx.conn)
    t = schema.officers
    existing = {r.service_id: r for r in tx.conn.execute(sa.select(t))}
    post_rows = {r.slug: r for r in tx.conn.execute(sa.select(schema.posts))}
    held = _open_tenures(tx)
    assigned: dict[Any, int] = {}
    inserts, updates = [], []
    assignments: list[tuple[str, Any, Any]] = []
    rows = 0
    for number, row in reader.rows(text):
        rows += 1
        key = reader.unique(number, "service_id", row["service_id"], "officer id")
        email = reader.value(number, "email", optional_email, row.get("email", ""))
        if email and not official.email_is_official(email):
            reader.error(number, "email", official.why_not(email))
        values = {
            "name": reader.required(number, "name", row["name"], "an officer needs a name"),
            "grade": row.get("grade") or None,
            "email": email,
            "phone": reader.value(number, "phone", optional_phone(region), row.get("phone", "")),
        }
        if row.get("post"):
            post = post_rows.get(row["post"].strip().lower())
            start = reader.value(
                number,
                "from",
                lambda v: parse_date(v, "from", day_first=day_first),
                row.get("from") or tx.now.astimezone().date().isoformat(),
            )
            if post is None:
                reader.error(number, "post", f"no post {row['post']!r} in the registry")
            elif post.id in assigned:
                reader.error(
                    number, "post", f"{post.slug} is assigned in row {assigned[post.id]} too"
                )
            elif start is not None and key:
                assigned[post.id] = number
                current = held.get(post.id)
                if current is not None and current.service_id != key and start < current.start_date:
                    reader.error(
                        number,
                        "from",
                        f"{current.service_id} has held {post.slug} since {current.start_date}",
                    )
                elif current is None or current.service_id != key:
                    assignments.append((key, post, start))
        if key in existing:
            if changed_fields(existing[key], values):
                updates.append(
                    {
                        "_id": existing[key].id,
                        **merged_row(existing[key], values),
                        "updated_at": tx.now,
                    }
                )
        elif key:
            inserts.append(
                {
                    "id": uuid.uuid4(),
                    "service_id": key,
                    "created_at": tx.now,
                    "updated_at": tx.now,
                    **values,
                }
            )
    reject_if_errors(reader)
    if not dry:
        write_rows(
            tx, t, inserts, updates, ("name", "grade", "email", "phone", "updated_at"), progress
        )
        ids = {r["service_id"]: r["id"] for r in inserts} | {k: r.id for k, r in existing.items()}
        ended = [
            {"_id": held[post.id].id, "end_date": start}
            for _key, post, start in assignments
            if post.id in held
        ]
        if ended:
            tt = schema.tenures
            tx.conn.execute(
                tt.update()
                .where(tt.c.id == sa.bindparam("_id"))
                .values(end_date=sa.bindparam("end_date")),
                ended,
            )
        if assignments:
            tx.conn.execute(
                schema.tenures.insert(),
                [
                    {
                        "id": uuid.uuid4(),
                        "post_id": post.id,
                        "officer_id": ids[key],
                        "start_date": start,
                        "end_date": None,
                        "created_at": tx.now,
                    }
                    for key, post, start in assignments
                ],
            )
        if postkeys.per_post(tx.conn):
            for key, post, _start in assignments:
                previous = held.get(post.id)
                custody.hand_over_by_rekey(
                    tx, post.id, previous.service_id if previous else None, key
                )
    return rows, len(inserts), len(updates), rows - len(inserts) - len(updates), 0


def _open_tenures(tx: Tx) -> dict[Any, Any]:
    """The open tenure of each post: (id, officer's service id, start date)."""
    t, o = schema.tenures, schema.officers
    return {
        r.post_id: r
        for r in tx.conn.execute(
            sa.select(t.c.id, t.c.post_id, t.c.start_date, o.c.service_id)
            .join(o, o.c.id == t.c.officer_id)
            .where(t.c.end_date.is_(None))
        )
    }


def import_groups(
    tx: Tx,
    reader: RowReader,
    text: Iterable[str],
    _secrets: Iterable[str] | None,
    dry: bool,
    progress: Progress | None,
) -> tuple[int, int, int, int, int]:
    t, ga = schema.groups, schema.group_admins
    existing = {r.slug: r for r in tx.conn.execute(sa.select(t))}
    post_ids = {r.slug: r.id for r in tx.conn.execute(sa.select(schema.posts))}
    current_admins: dict[Any, set[Any]] = {}
    for r in tx.conn.execute(sa.select(ga)):
        current_admins.setdefault(r.group_id, set()).add(r.post_id)
    inserts, updates, admin_sets = [], [], []
    rows = 0
    for number, row in reader.rows(text):
        rows += 1
        key = reader.unique(number, "slug", row["slug"], "group")
        level = reader.value(number, "level", parse_level, row["level"])
        platform = reader.value(
            number, "platform", parse_platform, row.get("platform") or "whatsapp"
        )
        values = {
            "name": reader.required(number, "name", row["name"], "a group needs a name"),
            "level": level.value if level else None,
            "district": row.get("district") or None,
            "department": row.get("department") or None,
            "platform": platform.value if platform else None,
        }
        if level is Level.DISTRICT and not values["district"]:
            reader.error(number, "district", "a district-level group needs a district")
        admins = set()
        for name in filter(None, (a.strip().lower() for a in row.get("admins", "").split(";"))):
            if name not in post_ids:
                reader.error(number, "admins", f"no post {name!r} in the registry")
            else:
                admins.add(post_ids[name])
        if key in existing:
            group_id = existing[key].id
            if changed_fields(existing[key], values):
                updates.append(
                    {"_id": group_id, **merged_row(existing[key], values), "updated_at": tx.now}
                )
            if admins != current_admins.get(group_id, set()) and "admins" in row:
                admin_sets.append((group_id, admins))
                if not changed_fields(existing[key], values):
                    updates.append(
                        {"_id": group_id, **merged_row(existing[key], values), "updated_at": tx.now}
                    )
        elif key:
            group_id = uuid.uuid4()
            inserts.append(
                {"id": group_id, "slug": key, "created_at": tx.now, "updated_at": tx.now, **values}
            )
            admin_sets.append((group_id, admins))
    reject_if_errors(reader)
    if not dry:
        write_rows(
            tx,
            t,
            inserts,
            updates,
            ("name", "level", "district", "department", "platform", "updated_at"),
            progress,
        )
        for group_id, admins in admin_sets:
            tx.conn.execute(ga.delete().where(ga.c.group_id == group_id))
            if admins:
                tx.conn.execute(ga.insert(), [{"group_id": group_id, "post_id": p} for p in admins])
    return rows, len(inserts), len(updates), rows - len(inserts) - len(updates), 0
