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
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from vault.canonical import canonical
from vault.crypto.seal import DataKey
from vault.crypto.slots import slots_of
from vault.crypto.unlock import WRONG, Unlocker, registry_key, try_secret
from vault.errors import RegistryError, SignatureError, UnlockError
from vault.log.verify import verify_chain
from vault.model import Record
from vault.store import migrations, schema, settings, storage
from vault.store.location import Location, resolve

MAGIC = b"HANDOVER-BACKUP/1"
BAD = "the backup is damaged or not authentic"
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


@dataclass(frozen=True)
class Made(Record):
    registry_id: str
    revision: str
    tables: dict[str, int]
    created: dt.datetime


def _tables(conn: sa.Connection) -> list[sa.Table]:
    inspector = sa.inspect(conn)
    return [t for t in schema.metadata.sorted_tables if inspector.has_table(t.name)]


def make(registry: storage.Registry) -> tuple[Made, bytes]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    with registry.read() as conn:
        key = registry_key(conn, registry)  # refuse up front without the right key
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        payload: dict[str, Any] = {}
        counts = {}
        for table in _tables(conn):
            columns = [c.name for c in table.columns]
            rows = [[_encode(v) for v in row] for row in conn.execute(sa.select(table))]
            payload[table.name] = {"columns": columns, "rows": rows}
            counts[table.name] = len(rows)
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
        registry_id = str(settings.read(conn, "registry_id"))
    backup_id = uuid.uuid4()
    now = registry.clock()
    header = {
        "format": 1,
        "kind": "handover-backup",
        "backup_id": str(backup_id),
        "registry_id": registry_id,
        "revision": revision,
        "created": now.isoformat(),
        "key_id": str(key.id),
        "slots": slots,
        "tables": counts,
    }
    header_bytes = canonical(header)
    nonce = os.urandom(12)
    body = zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 6)
    sealed = AESGCM(_backup_key(key.secret, backup_id)).encrypt(nonce, body, header_bytes)
    data = MAGIC + b"\n" + header_bytes + b"\n" + nonce + sealed
    return Made(registry_id, str(revision), counts, now), data


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


@dataclass(frozen=True)
class Restored(Record):
    location: str
    registry_id: str
    revision: str
    tables: dict[str, int]
    log_entries: int


def restore(
    location: Location,
    data: bytes,
    *,
    unlocker: Unlocker,
    actor: str,
    clock: Callable[[], dt.datetime],
    force: bool = False,
) -> Restored:
    """Recreate the registry of a backup at ``location``; an existing one only with ``force``.

    On SQLite the registry is built in a new file beside the target and moved into place at the
    end; on PostgreSQL everything, including dropping the old tables, is one transaction.
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
    target = location
    if location.path is not None:
        if location.path.exists() and location.path.stat().st_size > 0 and not force:
            raise RegistryError(
                f"a registry exists at {location.path}; restore over it only with --force"
            )
        staging = location.path.with_name(f".{location.path.name}.restoring")
        storage.discard_new_file(resolve(str(staging)))
        staging.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        target = resolve(str(staging))
    registry = storage.Registry(target, actor, clock)
    try:
        with registry.write(new=True) as tx:
            inspector = sa.inspect(tx.conn)
            if inspector.has_table("alembic_version"):
                if not force:
                    raise RegistryError(
                        f"a registry exists at {location.display}; restore "
                        "over it only with --force"
                    )
                _drop_all(tx.conn)
            migrations.upgrade(tx.conn, revision)
            tables = {t.name: t for t in schema.metadata.sorted_tables}
            for name, table in tables.items():
                content = payload.get(name)
                if not content or not content["rows"]:
                    continue
                columns = content["columns"]
                tx.conn.execute(
                    table.insert(),
                    [dict(zip(columns, map(_decode, row), strict=True)) for row in content["rows"]],
                )
            if revision != migrations.HEAD:
                migrations.upgrade(tx.conn)
            check = verify_chain(tx.conn)
            if not check.ok:
                raise SignatureError(BAD)
        registry.close()
    except BaseException:
        registry.close()
        if location.path is not None:
            storage.discard_new_file(target)
        raise
    if location.path is not None and target.path is not None:
        storage.discard_new_file(location)
        os.replace(target.path, location.path)
    counts = {name: len(content["rows"]) for name, content in payload.items()}
    return Restored(location.display, str(header.get("registry_id")), revision, counts, check.size)


def _drop_all(conn: sa.Connection) -> None:
    """Remove a registry's tables (PostgreSQL restore with --force), inside the transaction."""
    schema.metadata.drop_all(conn)
    conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("DROP FUNCTION IF EXISTS events_append_only()"))
