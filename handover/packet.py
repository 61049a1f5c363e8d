"""Handover packets, format version 2 (specified in docs/packet-format.md); version 1 is still read.

One ASCII file::

    HANDOVER-PACKET/2
    <header: RFC 8785 JSON, one line>
    -----BEGIN AGE ENCRYPTED FILE-----        age (X25519) encryption of the RFC 8785 manifest,
    ...                                       to the incoming officer and escrow recipients
    -----END AGE ENCRYPTED FILE-----
    -----BEGIN SSH SIGNATURE-----             SSHSIG by the signer, namespace
    ...                                       handover.packet.v2, over every byte above it
    -----END SSH SIGNATURE-----

Encrypt, then sign the exact encrypted bytes (and the header before them): tampering is caught
before anything is decrypted, and the header that ``inspect`` shows is authenticated. Inside the
encryption the manifest repeats the packet id, ``from``, ``to``, escrow, times, capacity and the
post's handover chain, and a claim checks them against the signed header, which defeats the known
sign-then-encrypt substitutions (re-signing someone else's ciphertext, re-addressing a packet).

Format 2 adds what authority needs: the capacity in which the signer acts (``holder`` or
``it-cell``, with a reason), the post's handover ``sequence`` and the SHA-256 of the ``previous``
handover's last document, and the signer's age recipient (so both sides compute the same safety
code). Who may sign what is decided by :mod:`vault.records.authority`, not here.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from handover.errors import UsageError
from vault.canonical import canonical
from vault.crypto import sshsig
from vault.crypto.safety import safety_code
from vault.crypto.signed import (
    require_fingerprint,
    require_id,
    split_first_lines,
    split_signature,
)
from vault.errors import SignatureError
from vault.model import N_, as_dict

if TYPE_CHECKING:
    from vault.records.custody import PacketFacts
    from vault.store.storage import Registry

FORMAT = 2
MAGIC = "HANDOVER-PACKET/2"
NAMESPACE = "handover.packet.v2"
# Format 1 packets (handover 0.1) are read, verified and opened, never claimed: they predate
# capacity and the handover chain.
MAGIC_V1 = "HANDOVER-PACKET/1"
NAMESPACE_V1 = "handover.packet.v1"
BAD = N_("the packet is damaged or not authentic")
AGE_BEGIN = b"-----BEGIN AGE ENCRYPTED FILE-----\n"
AGE_END = b"-----END AGE ENCRYPTED FILE-----\n"
AGE_LINE = re.compile(rb"^[A-Za-z0-9+/=]{1,64}\Z")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}\Z")
HEADER_KEYS = {
    1: {"format", "kind", "packet_id", "created", "expires", "post", "from", "to", "escrow",
        "accounts"},
    2: {"format", "kind", "packet_id", "created", "expires", "post", "from", "to", "escrow",
        "accounts", "capacity", "reason", "sequence", "previous"},
}  # fmt: skip
FROM_KEYS = {
    1: ("officer", "name", "signing_key", "fingerprint"),
    2: ("officer", "name", "signing_key", "fingerprint", "age_recipient"),
}
EXPIRY = re.compile(r"^(\d{1,4})([mhdw])\Z")
MAX_LIFETIME = dt.timedelta(days=90)


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_duration(text: str) -> dt.timedelta:
    """``14d``, ``36h``, ``90m`` or ``2w``, at most 90 days."""
    match = EXPIRY.match(text.strip().lower())
    if not match or int(match[1]) == 0:
        raise UsageError(f"--expires {text!r} is not a duration like 14d, 36h or 2w")
    unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[match[2]]
    value = dt.timedelta(**{unit: int(match[1])})
    if value > MAX_LIFETIME:
        raise UsageError(f"--expires {text!r} is longer than a packet may live (90 days)")
    return value


def _str(value: Any) -> str:
    if type(value) is not str:
        raise SignatureError(BAD)
    return value


def _int(value: Any) -> int:
    """An integer, and exactly that: JSON ``true`` is not 1, ``1.0`` is not 1."""
    if type(value) is not int or value < 0:
        raise SignatureError(BAD)
    return value


def _dict(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
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


class Header(NamedTuple):
    """The signed, readable part: what ``inspect`` shows without any key."""

    format: int
    packet_id: uuid.UUID
    created: dt.datetime
    expires: dt.datetime
    post: dict[str, Any]
    sender: dict[str, Any]
    recipient: dict[str, Any]
    escrow: list[str]
    accounts: int
    capacity: str
    reason: str | None
    sequence: int | None
    previous: str | None
    raw: dict[str, Any]

    @classmethod
    def check(cls, raw: dict[str, Any], fmt: int) -> Header:
        """The header of a format ``fmt`` packet, every field of exactly its type."""
        if (
            set(raw) != HEADER_KEYS[fmt]
            or type(raw["format"]) is not int
            or raw["format"] != fmt
            or raw["kind"] != "handover-packet"
        ):
            raise SignatureError(BAD)
        post, sender, recipient = _dict(raw["post"]), _dict(raw["from"]), _dict(raw["to"])
        for part, keys in (
            (sender, FROM_KEYS[fmt]),
            (recipient, ("officer", "name", "recipient")),
            (post, ("slug", "title", "level")),
        ):
            for key in keys:
                _str(part.get(key))
        for identifier in (sender["officer"], recipient["officer"], post["slug"]):
            require_id(identifier, BAD)
        require_fingerprint(sender["fingerprint"], BAD)
        escrow = raw["escrow"]
        if type(escrow) is not list or not all(type(e) is str for e in escrow):
            raise SignatureError(BAD)
        count = _int(raw["accounts"])
        try:
            packet_id = uuid.UUID(_str(raw["packet_id"]))
        except ValueError:
            raise SignatureError(BAD) from None
        capacity, reason, sequence, previous = "holder", None, None, None
        if fmt >= 2:
            capacity = _str(raw["capacity"])
            if capacity not in ("holder", "it-cell"):
                raise SignatureError(BAD)
            if raw["reason"] is not None:
                reason = _str(raw["reason"])
            if (capacity == "it-cell") != (reason is not None):
                raise SignatureError(BAD)
            sequence = _int(raw["sequence"])
            previous = _str(raw["previous"])
            if sequence < 1 or (previous and not SHA256_HEX.match(previous)):
                raise SignatureError(BAD)
            if (sequence == 1) != (previous == ""):
                raise SignatureError(BAD)
        return cls(
            fmt,
            packet_id,
            _time(raw["created"]),
            _time(raw["expires"]),
            post,
            sender,
            recipient,
            escrow,
            count,
            capacity,
            reason,
            sequence,
            previous,
            raw,
        )

    @property
    def magic(self) -> str:
        return MAGIC if self.format == 2 else MAGIC_V1

    @property
    def namespace(self) -> str:
        return NAMESPACE if self.format == 2 else NAMESPACE_V1


class Packet(NamedTuple):
    header: Header
    age_block: bytes
    signature: str

    @property
    def signed(self) -> bytes:
        """Every byte the signature covers: magic, header and the armored ciphertext."""
        return (
            self.header.magic.encode() + b"\n" + canonical(self.header.raw) + b"\n" + self.age_block
        )

    def to_bytes(self) -> bytes:
        return self.signed + self.signature.encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Packet:
        fmt = 1 if data.startswith(MAGIC_V1.encode() + b"\n") else 2
        raw, rest = split_first_lines(data, MAGIC_V1 if fmt == 1 else MAGIC, BAD)
        header = Header.check(raw, fmt)
        age_block, signature = split_signature(rest, BAD)
        _check_age_armor(age_block)
        return cls(header, age_block, signature)

    def signer_key(self) -> sshsig.PublicKey:
        """Verify the signature against the key the header names; return that key."""
        try:
            key = sshsig.PublicKey.parse(self.header.sender["signing_key"])
            sshsig.verify(self.signature, self.header.namespace, self.signed, key)
        except SignatureError:
            raise SignatureError(BAD) from None
        if key.fingerprint != self.header.sender["fingerprint"]:
            raise SignatureError(BAD)
        return key

    def facts(self, digest: str) -> PacketFacts:
        """What the (verified) header says, as the core decides on it."""
        from vault.records.custody import PacketFacts

        h = self.header
        return PacketFacts(
            h.format,
            h.packet_id,
            digest,
            h.post["slug"],
            h.sender["officer"],
            h.sender["signing_key"],
            h.sender["fingerprint"],
            h.capacity,
            h.reason,
            h.sequence,
            h.previous,
            h.recipient["officer"],
            h.recipient.get("fingerprint") if type(h.recipient.get("fingerprint")) is str else None,
            tuple(h.escrow),
            h.created,
            h.expires,
            h.accounts,
        )


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


class Created(NamedTuple):
    packet_id: uuid.UUID
    post: str
    sender: str
    capacity: str
    recipient: str
    escrow: int
    accounts: int
    sequence: int
    expires: dt.datetime
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def create(
    registry: Registry,
    post_slug: str,
    to_officer: str,
    *,
    lifetime: dt.timedelta | None,
    sender: str | None,
    reason: str | None = None,
    write: Callable[[bytes], None],
) -> Created:
    """Build, encrypt, sign and ``write`` a packet for ``post_slug``, recording it as sent.

    The signer is the post's holder, or an IT cell member with a reason
    (:func:`vault.records.authority.signer_for_packet`). ``write`` runs inside the transaction,
    so a packet that cannot be written is not recorded.
    """
    import pyrage

    from vault.crypto import escrow, identities
    from vault.errors import NotFoundError
    from vault.exchange import bundle
    from vault.records import authority, contacts, custody, escrowed, officers, posts
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
        signer = authority.signer_for_packet(tx.conn, registry, post, sender, reason)
        own = signer.row
        if own.officer_id == recipient_officer.id:
            raise UsageError("a packet cannot be addressed to its own sender")
        tx.act_as(own.service_id)
        escrows = escrow.recipients(tx.conn)
        days = settings.read(tx.conn, "packet_expiry_days")
        expires = tx.now + min(lifetime or dt.timedelta(days=days), MAX_LIFETIME)
        previous_sequence, previous = custody.last_receipt_or_packet(tx.conn, post.id)
        packet_id = uuid.uuid4()
        stated = {
            "packet_id": str(packet_id),
            "created": iso(tx.now),
            "expires": iso(expires),
            "from": {
                "officer": own.service_id,
                "name": own.name,
                "signing_key": own.signing_key,
                "fingerprint": own.fingerprint,
                "age_recipient": own.age_recipient,
            },
            "to": {
                "officer": to_row.service_id,
                "name": to_row.name,
                "recipient": to_row.age_recipient,
                "fingerprint": to_row.fingerprint,
            },
            "escrow": escrows,
            "capacity": signer.capacity,
            "reason": signer.reason,
            "sequence": previous_sequence + 1,
            "previous": previous,
        }
        content = bundle.export_post(tx.conn, registry, post.slug)
        count = len(content["accounts"])
        log_head = journal.head(tx.conn)
        official_domains = sorted(contacts.load_official(tx.conn).domains)
        manifest = {
            "format": FORMAT,
            "kind": "handover-manifest",
            **stated,
            **content,
            "log_head": {"size": log_head.size, "hash": log_head.hash},
            "official_domains": official_domains,
        }
        header = {
            "format": FORMAT,
            "kind": "handover-packet",
            **stated,
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
        unsigned = Packet(Header.check(header, FORMAT), ciphertext, "")
        signature = identities.sign_as(tx.conn, registry, own, NAMESPACE, unsigned.signed)
        packet = Packet(unsigned.header, ciphertext, signature)
        data = packet.to_bytes()
        digest = sha256(data)
        custody.record_packet(tx, packet.facts(digest), "sent", post.id)
        if escrows:
            escrowed.keep_copy(
                tx, post.id, "packet", digest, tx.now, own.service_id, ciphertext.decode()
            )
        tx.log(
            "packet.create",
            "post",
            post.id,
            post.slug,
            packet_id=packet_id,
            to=to_row.service_id,
            sender=own.service_id,
            capacity=signer.capacity,
            reason=signer.reason,
            sequence=previous_sequence + 1,
            accounts=count,
            escrow=len(escrows),
            sha256=digest,
        )
        write(data)
        return Created(
            packet_id,
            post.slug,
            own.service_id,
            signer.capacity,
            to_row.service_id,
            len(escrows),
            count,
            previous_sequence + 1,
            expires,
            digest,
        )


class Inspection(NamedTuple):
    signature: str
    format: int
    packet_id: uuid.UUID
    post: dict[str, Any]
    sender: dict[str, Any]
    sender_known: str
    sender_on_record: str | None
    sender_safety_code: str | None
    capacity: str
    reason: str | None
    sequence: int | None
    recipient: dict[str, Any]
    escrow: list[str]
    accounts: int
    created: dt.datetime
    expires: dt.datetime
    expired: bool
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


def inspect(data: bytes, now: dt.datetime, registry: Registry | None) -> Inspection:
    """What a packet says about itself, once its signature checks; no key needed.

    With a registry, also whether the signer's key is the one on record there, and the name this
    registry knows them by.
    """
    packet = Packet.from_bytes(data)
    key = packet.signer_key()
    h = packet.header
    known, name, code = "not checked (no registry)", None, None
    if "age_recipient" in h.sender:
        code = safety_code(key.openssh, h.sender["age_recipient"])
    if registry is not None:
        known, name, on_record = signer_status(registry, h.sender["officer"], key)
        code = code or on_record
    return Inspection(
        "good",
        h.format,
        h.packet_id,
        h.post,
        h.sender,
        known,
        name,
        code,
        h.capacity,
        h.reason,
        h.sequence,
        h.recipient,
        h.escrow,
        h.accounts,
        h.created,
        h.expires,
        now > h.expires,
        sha256(data),
    )


def signer_status(
    registry: Registry, officer: str, key: sshsig.PublicKey
) -> tuple[str, str | None, str | None]:
    """Whether the signer's key is the one on record here, the name this registry knows them
    by, and the safety code of the keys on record when the signer's key is theirs."""
    from vault.crypto import identities
    from vault.errors import NotFoundError
    from vault.records import officers

    with registry.read() as conn:
        try:
            row = officers.row_by_service_id(conn, officer)
        except NotFoundError:
            return "unknown officer", None, None
        current = identities.current(conn, row.id)
    if current is None:
        return "officer known, no key on record", row.name, None
    if current.signing_key == key.openssh:
        return "key on record", row.name, safety_code(current.signing_key, current.age_recipient)
    return f"DIFFERS from the key on record ({current.fingerprint})", row.name, None
