"""Bulk inserts and updates that hand rows straight to the database driver.

SQLAlchemy's ``conn.execute(table.insert(), rows)`` costs about 65 microseconds per row in
parameter processing; importing 100,000 accounts (and their first history entries) spent more
time there than everywhere else together. Here each value is converted once, to what the dialect
stores, and the rows go to the driver's ``executemany`` as tuples. The conversions are the ones
SQLAlchemy itself applies to these column types (a test inserts through both paths and compares
what is read back).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from vault.store import reads

Convert = Callable[[Any], Any]


def _converters(table: sa.Table, columns: Sequence[str], dialect: str) -> list[Convert | None]:
    if dialect != "sqlite":
        return [None] * len(columns)  # psycopg takes UUIDs, datetimes and dates as they are
    from vault.store import queries

    return [reads.STORE.get(queries.kind_of(table.c[name].type) or "") for name in columns]


def chunks(ids: list[Any], size: int = 500) -> list[list[Any]]:
    """Ids in lists short enough for one ``IN (...)`` on any database."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


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
