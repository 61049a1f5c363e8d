"""Running the queries of :mod:`vault.store.queries` by name, on whichever database holds the
registry, with the same rows as the result.

On SQLite the compiled text of :mod:`vault.store.compiled` runs on the standard library's
``sqlite3`` connection (a connection of its own for a read, or the one under a write
transaction), and each value becomes what SQLAlchemy would give: a ``uuid.UUID``, an aware UTC
``datetime``, a ``date``, a ``bool``. On PostgreSQL the statement runs through SQLAlchemy. Either
way a row is a named tuple of the query's columns, so code that reads rows does not know which
database it read. Nothing here imports SQLAlchemy unless a PostgreSQL connection is given.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections import namedtuple
from collections.abc import Callable, Iterator
from functools import cache, lru_cache
from typing import Any

from vault.store import compiled

BATCH = 2000


@cache
def row_type(name: str) -> Any:
    """The named tuple of a query's rows."""
    return namedtuple(f"{name}_row", compiled.QUERIES[name][1])


@lru_cache(maxsize=4096)
def _utc(stored: str) -> dt.datetime:
    """A stored moment as an aware UTC datetime. Remembered: rows written together (an import,
    a handover) share their moments, and an audit reads some 300,000 of them."""
    return dt.datetime.fromisoformat(stored).replace(tzinfo=dt.UTC)


CONVERT: dict[str, Callable[[Any], Any]] = {
    "uuid": lambda hex32: uuid.UUID(hex=hex32),
    "utc": _utc,
    "date": dt.date.fromisoformat,
    "bool": bool,
}


# The last moment converted and its text, as one tuple: replaced whole, so that threads (the web
# page's) never read one moment's text for another.
_last_moment: list[tuple[Any, str]] = [(None, "")]


def _stored_utc(value: dt.datetime | None) -> str | None:
    """An aware datetime as SQLAlchemy stores it on SQLite. A bulk insert stamps most rows with
    one moment, so the last conversion is remembered."""
    if value is None:
        return None
    last = _last_moment[0]
    if value is last[0]:
        return last[1]
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    text = value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    _last_moment[0] = (value, text)
    return text


# How a value of each kind of column is stored on SQLite, as SQLAlchemy stores it: for the
# parameters of a query here, and for the rows of a bulk write (vault.store.bulk).
STORE: dict[str, Callable[[Any], Any]] = {
    "uuid": lambda value: None if value is None else value.hex,
    "utc": _stored_utc,
    "date": lambda value: None if value is None else value.isoformat(),
    "bool": lambda value: None if value is None else int(value),
}


# The kind of a parameter, by its Python type (a datetime before a date, which it also is).
_KIND_OF_TYPE = ((uuid.UUID, "uuid"), (dt.datetime, "utc"), (dt.date, "date"), (bool, "bool"))


def _bind(value: Any) -> Any:
    """A parameter as SQLAlchemy would store it on SQLite (:data:`STORE`, by its type)."""
    for type_, kind in _KIND_OF_TYPE:
        if isinstance(value, type_):
            return STORE[kind](value)
    return value


def json_value(kind: str | None, value: Any) -> Any:
    """A column's value as the JSON listing writes it (and SQLite's JSON form makes it)."""
    if value is None or kind is None or kind == "bool":
        return value
    return str(value) if kind == "uuid" else value.isoformat()


class SqliteReader:
    """Queries by name on a standard-library SQLite connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def _execute(
        self, name: str, params: dict[str, Any]
    ) -> tuple[sqlite3.Cursor, Callable[..., Any]]:
        sql, _names, kinds, constants = compiled.QUERIES[name]
        bound = {**constants, **{k: _bind(v) for k, v in params.items()}}
        cursor = self.conn.execute(sql, bound)
        make = row_type(name)._make
        steps = [(i, CONVERT[kind]) for i, kind in enumerate(kinds) if kind is not None]
        if not steps:
            return cursor, make

        def convert(row: tuple[Any, ...]) -> Any:
            values = list(row)
            for i, step in steps:
                if values[i] is not None:
                    values[i] = step(values[i])
            return make(values)

        return cursor, convert

    def batches(self, name: str, /, **params: Any) -> Iterator[list[Any]]:
        cursor, make = self._execute(name, params)
        while batch := cursor.fetchmany(BATCH):
            yield list(map(make, batch))

    def stream(self, name: str, /, **params: Any) -> Iterator[Any]:
        for batch in self.batches(name, **params):
            yield from batch

    def all(self, name: str, /, **params: Any) -> list[Any]:
        cursor, make = self._execute(name, params)
        return list(map(make, cursor.fetchall()))

    def first(self, name: str, /, **params: Any) -> Any:
        cursor, make = self._execute(name, params)
        row = cursor.fetchone()
        return None if row is None else make(row)

    def json(self, name: str, /, **params: Any) -> Iterator[str]:
        """Each row as the JSON text SQLite writes for it."""
        sql, constants = compiled.JSON[name]
        cursor = self.conn.execute(sql, {**constants, **{k: _bind(v) for k, v in params.items()}})
        while batch := cursor.fetchmany(BATCH):
            for (text,) in batch:
                yield text


class AlchemyReader:
    """Queries by name through SQLAlchemy (PostgreSQL)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def batches(self, name: str, /, **params: Any) -> Iterator[list[Any]]:
        from vault.store import queries

        make = row_type(name)._make
        result = self.conn.execute(queries.statement(name), params).yield_per(BATCH)
        for batch in result.partitions():
            yield list(map(make, batch))

    def stream(self, name: str, /, **params: Any) -> Iterator[Any]:
        for batch in self.batches(name, **params):
            yield from batch

    def all(self, name: str, /, **params: Any) -> list[Any]:
        """Every row at once: no server-side cursor (``stream``'s) for a list that is wanted
        whole, which on PostgreSQL would cost two more round trips per query."""
        from vault.store import queries

        make = row_type(name)._make
        return [make(row) for row in self.conn.execute(queries.statement(name), params)]

    def first(self, name: str, /, **params: Any) -> Any:
        from vault.store import queries

        row = self.conn.execute(queries.statement(name), params).first()
        return None if row is None else row_type(name)._make(row)

    def json(self, name: str, /, **params: Any) -> Iterator[str]:
        import json

        kinds = compiled.QUERIES[name][2]
        encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        for row in self.stream(name, **params):
            pairs = zip(row._asdict().items(), kinds, strict=True)
            yield encode({k: json_value(kind, v) for (k, v), kind in pairs})


Reader = SqliteReader | AlchemyReader


def reader(conn: Any) -> Reader:
    """The reader for a connection: a reader as it is, a ``sqlite3`` connection, or an
    SQLAlchemy connection (on SQLite, its driver connection: the same transaction)."""
    if isinstance(conn, (SqliteReader, AlchemyReader)):
        return conn
    if isinstance(conn, sqlite3.Connection):
        return SqliteReader(conn)
    if conn.dialect.name == "sqlite":
        return SqliteReader(conn.connection.dbapi_connection)
    return AlchemyReader(conn)


def first(conn: Any, name: str, /, **params: Any) -> Any:
    """The first row of a query, or ``None``."""
    return reader(conn).first(name, **params)


def scalar(conn: Any, name: str, /, **params: Any) -> Any:
    """The first column of the first row, or ``None``."""
    row = first(conn, name, **params)
    return None if row is None else row[0]


def batches(conn: Any, name: str, /, **params: Any) -> Iterator[list[Any]]:
    """The rows of a query a batch at a time, for work that need not hold them all."""
    return reader(conn).batches(name, **params)


def rows(conn: Any, name: str, /, **params: Any) -> list[Any]:
    return reader(conn).all(name, **params)


def rows_by_ids(conn: Any, name: str, ids: list[Any]) -> list[Any]:
    """The rows of a query by a list of ids (parameters ``id_0`` ...), for any number of ids: a
    hundred at a time (``IDS_AT_ONCE``), as one statement that the compiled catalog can hold,
    the rest of the last lot unset (NULL, which matches nothing)."""
    at_once = compiled.IDS_AT_ONCE
    found: list[Any] = []
    for start in range(0, len(ids), at_once):
        lot = ids[start : start + at_once]
        lot += [None] * (at_once - len(lot))
        found += reader(conn).all(name, **{f"id_{i}": value for i, value in enumerate(lot)})
    return found


def scalars(conn: Any, name: str, /, **params: Any) -> list[Any]:
    return [row[0] for row in reader(conn).all(name, **params)]
