"""The signed text formats of handover (cards, receipts, packets, log checkpoints): a magic
line, one line of RFC 8785 JSON, armored blocks.

Every file is plain ASCII so that standard tools can cut it apart (see docs/packet-format.md).
Reading is strict: the JSON line must be exactly its canonical encoding, blocks must be exactly as
written, nothing may follow the last block. A file that differs from what handover writes by one
byte is refused, with one message whatever the difference.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from vault.canonical import canonical
from vault.errors import SignatureError

MAX_BYTES = 64 * 1024 * 1024
SIG_BEGIN = b"-----BEGIN SSH SIGNATURE-----\n"
SIG_END = b"-----END SSH SIGNATURE-----\n"


def split_first_lines(data: bytes, magic: str, bad: str) -> tuple[dict[str, Any], bytes]:
    """Check the magic line, read the canonical JSON line; return it and the rest."""
    if len(data) > MAX_BYTES or not data.startswith(magic.encode() + b"\n"):
        raise SignatureError(bad)
    rest = data[len(magic) + 1 :]
    line, sep, rest = rest.partition(b"\n")
    if not sep:
        raise SignatureError(bad)
    try:
        value = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise SignatureError(bad) from None
    if not isinstance(value, dict):
        raise SignatureError(bad)
    try:
        if canonical(value) != line:
            raise SignatureError(bad)
    except (TypeError, ValueError, OverflowError):
        raise SignatureError(bad) from None
    return value, rest


def split_signature(rest: bytes, bad: str) -> tuple[bytes, str]:
    """Split ``body || signature block`` where the signature block ends the file."""
    at = rest.find(SIG_BEGIN)
    if at < 0 or not rest.endswith(SIG_END) or rest.count(SIG_BEGIN) != 1:
        raise SignatureError(bad)
    try:
        return rest[:at], rest[at:].decode("ascii")
    except UnicodeDecodeError:
        raise SignatureError(bad) from None


def require(value: Any, kind: type | tuple[type, ...], bad: str) -> Any:
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise SignatureError(bad)
    return value


IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")


def require_id(value: Any, bad: str) -> str:
    """An officer id or post slug as handover writes them (lower case, digits, ``.-_``): a
    document naming anything else was not made by handover, and its text must not reach a
    terminal or a query as an identifier."""
    if type(value) is not str or not IDENTIFIER.fullmatch(value):
        raise SignatureError(bad)
    return value


def require_fingerprint(value: Any, bad: str) -> str:
    if type(value) is not str or not FINGERPRINT.fullmatch(value):
        raise SignatureError(bad)
    return value


class SignedDocument(NamedTuple):
    """A magic line, a canonical JSON line, and an SSH signature over those two lines."""

    magic: str
    body: dict[str, Any]
    signature: str

    @property
    def message(self) -> bytes:
        return self.magic.encode() + b"\n" + canonical(self.body) + b"\n"

    def to_bytes(self) -> bytes:
        return self.message + self.signature.encode()

    @classmethod
    def create(
        cls, magic: str, body: dict[str, Any], sign: Callable[[bytes], str]
    ) -> SignedDocument:
        unsigned = cls(magic, body, "")
        return cls(magic, body, sign(unsigned.message))

    @classmethod
    def from_bytes(cls, data: bytes, magic: str, bad: str) -> SignedDocument:
        body, rest = split_first_lines(data, magic, bad)
        middle, signature = split_signature(rest, bad)
        if middle:
            raise SignatureError(bad)
        return cls(magic, body, signature)
