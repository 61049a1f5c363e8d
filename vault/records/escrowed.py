"""What the department can recover: escrow copies of each post's secrets, and break-glass.

Every packet, and every rotation report a holder sends back, is also encrypted to the
department's escrow recipients. The IT cell's registry keeps those ciphertexts (it cannot read
them: the escrow identity is offline, in the safe). When a holder cannot act, ``escrow open``
opens the post's newest copy with the escrow identity and seals its secrets here: a logged,
critical event, and every credential so opened is due for rotation at once, which the audit
shows until it is done.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from vault.crypto import escrow
from vault.crypto.identity_file import LocalIdentity
from vault.errors import InvalidInputError, NotFoundError, SealError
from vault.model import ESCROW_OPENED, N_, AccountRef, as_dict, parse_platform
from vault.records import posts
from vault.records.sealing import sealed_secrets
from vault.store import schema, settings

if TYPE_CHECKING:
    from vault.store.storage import Registry, Tx


def keep_copy(
    tx: Tx,
    post_id: uuid.UUID,
    source: str,
    document_sha256: str,
    made_at: dt.datetime,
    made_by: str,
    ciphertext: str,
) -> bool:
    """Keep an escrow copy of a post's secrets (once per document); whether it was new."""
    e = schema.escrow_copies
    if tx.conn.execute(sa.select(e.c.id).where(e.c.document_sha256 == document_sha256)).first():
        return False
    tx.conn.execute(
        e.insert().values(
            id=uuid.uuid4(),
            post_id=post_id,
            source=source,
            document_sha256=document_sha256,
            made_at=made_at,
            made_by=made_by,
            recorded_at=tx.now,
            ciphertext=ciphertext,
        )
    )
    return True


def latest_copy(conn: sa.Connection, post_id: uuid.UUID) -> Any:
    e = schema.escrow_copies
    return conn.execute(
        sa.select(e)
        .where(e.c.post_id == post_id)
        .order_by(e.c.made_at.desc(), e.c.recorded_at.desc())
        .limit(1)
    ).first()


def copy_document(post: str, accounts: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    """The plaintext of a rotation report's escrow copy: each account's secrets, by reference;
    the same shape as a packet's manifest, so ``escrow open`` reads either."""
    return {
        "format": 1,
        "kind": "handover-escrow-copy",
        "post": {"slug": post},
        "accounts": [
            {"platform": platform, "handle": handle, "secrets": secrets}
            for platform, handle, secrets in accounts
        ],
    }


class Opened(NamedTuple):
    post: str
    source: str
    made_at: dt.datetime
    made_by: str
    accounts: tuple[str, ...]
    skipped: tuple[str, ...]
    rotation_due: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def open_latest(registry: Registry, post_slug: str, identity: LocalIdentity, reason: str) -> Opened:
    """Break-glass: open the post's newest escrow copy and seal its secrets here, for rotation."""
    reason = reason.strip()
    if not reason:
        raise InvalidInputError(
            N_("opening escrow is break-glass: give --reason (why, on whose word)")
        )
    a = schema.accounts
    with registry.write() as tx:
        post = posts.row_by_slug(tx.conn, post_slug)
        copy = latest_copy(tx.conn, post.id)
        if copy is None:
            raise NotFoundError(
                f"this registry keeps no escrow copy of {post.slug}'s secrets: none of its "
                "packets or rotation reports was encrypted to this registry's escrow"
            )
        plain = escrow.decrypt(copy.ciphertext, identity)
        try:
            content = json.loads(plain)
            items = [
                (AccountRef(parse_platform(i["platform"]), i["handle"]), i["secrets"])
                for i in content["accounts"]
            ]
        except (ValueError, KeyError, TypeError, InvalidInputError):
            raise SealError(N_("the escrow copy is damaged")) from None
        days = settings.read(tx.conn, "rotation_deadline_days")
        deadline = tx.now + dt.timedelta(days=days)
        opened, skipped = [], []
        for ref, secrets in items:
            row = tx.conn.execute(
                sa.select(a).where(a.c.platform == ref.platform.value, a.c.handle_key == ref.key)
            ).first()
            if row is None or row.post_id != post.id or not isinstance(secrets, dict):
                skipped.append(str(ref))
                continue
            values = sealed_secrets(tx, row, secrets)
            tx.conn.execute(
                a.update()
                .where(a.c.id == row.id)
                .values(
                    **values,
                    escrowed_by=None,
                    rotation_due_at=deadline,
                    rotation_reason=f"{ESCROW_OPENED} {tx.now:%Y-%m-%d}: {reason}"[:300],
                    updated_at=tx.now,
                )
            )
            opened.append(str(ref))
        tx.log(
            "escrow.open",
            "post",
            post.id,
            post.slug,
            severity="critical",
            reason=reason,
            source=copy.source,
            document_sha256=copy.document_sha256,
            made_at=copy.made_at,
            made_by=copy.made_by,
            accounts=opened,
            skipped=skipped,
        )
        return Opened(
            post.slug,
            copy.source,
            copy.made_at,
            copy.made_by,
            tuple(opened),
            tuple(skipped),
            deadline,
        )
