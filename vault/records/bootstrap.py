"""Creating a registry: schema, identity, first data key and its slots, in one transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from vault.crypto.slots import create_registry_key
from vault.model import Record
from vault.store import migrations, settings, storage
from vault.store.location import Location


@dataclass(frozen=True)
class Created(Record):
    location: str
    registry_id: uuid.UUID
    recovery_code: str
    keyring: bool
    shared: bool


def create(
    location: Location,
    *,
    actor: str,
    clock: Callable[[], dt.datetime],
    passphrase: str,
    with_keyring: bool = False,
    shared: bool = False,
) -> Created:
    """Create the registry at ``location``. On any failure nothing is left behind."""
    registry = storage.create_registry(location, actor=actor, clock=clock)
    try:
        with registry.write() as tx:
            migrations.upgrade(tx.conn)
            registry_id = uuid.uuid4()
            settings.write(tx, "registry_id", str(registry_id))
            settings.write(tx, "created_at", tx.now.isoformat())
            settings.write(tx, "key_mode", "per-post" if shared else "registry")
            _, code = create_registry_key(tx, passphrase, with_keyring=with_keyring)
            tx.log(
                "registry.init",
                "registry",
                registry_id,
                location.display,
                keyring=with_keyring,
                shared=shared,
            )
    except BaseException:
        registry.close()
        storage.discard_new_file(location)
        raise
    registry.close()
    return Created(location.display, registry_id, code, with_keyring, shared)
