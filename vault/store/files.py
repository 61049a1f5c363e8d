"""A SQLite registry as a file: how it is opened, whether this process may write it, which file
it is, and what a file at the registry's path holds when it is not a registry.

Reading never needs write access: a registry this process cannot write (a read-only mount, a
folder of someone else's, a copy on a CD) is opened read-only, and, when no write-ahead log lies
beside it, as immutable, since SQLite could not otherwise create its shared-memory file.

A writer must never commit into a file that is no longer the registry (one replaced by a rename
while the writer waited for the lock): each connection remembers which file (device and inode)
it opened, and a write transaction compares it with the file at the path once it holds the lock.

Copies kept of a registry before it is replaced live here too: of a SQLite file, beside it
(:func:`keep_copy`); of a PostgreSQL registry, as a backup file in a folder (:func:`keep_file`).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from contextlib import suppress
from pathlib import Path
from urllib.parse import quote

from vault.errors import RegistryError, WriteError

SQLITE_HEADER = b"SQLite format 3\x00"
REPLACED = (
    "the registry file was replaced while this command waited for it; nothing was changed: "
    "run the command again"
)

FileId = tuple[int, int]


class Replaced(RegistryError):
    """The file a connection opened is no longer the registry."""


class RegistryConnection(sqlite3.Connection):
    """A SQLite connection that knows which file it opened."""

    file_id: FileId | None = None


def identity(path: Path) -> FileId | None:
    """The file now at ``path`` (device, inode), or ``None`` if there is none."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def writable(path: Path) -> bool:
    """Whether this process can change the registry: its folder (for the write-ahead log and
    the shared-memory file), and the file itself when it exists."""
    return os.access(path.parent, os.W_OK) and (not path.exists() or os.access(path, os.W_OK))


def connect(path: Path, *, read_only: bool) -> RegistryConnection:
    """Open the registry file (never creating it), remembering which file was opened.

    The path is looked at before and after opening: if a rename replaced the file in between,
    the connection may hold either one, so it is opened again."""
    flags = "mode=ro" if read_only else "mode=rw"
    if read_only and not writable(path) and not Path(f"{path}-shm").exists():
        flags += "&immutable=1"  # SQLite could not create its shared-memory file
    uri = f"file:{quote(str(path))}?{flags}"
    for _ in range(5):
        before = identity(path)
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, factory=RegistryConnection)
        if identity(path) == before:
            conn.file_id = before
            return conn
        conn.close()
    raise RegistryError(f"{path} keeps being replaced while it is opened; try again")


def check_unchanged(path: Path, conn: RegistryConnection) -> None:
    """Refuse a write through a connection whose file is no longer the registry."""
    if conn.file_id is not None and identity(path) != conn.file_id:
        raise Replaced(REPLACED)


def not_a_registry(path: Path) -> str | None:
    """What the file at ``path`` is, when its first bytes show it is no registry: "empty" or
    "not a SQLite database"; ``None`` when it is a SQLite database (whose schema then tells)."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise RegistryError(f"cannot read {path}: {exc.strerror}") from None
    if not head:
        return "empty"
    if head != SQLITE_HEADER:
        return "not a SQLite database"
    return None


def temporary_beside(path: Path) -> Path:
    """The temporary file a write of ``path`` goes through before it is renamed into place:
    beside it (a rename across file systems is not atomic), named for this process."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def remove_stale_temporaries(path: Path) -> None:
    """Delete what a killed earlier write of ``path`` left beside it (its temporary file, and
    SQLite's journal of it): files named for a process that is gone."""
    prefix = f".{path.name}."
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        pid, dot, rest = name.removeprefix(prefix).partition(".")
        if not (name.startswith(prefix) and dot and rest.startswith("tmp") and pid.isdigit()):
            continue
        if int(pid) != os.getpid() and not _alive(int(pid)):
            with suppress(OSError):
                (path.parent / name).unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        pass  # someone else's process: alive
    return True


def write_whole(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` whole or not at all: into a temporary file beside it, synced,
    then renamed over ``path``. What a killed earlier write left is removed first; a write that
    fails is :class:`WriteError`, and leaves nothing."""
    remove_stale_temporaries(path)
    tmp = temporary_beside(path)
    try:
        _write_synced(tmp, data, mode)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WriteError(f"cannot write {path}: {exc.strerror}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def keep_copy(path: Path, label: str, now: dt.datetime) -> Path:
    """A dated copy of the registry at ``path`` beside it (mode 600), complete or not at all;
    returns its name, which carries ``label`` (the old schema revision, or why) and the time.

    The copy is made with SQLite's online backup (everything committed, consistent, even while
    others read) into a temporary file, then linked to a name no earlier copy has."""
    remove_stale_temporaries(path)
    tmp = temporary_beside(path)
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        src = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        return _link_unused(tmp, path.parent / f"{path.name}.{label}.{_stamp(now)}", ".bak")
    finally:
        tmp.unlink(missing_ok=True)


def keep_file(folder: Path, stem: str, data: bytes, now: dt.datetime) -> Path:
    """``data`` kept in ``folder`` (made if need be, mode 700) as a new file, mode 600, named
    for ``stem`` and the time, complete or not at all; returns its name. A write that fails is
    :class:`WriteError`, and leaves nothing."""
    name = folder / stem
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        remove_stale_temporaries(name)
        tmp = temporary_beside(name)
        try:
            _write_synced(tmp, data, 0o600)
            return _link_unused(tmp, folder / f"{stem}.{_stamp(now)}", ".backup")
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise WriteError(f"cannot write {name}: {exc.strerror}") from None


def _write_synced(tmp: Path, data: bytes, mode: int) -> None:
    """``data`` in the new file ``tmp``, on the disk before this returns."""
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _stamp(now: dt.datetime) -> str:
    return f"{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"


def _link_unused(tmp: Path, stem: Path, suffix: str) -> Path:
    """Give the complete file ``tmp`` a name no earlier file has, ``stem`` + ``suffix``: two
    copies in the same second (or a clock set back) get a counter rather than overwriting one."""
    for attempt in range(1000):
        target = stem.with_name(f"{stem.name}{f'.{attempt}' if attempt else ''}{suffix}")
        try:
            os.link(tmp, target)
        except FileExistsError:
            continue
        sync_folder(target)
        return target
    raise RegistryError(f"cannot name a copy in {stem.parent}: too many named {stem.name}.*")


def sync_folder(path: Path) -> None:
    """Make a rename or a new name in ``path``'s folder durable."""
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def discard(path: Path) -> None:
    """Remove a SQLite file and its write-ahead log and shared-memory file, if any."""
    for suffix in ("", "-wal", "-shm"):
        with suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()
