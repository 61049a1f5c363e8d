"""Handover packets, format version 1 (specified in docs/packet-format.md).

One ASCII file::

    HANDOVER-PACKET/1
    <header: RFC 8785 JSON, one line>
    -----BEGIN AGE ENCRYPTED FILE-----        age (X25519) encryption of the RFC 8785 manifest,
    ...                                       to the incoming officer and escrow recipients
    -----END AGE ENCRYPTED FILE-----
    -----BEGIN SSH SIGNATURE-----             SSHSIG by the outgoing officer, namespace
    ...                                       handover.packet.v1, over every byte above it
    -----END SSH SIGNATURE-----

Encrypt, then sign the exact encrypted bytes (and the header before them): tampering is caught
before anything is decrypted, and the header that ``inspect`` shows is authenticated. Inside the
encryption the manifest repeats the packet id, ``from``, ``to``, escrow and times, and a claim
checks them against the signed header, which defeats the known sign-then-encrypt substitutions
(re-signing someone else's ciphertext, re-addressing a signed packet).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from handover.errors import UsageError
from vault.canonical import canonical
from vault.crypto import sshsig
from vault.crypto.signed import split_first_lines, split_signature
from vault.errors import SignatureError
from vault.model import Record

if TYPE_CHECKING:
    from vault.store.storage import Registry

MAGIC = "HANDOVER-PACKET/1"
NAMESPACE = "handover.packet.v1"
FORMAT = 1
BAD = "the packet is damaged or not authentic"
AGE_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----\n"
AGE_END = b"-----END AGE ENCRYPTED FILE-----\n"
AGE_LINE = re.compile(rb"^[A-Za-z0-9+/=]{1,64}$")
HEADER_KEYS = {"format", "kind", "packet_id", "created", "expires", "post", "from", "to",
               "escrow", "accounts"}  # fmt: skip
EXPIRY = re.compile(r"^(\d{1,4})([mhdw])$")


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_duration(text: str) -> dt.timedelta:
    """``14d``, ``36h``, ``90m`` or ``2w``."""
    match = EXPIRY.match(text.strip().lower())
    if not match or int(match[1]) == 0:
        raise UsageError(f"--expires {text!r} is not a duration like 14d, 36h or 2w")
    unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[match[2]]
    return dt.timedelta(**{unit: int(match[1])})


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise SignatureError(BAD)
    return value


def _time(value: Any) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(_str(value))
    except ValueError:
        raise SignatureError(BAD) from None
    if parsed.tzinfo is None:
        raise SignatureError(BAD)
    return parsed


@dataclass(frozen=True)
class Header:
    """The signed, readable part: what ``inspect`` shows without any key."""

    packet_id: uuid.UUID
    created: dt.datetime
    expires: dt.datetime
    post: dict[str, Any]
    sender: dict[str, Any]
    recipient: dict[str, Any]
    escrow: list[str]
    accounts: int
    raw: dict[str, Any]

    @classmethod
    def check(cls, raw: dict[str, Any]) -> Header:
        if set(raw) != HEADER_KEYS or raw["format"] != FORMAT or raw["kind"] != "handover-packet":
            raise SignatureError(BAD)
        post, sender, recipient = raw["post"], raw["from"], raw["to"]
        if not all(isinstance(x, dict) for x in (post, sender, recipient)):
            raise SignatureError(BAD)
        for part, keys in (
            (sender, ("officer", "name", "signing_key", "fingerprint")),
            (recipient, ("officer", "name", "recipient")),
            (post, ("slug", "title", "level")),
        ):
            for key in keys:
                _str(part.get(key))
        escrow = raw["escrow"]
        if not isinstance(escrow, list) or not all(isinstance(e, str) for e in escrow):
            raise SignatureError(BAD)
        count = raw["accounts"]
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise SignatureError(BAD)
        try:
            packet_id = uuid.UUID(_str(raw["packet_id"]))
        except ValueError:
            raise SignatureError(BAD) from None
        return cls(
            packet_id,
            _time(raw["created"]),
            _time(raw["expires"]),
            post,
            sender,
            recipient,
            escrow,
            count,
            raw,
        )


@dataclass(frozen=True)
class Packet:
    header: Header
    age_block: bytes
    signature: str

    @property
    def signed(self) -> bytes:
        """Every byte the signature covers: magic, header and the armored ciphertext."""
        return MAGIC.encode() + b"\n" + canonical(self.header.raw) + b"\n" + self.age_block

    def to_bytes(self) -> bytes:
        return self.signed + self.signature.encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Packet:
        raw, rest = split_first_lines(data, MAGIC, BAD)
        header = Header.check(raw)
        age_block, signature = split_signature(rest, BAD)
        _check_age_armor(age_block)
        return cls(header, age_block, signature)

    def signer_key(self) -> sshsig.PublicKey:
        """Verify the signature against the key the header names; return that key."""
        try:
            key = sshsig.PublicKey.parse(self.header.sender["signing_key"])
            sshsig.verify(self.signature, NAMESPACE, self.signed, key)
        except SignatureError:
            raise SignatureError(BAD) from None
        if key.fingerprint != self.header.sender["fingerprint"]:
            raise SignatureError(BAD)
        return key


def _check_age_armor(block: bytes) -> None:
    """The age armor exactly as age writes it: 64-column base64 lines between the markers."""
    if not block.startswith(AGE_BEGIN) or not block.endswith(AGE_END):
        raise SignatureError(BAD)
    lines = block[len(AGE_BEGIN) : -len(AGE_END)].split(b"\n")
    if len(lines) < 2 or lines[-1] != b"":
        raise SignatureError(BAD)
    body = lines[:-1]
    if any(not AGE_LINE.match(line) for line in body):
        raise SignatureError(BAD)
    try:
        raw = base64.b64decode(b"".join(body), validate=True)
    except ValueError:
        raise SignatureError(BAD) from None
    # Only the canonical armor age writes: 64 columns, no stray bits in the padding.
    text = base64.b64encode(raw)
    if body != [text[i : i + 64] for i in range(0, len(text), 64)]:
        raise SignatureError(BAD)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Created(Record):
    packet_id: uuid.UUID
    post: str
    sender: str
    recipient: str
    escrow: int
    accounts: int
    expires: dt.datetime
    sha256: str


def create(
    registry: Registry,
    post_slug: str,
    to_officer: str,
    *,
    lifetime: dt.timedelta | None,
    sender: str | None,
    write: Callable[[bytes], None],
) -> Created:
    """Build, encrypt, sign and ``write`` a packet for ``post_slug``, recording it as sent.

    ``write`` runs inside the transaction, so a packet that cannot be written is not recorded.
    """
    import pyrage

    from vault.crypto import escrow, identities
    from vault.errors import NotFoundError
    from vault.exchange import bundle
    from vault.records import contacts, custody, officers, posts
    from vault.store import journal, settings

    with registry.write() as tx:
        post = posts.row_by_slug(tx.conn, post_slug)
        recipient_officer = officers.row_by_service_id(tx.conn, to_officer)
        to_row = identities.current(tx.conn, recipient_officer.id)
        if to_row is None:
            raise NotFoundError(
                f"no identity on record for {recipient_officer.service_id}: import their card "
                "with 'handover officer import-card'"
            )
        holder = posts.to_post(post, posts.holder_of(tx.conn, post.id)).holder
        own = identities.own_identity(
            tx.conn, registry, sender or _local_holder(tx.conn, registry, holder)
        )
        if own.officer_id == recipient_officer.id:
            raise UsageError("a packet cannot be addressed to its own sender")
        escrows = escrow.recipients(tx.conn)
        days = settings.read(tx.conn, "packet_expiry_days")
        expires = tx.now + (lifetime or dt.timedelta(days=days))
        packet_id = uuid.uuid4()
        people = {
            "from": {
                "officer": own.service_id,
                "name": own.name,
                "signing_key": own.signing_key,
                "fingerprint": own.fingerprint,
            },
            "to": {
                "officer": to_row.service_id,
                "name": to_row.name,
                "recipient": to_row.age_recipient,
                "fingerprint": to_row.fingerprint,
            },
            "escrow": escrows,
        }
        content = bundle.export_post(tx.conn, registry, post.slug)
        count = len(content["accounts"])
        log_head = journal.head(tx.conn)
        official_domains = sorted(contacts.load_official(tx.conn).domains)
        times = {"packet_id": str(packet_id), "created": iso(tx.now), "expires": iso(expires)}
        manifest = {
            "format": FORMAT,
            "kind": "handover-manifest",
            **times,
            **people,
            **content,
            "log_head": {"size": log_head.size, "hash": log_head.hash},
            "official_domains": official_domains,
        }
        header = {
            "format": FORMAT,
            "kind": "handover-packet",
            **times,
            **people,
            "post": {
                "slug": post.slug,
                "title": post.title,
                "level": post.level,
                "district": post.district,
            },
            "accounts": count,
        }
        recipients = [pyrage.x25519.Recipient.from_str(r) for r in (to_row.age_recipient, *escrows)]
        ciphertext = pyrage.encrypt(canonical(manifest), recipients, armored=True)
        unsigned = Packet(Header.check(header), ciphertext, "")
        signature = identities.sign_as(tx.conn, registry, own, NAMESPACE, unsigned.signed)
        data = Packet(unsigned.header, ciphertext, signature).to_bytes()
        custody.record(
            tx,
            packet_id=packet_id,
            direction="sent",
            post_id=post.id,
            from_officer=own.service_id,
            to_officer=to_row.service_id,
            packet_sha256=sha256(data),
            created_at=tx.now,
            expires_at=expires,
        )
        tx.log(
            "packet.create",
            "post",
            post.id,
            post.slug,
            packet_id=packet_id,
            to=to_row.service_id,
            sender=own.service_id,
            accounts=count,
            escrow=len(escrows),
            sha256=sha256(data),
        )
        write(data)
        return Created(
            packet_id,
            post.slug,
            own.service_id,
            to_row.service_id,
            len(escrows),
            count,
            expires,
            sha256(data),
        )


def _local_holder(conn: Any, registry: Registry, holder: str | None) -> str | None:
    """Act as the post's holder when this registry holds their identity."""
    from vault.crypto import identities

    rows = identities.local_rows(conn, registry)
    if holder and any(r.service_id == holder for r in rows):
        return holder
    return None


@dataclass(frozen=True)
class Inspection(Record):
    signature: str
    packet_id: uuid.UUID
    post: dict[str, Any]
    sender: dict[str, Any]
    sender_known: str
    recipient: dict[str, Any]
    escrow: list[str]
    accounts: int
    created: dt.datetime
    expires: dt.datetime
    expired: bool
    sha256: str


def inspect(data: bytes, now: dt.datetime, registry: Registry | None) -> Inspection:
    """What a packet says about itself, once its signature checks; no key needed.

    With a registry, also whether the signer's key is the one on record there.
    """
    packet = Packet.from_bytes(data)
    key = packet.signer_key()
    known = "not checked (no registry)"
    if registry is not None:
        known = signer_status(registry, packet.header.sender["officer"], key)
    h = packet.header
    return Inspection(
        "good",
        h.packet_id,
        h.post,
        h.sender,
        known,
        h.recipient,
        h.escrow,
        h.accounts,
        h.created,
        h.expires,
        now > h.expires,
        sha256(data),
    )


def signer_status(registry: Registry, officer: str, key: sshsig.PublicKey) -> str:
    from vault.crypto import identities
    from vault.errors import NotFoundError
    from vault.records import officers

    with registry.read() as conn:
        try:
            row = officers.row_by_service_id(conn, officer)
        except NotFoundError:
            return "unknown officer"
        current = identities.current(conn, row.id)
    if current is None:
        return "officer known, no key on record"
    if current.signing_key == key.openssh:
        return "key on record"
    return f"differs from the key on record ({current.fingerprint})"
