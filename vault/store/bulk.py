"""Bulk inserts and updates that hand rows straight to the database driver.

SQLAlchemy's ``conn.execute(table.insert(), rows)`` costs about 65 microseconds per row in
parameter processing; importing 100,000 accounts (and their first history entries) spent more
time there than everywhere else together. Here each value is converted once, to what the dialect
stores, and the rows go to the driver's ``executemany`` as tuples. The conversions are the ones
SQLAlchemy itself applies to these column types (a test inserts through both paths and compares
what is read back).
"""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from vault.store.schema import UTCDateTime

Convert = Callable[[Any], Any]


_last_datetime: list[Any] = [None, None]


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    """SQLAlchemy's SQLite storage format; a bulk insert stamps most rows with one moment, so
    the last conversion is remembered."""
    if value is None:
        return None
    if value is _last_datetime[0]:
        return str(_last_datetime[1])
    naive = value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    text = naive.isoformat(" ", "microseconds")
    _last_datetime[0], _last_datetime[1] = value, text
    return text


def _sqlite_uuid(value: uuid.UUID | None) -> str | None:
    return None if value is None else value.hex


def _sqlite_date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


def _sqlite_bool(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _converters(table: sa.Table, columns: Sequence[str], dialect: str) -> list[Convert | None]:
    if dialect != "sqlite":
        return [None] * len(columns)  # psycopg takes UUIDs, datetimes and dates as they are
    found: list[Convert | None] = []
    for name in columns:
        kind = table.c[name].type
        if isinstance(kind, UTCDateTime | sa.DateTime):
            found.append(_sqlite_datetime)
        elif isinstance(kind, sa.Uuid):
            found.append(_sqlite_uuid)
        elif isinstance(kind, sa.Date):
            found.append(_sqlite_date)
        elif isinstance(kind, sa.Boolean):
            found.append(_sqlite_bool)
        else:
            found.append(None)
    return found


def insert_many(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    chunk: int = 5000,
) -> int:
    """Insert ``rows`` (tuples in the order of ``columns``); returns how many."""
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in columns)
    marks = ", ".join(mark for _ in columns)
    statement = f"INSERT INTO {table.name} ({quoted}) VALUES ({marks})"
    return _execute(conn, statement, _converters(table, columns, conn.dialect.name), rows, chunk)


def update_many(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    chunk: int = 5000,
) -> int:
    """Set ``columns`` of the rows whose ``id`` is the last value of each of ``rows`` (tuples
    of the columns' new values, then the id); returns how many."""
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    quote = conn.dialect.identifier_preparer.quote
    assignments = ", ".join(f"{quote(c)} = {mark}" for c in columns)
    statement = f"UPDATE {table.name} SET {assignments} WHERE id = {mark}"
    converters = _converters(table, [*columns, "id"], conn.dialect.name)
    return _execute(conn, statement, converters, rows, chunk)


def _execute(
    conn: sa.Connection,
    statement: str,
    converters: list[Convert | None],
    rows: Iterable[Sequence[Any]],
    chunk: int,
) -> int:
    """``statement`` for each of ``rows``, converted, in ``executemany`` calls of ``chunk``.

    A chunk is converted a column at a time (``map`` over the column, then the columns zipped
    back into rows): a loop over each value of each row cost half as much again."""
    active = [(i, f) for i, f in enumerate(converters) if f is not None]
    count = 0
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, chunk)):
        if active:
            columns: list[Iterable[Any]] = list(zip(*batch, strict=True))
            for i, convert in active:
                columns[i] = map(convert, columns[i])
            batch = list(zip(*columns, strict=True))
        else:
            batch = list(map(tuple, batch))  # the driver takes rows as tuples
        conn.exec_driver_sql(statement, batch)
        count += len(batch)
    return count


def insert_dicts(conn: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> int:
    """:func:`insert_many` for rows given as dicts with the same keys."""
    if not rows:
        return 0
    columns = [c.name for c in table.columns if c.name in rows[0]]
    return insert_many(conn, table, columns, ([row[c] for c in columns] for row in rows))
