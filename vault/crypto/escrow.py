"""Escrow: the department's age key, to which every packet and rotation report is also encrypted,
so that the department can recover a post's credentials when its holder cannot act.

The escrow identity is made by ``init`` into a file protected by its own passphrase (never the
registry's, never stored in the registry) and kept offline, in the IT cell's safe; the registry
holds only its recipient. Opening an escrow copy is break-glass: see
:mod:`vault.records.escrowed`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vault.crypto import identity_file
from vault.errors import AlreadyExistsError, InvalidInputError, NotFoundError, SealError
from vault.model import N_
from vault.store import reads

if TYPE_CHECKING:
    from vault.store.storage import Registry, Tx


def _check(recipient: str) -> str:
    import pyrage

    value = recipient.strip()
    try:
        pyrage.x25519.Recipient.from_str(value)
    except pyrage.RecipientError:
        raise InvalidInputError(f"{recipient!r} is not an age X25519 recipient (age1...)") from None
    return value


def add_in(tx: Tx, recipient: str, label: str | None) -> str:
    import sqlalchemy as sa

    from vault.store import schema

    value = _check(recipient)
    t = schema.escrow_recipients
    if tx.conn.execute(sa.select(t.c.recipient).where(t.c.recipient == value)).first():
        raise AlreadyExistsError(f"{value} is already an escrow recipient")
    tx.conn.execute(
        t.insert().values(
            recipient=value, label=label or "escrow", added_at=tx.now, added_by=tx.actor
        )
    )
    tx.log("escrow.add", "escrow", None, value, label=label or "escrow")
    return value


def add(registry: Registry, recipient: str, label: str | None) -> str:
    with registry.write() as tx:
        return add_in(tx, recipient, label)


def new_identity(path: Path, passphrase: str, label: str) -> str:
    """Make the department's escrow identity in a new file at ``path``; return its recipient.

    Nothing of it enters the registry but the recipient, which the caller registers.
    """
    import pyrage

    if not passphrase:
        raise InvalidInputError(N_("the escrow identity needs a passphrase of its own"))
    return identity_file.write_escrow_file(
        path, str(pyrage.x25519.Identity.generate()), label, passphrase
    )


def new_identity_for(registry: Registry, path: Path, passphrase: str, label: str) -> str:
    """A new escrow identity in a new file, its recipient registered here in one transaction
    (the file is removed again if that fails)."""
    with registry.write() as tx:
        recipient = new_identity(path, passphrase, label)
        try:
            return add_in(tx, recipient, label)
        except BaseException:
            path.unlink(missing_ok=True)
            raise


def load_identity(path: Path, passphrase: Callable[[], str]) -> identity_file.LocalIdentity:
    """The escrow identity from its file (asking for the file's passphrase)."""
    found = identity_file.read_file(path, passphrase)
    if len(found) != 1:
        raise InvalidInputError(f"{path} holds {len(found)} identities; give the escrow identity")
    return found[0]


def encrypt(plaintext: bytes, recipients: list[str]) -> str:
    """``plaintext`` encrypted with age to ``recipients``, ASCII-armored."""
    import pyrage

    keys = [pyrage.x25519.Recipient.from_str(r) for r in recipients]
    return bytes(pyrage.encrypt(plaintext, keys, armored=True)).decode("ascii")


def decrypt(armored: str, identity: identity_file.LocalIdentity) -> bytes:
    """Open an escrow copy, or :class:`SealError` whatever went wrong."""
    import pyrage

    try:
        return bytes(pyrage.decrypt(armored.encode("ascii"), [identity.age]))
    except (pyrage.DecryptError, UnicodeEncodeError, ValueError):
        raise SealError(
            N_(
                "this escrow identity does not open the escrow copy (another department's key, "
                "or the copy was altered)"
            )
        ) from None


def remove(registry: Registry, recipient: str) -> str:
    from vault.store import schema

    value = recipient.strip()
    t = schema.escrow_recipients
    with registry.write() as tx:
        if not tx.conn.execute(t.delete().where(t.c.recipient == value)).rowcount:
            raise NotFoundError(f"{value} is not an escrow recipient")
        tx.log("escrow.remove", "escrow", None, value)
    return value


def recipients(conn: Any) -> list[str]:
    return [str(r) for r in reads.scalars(conn, "escrow_recipients")]


def list_escrow(registry: Registry) -> list[dict[str, Any]]:
    import sqlalchemy as sa

    from vault.store import schema

    t = schema.escrow_recipients
    with registry.read() as conn:
        return [
            {
                "recipient": r.recipient,
                "label": r.label,
                "added_at": r.added_at.isoformat(),
                "added_by": r.added_by,
            }
            for r in conn.execute(sa.select(t).order_by(t.c.added_at))
        ]
