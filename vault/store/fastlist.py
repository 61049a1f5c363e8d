"""``account list`` on a SQLite registry, read with the standard library alone.

Listing is the command people run most and the one the start-up budget is about: 10,000 accounts
in under 0.75 s. Importing SQLAlchemy alone costs about 0.4 s of that, and its row processing
as much again at 10,000 rows; a listing needs neither (one SELECT, no write, no migration).
So on a SQLite registry at the current schema the listing is read here with ``sqlite3``, and
converted to exactly what :func:`vault.accounts.iter_listing` yields; anything else (PostgreSQL,
a registry that needs upgrading, a missing file) returns ``None`` and the caller takes the
SQLAlchemy path, which also reports errors. A test compares the two outputs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

from vault.model import DEFAULT_TIMEZONE, parse_kind, parse_level, parse_platform, parse_status
from vault.store import migrations
from vault.store.location import resolve

COLUMNS = (
    "id", "platform", "handle", "url", "post", "officer", "kind", "disclaimer", "login_email",
    "login_phone", "recovery_email", "recovery_phone", "twofa_method", "twofa_phone",
    "twofa_holder", "verification", "verification_date", "password_changed_at",
    "totp_changed_at", "recovery_codes_changed_at", "notes_changed_at", "rotation_due_at",
    "rotation_reason",
)  # fmt: skip
SELECT = """
SELECT a.id, a.platform, a.handle, a.url, p.slug, o.service_id, a.kind, a.disclaimer,
       a.login_email, a.login_phone, a.recovery_email, a.recovery_phone, a.twofa_method,
       a.twofa_phone, a.twofa_holder, a.verification, a.verification_date,
       a.password_changed_at, a.totp_changed_at, a.recovery_codes_changed_at,
       a.notes_changed_at, a.rotation_due_at, a.rotation_reason
FROM accounts a
LEFT OUTER JOIN posts p ON p.id = a.post_id
LEFT OUTER JOIN officers o ON o.id = a.officer_id
"""
TIMESTAMPS = range(17, 22)


def _uuid(hex32: str) -> str:
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:]}"


def _timestamp(stored: str | None) -> str | None:
    """SQLAlchemy's stored ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC) as ``datetime.isoformat()``
    writes the aware value: a ``T``, no fraction when it is zero, and ``+00:00``."""
    if stored is None:
        return None
    if stored.endswith(".000000"):
        stored = stored[:-7]
    return stored.replace(" ", "T", 1) + "+00:00"


def display_timezone(registry: str | None) -> str:
    """The registry's ``display_timezone`` setting, read the same light way."""
    import json
    from urllib.parse import quote

    location = resolve(registry)
    stored = None
    if location.path is not None and location.path.exists():
        try:
            conn = sqlite3.connect(f"file:{quote(str(location.path))}?mode=ro", uri=True)
            try:
                stored = conn.execute(
                    "SELECT value FROM settings WHERE name = 'display_timezone'"
                ).fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            stored = None
    return str(json.loads(stored[0])) if stored else DEFAULT_TIMEZONE


def listing(
    registry: str | None,
    *,
    post: str | None = None,
    district: str | None = None,
    level: str | None = None,
    platform: str | None = None,
    status: str | None = None,
    kind: str | None = None,
    archived: bool = False,
) -> Iterator[dict[str, Any]] | None:
    """The account listing of a SQLite registry at the current schema, else ``None``."""
    location = resolve(registry)
    if location.path is None or not location.path.exists():
        return None
    try:
        conn = sqlite3.connect(location.path, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=30000")
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    if revision is None or revision[0] != migrations.HEAD:
        conn.close()
        return None
    where, params = [], []
    if post:
        where.append("p.slug = ?")
        params.append(post.strip().lower())
    if district:
        where.append("lower(p.district) = ?")
        params.append(district.strip().lower())
    if level:
        where.append("p.level = ?")
        params.append(parse_level(level).value)
    if platform:
        where.append("a.platform = ?")
        params.append(parse_platform(platform).value)
    if status:
        where.append("a.verification = ?")
        params.append(parse_status(status).value)
    if kind:
        where.append("a.kind = ?")
        params.append(parse_kind(kind).value)
    if not archived:
        where.append("a.archived_at IS NULL")
    sql = SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY a.platform, a.handle_key"
    return _rows(conn, sql, params)


def _rows(conn: sqlite3.Connection, sql: str, params: list[str]) -> Iterator[dict[str, Any]]:
    try:
        cursor = conn.execute("BEGIN")
        cursor = conn.execute(sql, params)
        while batch := cursor.fetchmany(2000):
            for row in batch:
                values = list(row)
                values[0] = _uuid(values[0])
                if values[7] is not None:
                    values[7] = bool(values[7])
                for i in TIMESTAMPS:
                    if values[i] is not None:
                        values[i] = _timestamp(values[i])
                yield {
                    "id": values[0],
                    "ref": f"{values[1]}:{values[2]}",
                    **dict(zip(COLUMNS[1:], values[1:], strict=True)),
                }
    finally:
        conn.close()
