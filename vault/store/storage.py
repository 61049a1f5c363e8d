"""Where a registry lives, how it is opened, and how every change becomes one transaction.

A registry is one SQLite file by default, or any SQLAlchemy URL (PostgreSQL for a department-wide
registry). SQLite connections get foreign keys, WAL and a busy timeout; write transactions start
with ``BEGIN IMMEDIATE`` so that two writers queue instead of failing half-way. On PostgreSQL a
write transaction takes one advisory lock, which serialises writers exactly as SQLite does: the
event log's hash chain needs one writer at a time, and it makes claiming race-free.

A SQLite registry this process cannot write is opened read-only (:mod:`vault.store.files`); a
write transaction on SQLite first makes sure the file it holds is still the registry. On
PostgreSQL a lost or refused connection is :class:`ServerUnavailable`, one line without the
driver's detail, saying whether the change was saved.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vault.errors import RegistryError, SchemaError, ServerUnavailable, StorageError
from vault.store import files, migrations, reads
from vault.store.location import Location

if TYPE_CHECKING:
    import sqlalchemy as sa

# SQLAlchemy is imported by the functions that use it: a SQLite registry is opened and read
# (:meth:`Registry.reads`) with the standard library alone.

# 'handover' in ASCII: the advisory lock every writer of a PostgreSQL registry takes.
WRITER_LOCK_KEY = 0x68616E646F766572
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _make_engine(location: Location, read_only: bool) -> sa.Engine:
    import sqlalchemy as sa
    from sqlalchemy import event

    if location.path is not None:
        path = location.path
        engine = sa.create_engine(
            "sqlite://",
            creator=lambda: files.connect(path, read_only=read_only),
            poolclass=sa.pool.NullPool,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event, not pysqlite, decide how a transaction starts.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not read_only:
                cur.execute("PRAGMA journal_mode=WAL")
            # 16 MiB of page cache (SQLite's default is 2 MiB): the indexes a bulk import of
            # 100,000 accounts touches all over fit in it. 64 MiB cost 47 MB more memory and
            # no less CPU (make bench); the cache only grows as it is used.
            cur.execute("PRAGMA cache_size=-16384")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            if conn.info.get("writer"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                files.check_unchanged(path, conn.connection.dbapi_connection)  # type: ignore[arg-type]
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    _quiet_drivers()
    return sa.create_engine(location.url, pool_pre_ping=False)


def _quiet_drivers() -> None:
    """The driver and the pool log what they ignore while a connection is lost ("error ignored
    terminating …"); the one-line :class:`ServerUnavailable` says what matters. A library's
    null handler: an application that configures logging still sees them."""
    import logging

    for name in ("psycopg", "sqlalchemy"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


# A connection refused or lost: SQLSTATE class 08, or the server shutting down or starting up.
CONNECTION_STATES = ("57P01", "57P02", "57P03")


def _connection_lost(exc: Exception) -> bool:
    import sqlalchemy as sa

    if getattr(exc, "connection_invalidated", False):
        return True
    if not isinstance(exc, (sa.exc.OperationalError, sa.exc.InterfaceError)):
        return False
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return state is None or state.startswith("08") or state in CONNECTION_STATES


def _reason(error: object) -> str:
    """The driver's message cut to its cause: "connection refused", "terminating connection
    due to administrator command"; never its connection string or internals."""
    lines = str(error).strip().splitlines()
    text = lines[0] if lines else type(error).__name__
    text = text.rsplit("failed: ", 1)[-1].strip().rstrip(".")
    text = text[:1].lower() + text[1:]
    if text in ("connection refused", "no such file or directory"):
        return "no server is listening there"
    return text[:160]


def _storage_error(
    exc: sa.exc.SQLAlchemyError | sqlite3.Error, location: Location, *, committing: bool = False
) -> StorageError:
    """A driver's error (SQLAlchemy's, or the standard library's on the SQLite read path) as
    one line that says what it means for the user's change."""
    orig = exc if isinstance(exc, sqlite3.Error) else getattr(exc, "orig", None)
    if location.path is None and _connection_lost(exc):
        import sqlalchemy as sa

        url = sa.make_url(location.url)
        host = url.host or url.query.get("host") or "local socket"
        where = f"{host}{f':{url.port}' if url.port else ''}/{url.database}"
        if committing:
            return ServerUnavailable(
                f"the connection to the database server ({where}) was lost while the change "
                "was being saved: it may or may not have been saved; look with 'handover log "
                "list' before running the command again",
                saved=None,
            )
        return ServerUnavailable(
            f"the database server is unavailable: {_reason(orig or exc)} ({where}); nothing "
            "was changed",
            saved=False,
        )
    if location.path is not None and _disk_full(location.path, orig):
        return StorageError(f"cannot write {location.path}: the disk is full; nothing was changed")
    detail = str(orig if orig is not None else exc).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    return StorageError(f"database error on {location.display}: {first}")


def _disk_full(path: Path, error: object) -> bool:
    """SQLite says "database or disk is full", or, when it cannot even grow its shared-memory
    file, "disk I/O error": the file system has (next to) no space left."""
    name = getattr(error, "sqlite_errorname", "")
    if name == "SQLITE_FULL":
        return True
    if not name.startswith("SQLITE_IOERR"):
        return False
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 1 << 20


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
    # The sealer of each post's secrets once looked up (vault.crypto.postkeys.sealer_for): a
    # claim or an import seals for hundreds of accounts of a few posts.
    sealers: dict[Any, Any] = field(default_factory=dict)

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
        self.log_many([(action, object_type, object_id, object_ref, details)])

    def log_many(self, entries: list[tuple[str, str, object, str | None, dict[str, Any]]]) -> None:
        """Append an entry for each of many changes of one kind (action, object type, id,
        reference, details), chained in order and written in one statement."""
        from vault.store import journal

        if not entries:
            return
        prev = self.log_head if self.log_head is not None else journal.head(self.conn)
        self.log_head = journal.append(
            self.conn,
            prev,
            [
                journal.Entry(
                    self.now,
                    self.actor,
                    action,
                    object_type,
                    object_id,
                    object_ref,
                    details,
                    self.clock_overridden,
                )
                for action, object_type, object_id, object_ref, details in entries
            ],
        )


@dataclass
class Registry:
    """An open registry: its location, engine, clock, who is acting, and how keys are unlocked.

    ``unlocker`` is whatever the user brought to open sealed data with, or a function that
    gathers it when first needed (a command that opens nothing then never loads the
    cryptography); the storage layer only carries it (:func:`vault.crypto.unlock.unlocker_of`
    gives it its type).

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
    _read_only: bool | None = field(default=None, repr=False)

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = _make_engine(self.location, self.read_only)
        return self._engine

    @property
    def read_only(self) -> bool:
        """Whether this process can only read the registry (a SQLite file it cannot write)."""
        if self._read_only is None:
            path = self.location.path
            self._read_only = path is not None and not files.writable(path)
        return self._read_only

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
        """A read-only transaction: one consistent snapshot for a listing or an audit (on
        PostgreSQL at REPEATABLE READ: at its default, READ COMMITTED, each query would see what
        others committed since the last). It is never committed: closing the connection ends it
        (and a lost connection's failure to roll back is not the error worth reporting)."""
        import sqlalchemy as sa

        try:
            conn = self.engine.connect()
            if self.location.path is None:
                conn.execution_options(isolation_level="REPEATABLE READ")
        except sa.exc.SQLAlchemyError as exc:
            raise _storage_error(exc, self.location) from exc
        try:
            conn.begin()
            yield conn
        except sa.exc.SQLAlchemyError as exc:
            raise _storage_error(exc, self.location) from exc
        finally:
            with suppress(sa.exc.SQLAlchemyError):
                conn.close()

    @contextmanager
    def reads(self) -> Iterator[reads.Reader]:
        """A read-only snapshot for the queries of :mod:`vault.store.queries`: on SQLite a
        connection of the standard library's (SQLAlchemy is not imported), on PostgreSQL one
        of SQLAlchemy's."""
        path = self.location.path
        if path is None:
            with self.read() as conn:
                yield reads.AlchemyReader(conn)
            return
        try:
            plain = files.connect(path, read_only=self.read_only)
        except sqlite3.Error as exc:
            raise _storage_error(exc, self.location) from exc
        try:
            plain.isolation_level = None
            plain.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            plain.execute("BEGIN")
            yield reads.SqliteReader(plain)
        except sqlite3.Error as exc:
            raise _storage_error(exc, self.location) from exc
        finally:
            plain.close()

    @contextmanager
    def write(self, *, new: bool = False) -> Iterator[Tx]:
        """A write transaction that holds the registry's single writer lock until it ends.

        Before anything is done, the clock is held against the log's last entry (a change must
        not be dated before changes already made) and the actor resolved. ``new`` is for the
        transaction that creates the schema, when there is no log yet.
        """
        import sqlalchemy as sa

        if self.read_only:
            raise RegistryError(
                f"{self.location.display} cannot be written here (a read-only file, folder or "
                "file system): this command changes the registry, so nothing was done"
            )
        conn = self._writer()
        try:
            try:
                yield self._begin(conn, new)
            except (sa.exc.SQLAlchemyError, sqlite3.Error) as exc:
                # sqlite3's own errors come from the queries of vault.store.reads, which run on
                # the transaction's driver connection.
                raise _storage_error(exc, self.location) from exc
            try:
                conn.commit()
            except sa.exc.SQLAlchemyError as exc:
                raise _storage_error(exc, self.location, committing=True) from exc
        finally:
            # A connection the server dropped refuses even a look at its info until rolled
            # back: the error it already raised is the one to report.
            with suppress(sa.exc.SQLAlchemyError):
                conn.info.pop("writer", None)
            with suppress(sa.exc.SQLAlchemyError):
                conn.close()

    def _writer(self) -> sa.Connection:
        """A connection in a transaction that holds the writer lock, on the file that is the
        registry now (one replaced while we waited is let go, and the new one opened)."""
        import sqlalchemy as sa

        replaced = 0
        while True:
            try:
                conn = self.engine.connect()
            except sa.exc.SQLAlchemyError as exc:
                raise _storage_error(exc, self.location) from exc
            conn.info["writer"] = True
            try:
                conn.begin()
                if self.dialect == "postgresql":
                    conn.execute(
                        sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITER_LOCK_KEY}
                    )
                return conn
            except files.Replaced:
                conn.close()
                replaced += 1
                if replaced == 3:
                    raise
            except sa.exc.SQLAlchemyError as exc:
                with suppress(sa.exc.SQLAlchemyError):
                    conn.close()
                raise _storage_error(exc, self.location) from exc
            except BaseException:
                conn.close()
                raise

    def _begin(self, conn: sa.Connection, new: bool) -> Tx:
        from vault.store import journal, settings

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


def _revision(location: Location) -> str | None:
    """The schema revision of the registry at ``location``, read without changing anything
    (a SQLite file that is no registry must not be turned to WAL mode by a look at it)."""
    if location.path is not None:
        try:
            plain = files.connect(location.path, read_only=True)
            try:
                if not plain.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
                ).fetchone():
                    return None
                row = plain.execute("SELECT version_num FROM alembic_version").fetchone()
                return None if row is None else str(row[0])
            finally:
                plain.close()
        except sqlite3.Error as exc:
            raise _storage_error(exc, location) from exc
    import sqlalchemy as sa

    engine = _make_engine(location, read_only=True)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except sa.exc.SQLAlchemyError as exc:
        raise _storage_error(exc, location) from exc
    finally:
        engine.dispose()


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
    path = location.path
    if path is not None:
        if not path.exists():
            raise RegistryError(
                f"no registry at {path}; create one with 'handover init' "
                "or choose another with --registry"
            )
        what = files.not_a_registry(path)
        if what == "empty":
            raise RegistryError(
                f"{path} is an empty file, not a registry: delete it and run 'handover init', "
                "or choose another --registry"
            )
        if what is not None:
            raise RegistryError(
                f"{path} is not a handover registry ({what}): choose another --registry"
            )
    revision = _revision(location)
    registry = Registry(location, actor, clock, unlocker, real_clock, actor_is_login)
    if revision is None:
        if path is not None:
            raise RegistryError(
                f"{path} is a SQLite database, but not a handover registry: choose another "
                "--registry"
            )
        raise RegistryError(
            f"{location.display} holds no handover registry; create one with 'handover init'"
        )
    if revision == migrations.HEAD:
        return registry
    registry.close()
    if revision not in migrations.REVISIONS:
        raise SchemaError(
            f"{location.display} was written by a newer handover (schema {revision}); "
            "upgrade handover to open it"
        )
    if registry.read_only:
        raise SchemaError(
            f"{location.display} has an older schema ({revision}) and cannot be written here "
            "to upgrade it: open it once where it can be written"
        )
    if path is not None:
        registry.backup_path = files.keep_copy(path, revision, clock())
    with registry.write() as tx:
        migrations.upgrade(tx.conn)
    registry.upgraded_from = revision
    return registry


def refuse_existing(location: Location) -> None:
    """Refuse to create a registry where there is one, or a file that is not one (which says
    how to free the path): never write over anything."""
    path = location.path
    if path is not None:
        if not path.exists():
            return
        what = files.not_a_registry(path)
        if what == "empty":
            raise RegistryError(
                f"{path} exists and is empty (not a registry): delete it, then run 'handover "
                "init' again, or choose another --registry"
            )
        if what is not None:
            raise RegistryError(
                f"{path} exists and is not a handover registry ({what}): move it aside, or "
                "choose another --registry"
            )
    revision = _revision(location)
    if revision is not None:
        raise RegistryError(
            f"a registry already exists at {location.display}: choose another --registry"
        )
    if path is not None:
        raise RegistryError(
            f"{path} is a SQLite database, but not a handover registry: move it aside, or "
            "choose another --registry"
        )


def create_registry(
    location: Location,
    *,
    actor: str,
    clock: Callable[[], dt.datetime],
    unlocker: object = None,
) -> Registry:
    """Make the file (or check the database is empty) for a new registry, whose schema the
    caller creates in one transaction via :meth:`Registry.write` (``new=True``)."""
    refuse_existing(location)
    if location.path is not None:
        try:
            location.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            location.path.touch(mode=0o600, exist_ok=False)
            os.chmod(location.path, 0o600)
        except OSError as exc:
            raise RegistryError(f"cannot create {location.path}: {exc.strerror}") from None
    return Registry(location, actor, clock, unlocker)


def staging_for(location: Location, suffix: str = ".new") -> Location:
    """Where a new SQLite registry is built before it gets its name: beside it, so that a failure
    or a kill half-way never leaves a half-made registry at the path. A staging file left by an
    earlier attempt is removed (it never held a registry anyone could open)."""
    if location.path is None:
        return location
    path = location.path.with_name(f".{location.path.name}{suffix}")
    files.discard(path)
    return Location(f"sqlite:///{path}", path)


def move_into_place(staging: Location, location: Location, *, replace: bool = False) -> None:
    """Give a complete registry built at ``staging`` its name, with everything in the main file
    and the rename on disk: never over a file that appeared meanwhile, unless ``replace`` (a
    file that is no registry, which ``restore --force`` was asked to replace)."""
    if staging.path is None or location.path is None or staging.path == location.path:
        return
    conn = sqlite3.connect(staging.path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    try:
        if replace:
            os.replace(staging.path, location.path)
        else:
            os.link(staging.path, location.path)
    except FileExistsError:
        raise RegistryError(
            f"a registry appeared at {location.path} meanwhile: choose another --registry"
        ) from None
    files.discard(staging.path)
    files.sync_folder(location.path)


def discard_new_file(location: Location) -> None:
    """Remove a SQLite file (and its WAL) made for a new registry that was not completed."""
    if location.path is not None:
        files.discard(location.path)
