"""Creating a registry: schema, settings, first data key and its slots, and the department's
escrow identity, in one transaction.

The recovery code (and where the escrow identity went) is announced *before* the transaction
commits: a registry whose only spare way in was never shown to anyone must not exist. If the
announcement fails (a full disk, a closed terminal), nothing is left behind: no registry file,
no escrow identity file.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from vault.crypto import escrow
from vault.crypto.slots import create_registry_key
from vault.model import as_dict, redacted
from vault.store import migrations, settings, storage
from vault.store.location import Location


@dataclass(frozen=True)
class EscrowPlan:
    """Where the department's new escrow identity goes, and its own passphrase."""

    path: Path
    passphrase: str = field(repr=False)
    label: str = "department escrow"


class Created(NamedTuple):
    """The new registry, with its recovery code: a secret, which ``repr`` leaves out (a
    traceback or a log line that shows the record must not show the spare way in)."""

    location: str
    registry_id: uuid.UUID
    recovery_code: str
    keyring: bool
    shared: bool
    escrow_recipient: str | None
    escrow_file: str | None

    def __repr__(self) -> str:
        return redacted(self, "recovery_code")

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def create(
    location: Location,
    *,
    actor: str,
    clock: Callable[[], dt.datetime],
    passphrase: str,
    with_keyring: bool = False,
    shared: bool = False,
    escrow_plan: EscrowPlan | None = None,
    announce: Callable[[Created], None] = lambda created: None,
) -> Created:
    """Create the registry at ``location``. On any failure nothing is left behind.

    A SQLite registry is built beside its path and moved there only when complete: a kill at any
    moment leaves either no registry or a whole one whose recovery code was written out.
    """
    storage.refuse_existing(location)
    staging = storage.staging_for(location)
    registry = storage.create_registry(staging, actor=actor, clock=clock)
    escrow_written = False
    try:
        with registry.write(new=True) as tx:
            migrations.upgrade(tx.conn)
            registry_id = uuid.uuid4()
            settings.write(tx.conn, "registry_id", str(registry_id))
            settings.write(tx.conn, "created_at", tx.now.isoformat())
            settings.write(tx.conn, "key_mode", "per-post" if shared else "registry")
            _, code = create_registry_key(tx, passphrase, with_keyring=with_keyring)
            recipient = None
            if escrow_plan is not None:
                recipient = escrow.new_identity(
                    escrow_plan.path, escrow_plan.passphrase, escrow_plan.label
                )
                escrow_written = True
                escrow.add_in(tx, recipient, escrow_plan.label)
            tx.log(
                "registry.init",
                "registry",
                registry_id,
                location.display,
                keyring=with_keyring,
                shared=shared,
                escrow=recipient,
            )
            created = Created(
                location.display,
                registry_id,
                code,
                with_keyring,
                shared,
                recipient,
                str(escrow_plan.path) if escrow_plan is not None else None,
            )
            announce(created)
        registry.close()
        storage.move_into_place(staging, location)
    except BaseException:
        registry.close()
        storage.discard_new_file(staging)
        if escrow_written and escrow_plan is not None:
            escrow_plan.path.unlink(missing_ok=True)
        raise
    return created
