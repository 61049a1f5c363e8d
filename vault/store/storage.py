"""Where a registry lives, how it is opened, and how every change becomes one transaction.

A registry is one SQLite file by default, or any SQLAlchemy URL (PostgreSQL for a department-wide
registry). SQLite connections get foreign keys, WAL and a busy timeout; write transactions start
with ``BEGIN IMMEDIATE`` so that two writers queue instead of failing half-way. On PostgreSQL a
write transaction takes one advisory lock, which serialises writers exactly as SQLite does: the
event log's hash chain needs one writer at a time, and it makes claiming race-free.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from vault.errors import RegistryError, SchemaError, StorageError
from vault.store import journal, migrations, settings
from vault.store.location import Location

# 'handover' in ASCII: the advisory lock every writer of a PostgreSQL registry takes.
WRITER_LOCK_KEY = 0x68616E646F766572
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _make_engine(location: Location) -> sa.Engine:
    if location.path is not None:
        engine = sa.create_engine(location.url, poolclass=sa.pool.NullPool)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event, not pysqlite, decide how a transaction starts.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA journal_mode=WAL")
            # 64 MiB of page cache (SQLite's default is 2 MiB): bulk imports touch indexes
            # all over, and this halves their time; the cache only grows as it is used.
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("writer") else "BEGIN")

        return engine
    return sa.create_engine(location.url, pool_pre_ping=False)


def _storage_error(exc: sa.exc.SQLAlchemyError, location: Location) -> StorageError:
    orig = getattr(exc, "orig", None)
    detail = str(orig if orig is not None else exc).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    return StorageError(f"database error on {location.display}: {first}")


@dataclass
class Tx:
    """One write transaction: the connection, who acts, and the moment the change is made.

    Domain functions take a ``Tx`` and append their event through :meth:`log`, so the change and
    its record commit or roll back together.
    """

    conn: sa.Connection
    registry: Registry
    actor: str
    now: dt.datetime
    # The log's head as this transaction last wrote it: with the writer lock held, nobody else
    # can move it, so a transaction that logs many events reads it once.
    log_head: Any = None
    clock_overridden: bool = False

    def act_as(self, officer: str) -> None:
        """From here on, log this transaction's changes as done by ``officer``, whose identity
        was unlocked to sign for it (a packet, a receipt, a report)."""
        self.actor = officer

    def log(
        self,
        action: str,
        object_type: str,
        object_id: object = None,
        object_ref: str | None = None,
        **details: Any,
    ) -> None:
        prev = self.log_head if self.log_head is not None else journal.head(self.conn)
        self.log_head = journal.append(
            self.conn,
            prev,
            journal.Entry(
                self.now,
                self.actor,
                action,
                object_type,
                object_id,
                object_ref,
                details,
                self.clock_overridden,
            ),
        )


@dataclass
class Registry:
    """An open registry: its location, engine, clock, who is acting, and how keys are unlocked.

    ``unlocker`` is whatever the user brought to open sealed data with; the storage layer only
    carries it (:func:`vault.crypto.unlock.unlocker_of` gives it its type).

    ``actor`` is who the log records: an officer's id once their identity signs for the change
    (:meth:`Tx.act_as`), else as given, e.g. ``it-cell (declared)``. When it is only the
    operating system's login (``actor_is_login``), a write records the registry's configured
    operator instead, if there is one (``config set operator OFFICER``).

    ``clock`` is the time changes are recorded at. When it is overridden (``HANDOVER_NOW``),
    ``real_clock`` is the system's: every log entry made under the override says so, and checks
    that protect against old or future documents use whichever clock is stricter.
    """

    location: Location
    actor: str
    clock: Callable[[], dt.datetime]
    unlocker: object = None
    real_clock: Callable[[], dt.datetime] | None = None
    actor_is_login: bool = False
    upgraded_from: str | None = None
    backup_path: Path | None = None
    _engine: sa.Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = _make_engine(self.location)
        return self._engine

    @property
    def dialect(self) -> str:
        return self.location.dialect

    @property
    def clock_overridden(self) -> bool:
        return self.real_clock is not None

    def system_now(self) -> dt.datetime:
        """The system clock, whatever ``HANDOVER_NOW`` says."""
        return (self.real_clock or self.clock)()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A read-only transaction: one consistent snapshot for a listing or an audit."""
        try:
            with self.engine.connect() as conn, conn.begin():
                yield conn
        except sa.exc.SQLAlchemyError as exc:
            raise _storage_error(exc, self.location) from exc

    @contextmanager
    def write(self, *, new: bool = False) -> Iterator[Tx]:
        """A write transaction that holds the registry's single writer lock until it ends.

        Before anything is done, the clock is held against the log's last entry (a change must
        not be dated before changes already made) and the actor resolved. ``new`` is for the
        transaction that creates the schema, when there is no log yet.
        """
        try:
            with self.engine.connect() as conn:
                conn.info["writer"] = True
                try:
                    with conn.begin():
                        if self.dialect == "postgresql":
                            conn.execute(
                                sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITER_LOCK_KEY}
                            )
                        yield self._begin(conn, new)
                finally:
                    conn.info.pop("writer", None)
        except sa.exc.SQLAlchemyError as exc:
            raise _storage_error(exc, self.location) from exc

    def _begin(self, conn: sa.Connection, new: bool) -> Tx:
        now = self.clock()
        tx = Tx(conn, self, self.actor, now, clock_overridden=self.clock_overridden)
        if new:
            return tx
        tx.log_head = journal.head(conn)
        journal.check_clock(tx.log_head, now)
        if self.actor_is_login:
            operator = settings.read(conn, "operator")
            if operator:
                tx.actor = f"{operator} (operator)"
        return tx


def _schema_revision(conn: sa.Connection) -> str | None:
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def _new_backup_file(path: Path, revision: str, now: dt.datetime) -> Path:
    """A new, empty file (mode 600) for a pre-upgrade copy; never one that exists already.

    The name carries the old revision and the time; two upgrades in the same second (or a clock
    set back) get a counter rather than overwriting an earlier copy.
    """
    stem = f"{path.name}.{revision}.{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
    for attempt in range(1000):
        target = path.with_name(f"{stem}{f'.{attempt}' if attempt else ''}.bak")
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        return target
    raise RegistryError(f"cannot name a backup of {path}: too many backups named {stem}.*")


def _backup_sqlite(path: Path, revision: str, now: dt.datetime) -> Path:
    """Copy a SQLite registry with the online backup API, so the copy is consistent."""
    target = _new_backup_file(path, revision, now)
    src = sqlite3.connect(path)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def open_registry(
    location: Location,
    *,
    actor: str,
    clock: Callable[[], dt.datetime],
    unlocker: object = None,
    real_clock: Callable[[], dt.datetime] | None = None,
    actor_is_login: bool = False,
) -> Registry:
    """Open an existing registry, upgrading its schema (after a backup) when it is older."""
    if location.path is not None and not location.path.exists():
        raise RegistryError(
            f"no registry at {location.path}; create one with 'handover init' "
            "or choose another with --registry"
        )
    registry = Registry(location, actor, clock, unlocker, real_clock, actor_is_login)
    try:
        with registry.engine.connect() as conn:
            revision = _schema_revision(conn)
    except sa.exc.SQLAlchemyError as exc:
        registry.close()
        raise _storage_error(exc, location) from exc
    if revision is None:
        registry.close()
        raise RegistryError(
            f"{location.display} is not a handover registry; create one with 'handover init'"
        )
    if revision == migrations.HEAD:
        return registry
    if revision not in migrations.REVISIONS:
        registry.close()
        raise SchemaError(
            f"{location.display} was written by a newer handover (schema {revision}); "
            "upgrade handover to open it"
        )
    if location.path is not None:
        registry.backup_path = _backup_sqlite(location.path, revision, clock())
    with registry.write() as tx:
        migrations.upgrade(tx.conn)
    registry.upgraded_from = revision
    return registry


def refuse_existing(location: Location) -> None:
    """Refuse to create a registry where one exists: a SQLite file with content, or a database
    that has a registry's schema."""
    if location.path is not None:
        if location.path.exists() and location.path.stat().st_size > 0:
            raise RegistryError(f"a registry already exists at {location.path}")
        return
    engine = _make_engine(location)
    try:
        with engine.connect() as conn:
            if _schema_revision(conn) is not None:
                raise RegistryError(f"a registry already exists at {location.display}")
    except sa.exc.SQLAlchemyError as exc:
        raise _storage_error(exc, location) from exc
    finally:
        engine.dispose()


def create_registry(
    location: Location,
    *,
    actor: str,
    clock: Callable[[], dt.datetime],
    unlocker: object = None,
) -> Registry:
    """Make the file (or check the database is empty) and create the schema in one transaction.

    The caller fills the new registry in the same transaction via :meth:`Registry.write`; if that
    fails, a SQLite file created here is removed again so that nothing half-made is left behind.
    """
    if location.path is not None:
        refuse_existing(location)
        location.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        location.path.touch(mode=0o600, exist_ok=True)
        os.chmod(location.path, 0o600)
    registry = Registry(location, actor, clock, unlocker)
    try:
        with registry.engine.connect() as conn:
            if _schema_revision(conn) is not None:
                registry.close()
                raise RegistryError(f"a registry already exists at {location.display}")
    except sa.exc.SQLAlchemyError as exc:
        registry.close()
        discard_new_file(location)
        raise _storage_error(exc, location) from exc
    return registry


def staging_for(location: Location) -> Location:
    """Where a new SQLite registry is built before it gets its name: beside it, so that a failure
    or a kill half-way never leaves a half-made registry at the path. A staging file left by an
    earlier attempt is removed (it never held a registry anyone could open)."""
    if location.path is None:
        return location
    path = location.path.with_name(f".{location.path.name}.new")
    staging = Location(f"sqlite:///{path}", path)
    discard_new_file(staging)
    return staging


def move_into_place(staging: Location, location: Location) -> None:
    """Give a complete registry built at ``staging`` its name (never over one that appeared
    meanwhile), with everything in the main file and the rename on disk."""
    if staging.path is None or location.path is None or staging.path == location.path:
        return
    conn = sqlite3.connect(staging.path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    try:
        os.link(staging.path, location.path)
    except FileExistsError:
        raise RegistryError(f"a registry already exists at {location.path}") from None
    discard_new_file(staging)
    directory = os.open(location.path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def discard_new_file(location: Location) -> None:
    """Remove a SQLite file (and its WAL) that ``create_registry`` made, after a failed init."""
    if location.path is None:
        return
    for suffix in ("", "-wal", "-shm"):
        with suppress(FileNotFoundError):
            Path(f"{location.path}{suffix}").unlink()
