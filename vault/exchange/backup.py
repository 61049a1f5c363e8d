"""Encrypted backup of a whole registry, and its restore elsewhere.

A backup is one file::

    HANDOVER-BACKUP/1
    <header: RFC 8785 JSON: registry id, schema revision, time, the registry key's id and slots>
    <nonce (12) || AES-256-GCM(backup key, zlib(every table's rows as JSON), AAD = header line)>

The backup key is HKDF-SHA256 of the registry's data key, salted with the backup's own id. The
slots travel in the header, still wrapped, so that the registry's passphrase or recovery code
opens the backup on another machine; secrets inside stay sealed exactly as in the registry, so a
restored registry is identical, row for row, and its event log still verifies. Making a backup
unlocks the registry first: with a wrong or missing key, nothing is written.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NamedTuple

import sqlalchemy as sa

from vault.canonical import canonical
from vault.crypto.seal import DataKey
from vault.crypto.slots import slots_of
from vault.crypto.unlock import WRONG, Unlocker, registry_key, try_secret
from vault.errors import RegistryError, SignatureError, UnlockError, WriteError
from vault.log.verify import verify_chain
from vault.model import N_, as_dict
from vault.store import files, migrations, schema, settings, storage
from vault.store.location import Location, data_folder

MAGIC = b"HANDOVER-BACKUP/1"
BAD = N_("the backup is damaged or not authentic")
INFO = b"handover-backup-v1"


def _encode(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return {"$u": str(value)}
    if isinstance(value, dt.datetime):
        return {"$t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    if isinstance(value, (bytes, memoryview)):
        return {"$b": base64.b64encode(bytes(value)).decode()}
    return value


DECODERS: dict[str, Callable[[str], Any]] = {
    "$u": uuid.UUID,
    "$t": dt.datetime.fromisoformat,
    "$d": dt.date.fromisoformat,
    "$b": base64.b64decode,
}


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        ((tag, text),) = value.items()
        return DECODERS[tag](text)
    return value


def _backup_key(data_key: bytes, backup_id: uuid.UUID) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=backup_id.bytes, info=INFO).derive(
        data_key
    )


class Made(NamedTuple):
    registry_id: str
    revision: str
    tables: dict[str, int]
    created: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def _tables(conn: sa.Connection) -> list[sa.Table]:
    inspector = sa.inspect(conn)
    return [t for t in schema.metadata.sorted_tables if inspector.has_table(t.name)]


class _Dump(NamedTuple):
    """A registry's every row, as a backup holds them, and what its header says of them."""

    registry_id: str
    revision: str
    counts: dict[str, int]
    payload: dict[str, Any]


def _dump(conn: sa.Connection) -> _Dump:
    revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    payload: dict[str, Any] = {}
    counts = {}
    for table in _tables(conn):
        columns = [c.name for c in table.columns]
        rows = [[_encode(v) for v in row] for row in conn.execute(sa.select(table))]
        payload[table.name] = {"columns": columns, "rows": rows}
        counts[table.name] = len(rows)
    return _Dump(str(settings.read(conn, "registry_id")), str(revision), counts, payload)


def _sealed(dump: _Dump, key: DataKey, slots: list[dict[str, Any]], now: dt.datetime) -> bytes:
    """The backup file of ``dump``: sealed under ``key``, whose ``slots`` its header carries."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    backup_id = uuid.uuid4()
    header = {
        "format": 1,
        "kind": "handover-backup",
        "backup_id": str(backup_id),
        "registry_id": dump.registry_id,
        "revision": dump.revision,
        "created": now.isoformat(),
        "key_id": str(key.id),
        "slots": slots,
        "tables": dump.counts,
    }
    header_bytes = canonical(header)
    nonce = os.urandom(12)
    body = zlib.compress(json.dumps(dump.payload, separators=(",", ":")).encode(), 6)
    sealed = AESGCM(_backup_key(key.secret, backup_id)).encrypt(nonce, body, header_bytes)
    return MAGIC + b"\n" + header_bytes + b"\n" + nonce + sealed


def make(registry: storage.Registry) -> tuple[Made, bytes]:
    with registry.read() as conn:
        key = registry_key(conn, registry)  # refuse up front without the right key
        dump = _dump(conn)
        slots = [
            {
                "id": str(s.id),
                "key_id": str(s.key_id),
                "kind": s.kind,
                "label": s.label,
                "params": s.params,
                "wrapped": base64.b64encode(bytes(s.wrapped)).decode(),
            }
            for s in slots_of(conn, key.id)
        ]
    now = registry.clock()
    return Made(dump.registry_id, dump.revision, dump.counts, now), _sealed(dump, key, slots, now)


def _parse(data: bytes) -> tuple[dict[str, Any], bytes, bytes]:
    if not data.startswith(MAGIC + b"\n"):
        raise SignatureError(BAD)
    header_bytes, sep, rest = data[len(MAGIC) + 1 :].partition(b"\n")
    try:
        header = json.loads(header_bytes)
    except ValueError:
        raise SignatureError(BAD) from None
    if (
        not sep
        or not isinstance(header, dict)
        or canonical(header) != header_bytes
        or header.get("format") != 1
        or len(rest) < 12 + 16
    ):
        raise SignatureError(BAD)
    return header, header_bytes, rest


def _data_key(header: dict[str, Any], unlocker: Unlocker) -> DataKey:
    try:
        slots = [
            SimpleNamespace(
                id=uuid.UUID(s["id"]),
                key_id=uuid.UUID(s["key_id"]),
                kind=s["kind"],
                label=s["label"],
                params=s["params"],
                wrapped=base64.b64decode(s["wrapped"]),
            )
            for s in header["slots"]
        ]
    except (KeyError, TypeError, ValueError):
        raise SignatureError(BAD) from None
    usable = [s for s in slots if s.kind in ("passphrase", "recovery")]
    found = try_secret(unlocker, usable, unlocker.passphrase()) if usable else None
    if found is None:
        raise UnlockError(WRONG)
    return found[0]


class Restored(NamedTuple):
    location: str
    registry_id: str
    revision: str
    tables: dict[str, int]
    log_entries: int
    previous: str | None

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def restore(
    location: Location,
    data: bytes,
    *,
    unlocker: Unlocker,
    actor: str,
    clock: Callable[[], dt.datetime],
    force: bool = False,
) -> Restored:
    """Recreate the registry of a backup at ``location``; over an existing one only with ``force``.

    Over an existing registry, the restore is one write transaction in it: it takes the
    registry's writer lock first (so a writer at work finishes, and one that comes later writes
    into the restored registry: no change ever goes into a file that is no longer the
    registry), keeps a dated copy of what it replaces (:func:`_keep_before_restore` on
    PostgreSQL), drops it and fills in the backup. A kill at any moment leaves the old registry
    or the restored one, whole. A new SQLite registry is built beside its path and moved there
    when complete.
    """
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header, header_bytes, rest = _parse(data)
    key = _data_key(header, unlocker)
    try:
        body = AESGCM(_backup_key(key.secret, uuid.UUID(header["backup_id"]))).decrypt(
            rest[:12], rest[12:], header_bytes
        )
        payload = json.loads(zlib.decompress(body))
    except (InvalidTag, ValueError, KeyError, zlib.error):
        raise SignatureError(BAD) from None
    revision = str(header.get("revision"))
    if revision not in migrations.REVISIONS:
        raise RegistryError(
            f"the backup has schema {revision}, newer than this handover: "
            "upgrade handover to restore it"
        )
    path = location.path
    occupied = path is not None and path.exists() and path.stat().st_size > 0
    if occupied and not force:
        raise RegistryError(f"a registry exists at {path}; restore over it only with --force")
    in_place = path is None or (occupied and files.not_a_registry(path) is None)
    target = location if in_place else storage.staging_for(location, ".restoring")
    if not in_place:
        storage.create_registry(target, actor=actor, clock=clock).close()
    registry = storage.Registry(target, actor, clock)
    previous = None
    filled = False  # past this, the transaction is committing: whether it took may be unknown
    try:
        with registry.write(new=True) as tx:
            if sa.inspect(tx.conn).has_table("alembic_version"):
                if not force:
                    raise RegistryError(
                        f"a registry exists at {location.display}; restore over it only with "
                        "--force"
                    )
                if path is not None:
                    previous = files.keep_copy(path, "before-restore", tx.now)
                else:
                    previous = _keep_before_restore(tx.conn, location, header, key, tx.now)
                _drop_all(tx.conn)
            check = _fill(tx.conn, payload, revision)
            filled = True
        registry.close()
    except BaseException:
        registry.close()
        if not in_place:
            storage.discard_new_file(target)
        if previous is not None and not filled:
            previous.unlink(missing_ok=True)  # rolled back: the registry is as it was
        raise
    if not in_place:
        storage.move_into_place(target, location, replace=occupied)
    counts = {name: len(content["rows"]) for name, content in payload.items()}
    return Restored(
        location.display,
        str(header.get("registry_id")),
        revision,
        counts,
        check.size,
        None if previous is None else str(previous),
    )


def _keep_before_restore(
    conn: sa.Connection, location: Location, header: dict[str, Any], key: DataKey, now: dt.datetime
) -> Path:
    """A PostgreSQL registry about to be replaced, kept as a backup file in the user's data
    folder (as a SQLite one is kept as a copy of its file): sealed under the key of the backup
    that replaces it, whose slots its header carries, so that what opened that backup opens
    this one, and ``handover restore`` brings the registry back as it was, its secrets still
    sealed under its own keys."""
    database = sa.make_url(location.url).database or "registry"
    name = "".join(c if c.isalnum() or c in "-_" else "_" for c in database)
    data = _sealed(_dump(conn), key, header["slots"], now)
    try:
        return files.keep_file(data_folder(), f"{name}.before-restore", data, now)
    except WriteError as exc:
        raise WriteError(
            f"cannot keep a copy of the registry the backup would replace ({exc}); nothing was "
            "restored"
        ) from None


def _fill(conn: sa.Connection, payload: dict[str, Any], revision: str) -> Any:
    """Create the backup's schema, insert its rows, bring the schema up to date, and verify
    the event log it brought: a backup whose log does not verify is not restored."""
    migrations.upgrade(conn, revision)
    for table in schema.metadata.sorted_tables:
        content = payload.get(table.name)
        if not content or not content["rows"]:
            continue
        columns = content["columns"]
        conn.execute(
            table.insert(),
            [dict(zip(columns, map(_decode, row), strict=True)) for row in content["rows"]],
        )
    if revision != migrations.HEAD:
        migrations.upgrade(conn)
    check = verify_chain(conn)
    if not check.ok:
        raise SignatureError(BAD)
    return check


def _drop_all(conn: sa.Connection) -> None:
    """Remove a registry's tables (PostgreSQL restore with --force), inside the transaction."""
    schema.metadata.drop_all(conn)
    conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("DROP FUNCTION IF EXISTS events_append_only()"))
