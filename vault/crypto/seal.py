"""Sealing of secret fields with AES-256-GCM, bound to their place in the registry.

A sealed value is ``version (1) || key id (16) || nonce (12) || ciphertext+tag``. Its associated
data names the format version, the table, the column, the row's UUID and the key id, each length
prefixed, so a ciphertext copied into another row or column, or relabelled with another key id,
fails to open. Nonces are random 96-bit values: a registry seals far fewer than the 2^32 values
per key that random nonces allow, and ``key rotate`` starts a new key.
"""

from __future__ import annotations

import os
import uuid
from typing import NamedTuple

from vault.errors import SealError
from vault.model import redacted

VERSION = 1
NONCE_LEN = 12
HEADER_LEN = 1 + 16 + NONCE_LEN
TAG_LEN = 16


class DataKey(NamedTuple):
    """A 256-bit data key and its id. The key bytes never appear in a repr or traceback."""

    id: uuid.UUID
    secret: bytes

    def __repr__(self) -> str:
        return redacted(self, "secret")

    @classmethod
    def generate(cls) -> DataKey:
        return cls(uuid.uuid4(), os.urandom(32))


def _lp(part: bytes) -> bytes:
    return len(part).to_bytes(2, "big") + part


def associated_data(table: str, column: str, row_id: uuid.UUID, key_id: uuid.UUID) -> bytes:
    return b"".join(
        _lp(p)
        for p in (
            b"handover-seal",
            bytes([VERSION]),
            table.encode(),
            column.encode(),
            row_id.bytes,
            key_id.bytes,
        )
    )


class Sealer:
    """Seals and opens values under one data key; reused across rows to build AESGCM once."""

    def __init__(self, key: DataKey) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.key_id = key.id
        self._aead = AESGCM(key.secret)
        self._header = bytes([VERSION]) + key.id.bytes
        self._places: dict[tuple[str, str], tuple[bytes, bytes]] = {}
        self._nonces = b""
        self._next = 0

    def _nonce(self) -> bytes:
        """A fresh random nonce. Drawn from the OS in blocks of a thousand: one system call per
        thousand seals instead of one each; nonces are public, and none is used twice."""
        if self._next >= len(self._nonces):
            self._nonces, self._next = os.urandom(NONCE_LEN * 1024), 0
        start = self._next
        self._next += NONCE_LEN
        return self._nonces[start : self._next]

    def _ad(self, table: str, column: str, row_id: uuid.UUID | bytes) -> bytes:
        """:func:`associated_data`, with its constant parts worked out once per column."""
        place = self._places.get((table, column))
        if place is None:
            full = associated_data(table, column, uuid.UUID(int=0), self.key_id)
            suffix = _lp(self.key_id.bytes)
            prefix = full[: len(full) - len(suffix) - 18]
            place = self._places[(table, column)] = (prefix + b"\x00\x10", suffix)
        return place[0] + (row_id if isinstance(row_id, bytes) else row_id.bytes) + place[1]

    def seal(self, table: str, column: str, row_id: uuid.UUID, plaintext: bytes) -> bytes:
        nonce = self._nonce()
        return (
            self._header
            + nonce
            + self._aead.encrypt(nonce, plaintext, self._ad(table, column, row_id))
        )

    def open(self, table: str, column: str, row_id: uuid.UUID | bytes, blob: bytes) -> bytes:
        """The value sealed in ``blob`` for this row and column. ``row_id`` may be the id's 16
        bytes, which a reader of ids stored as hex text has without making a ``UUID``."""
        from cryptography.exceptions import InvalidTag

        if len(blob) < HEADER_LEN + TAG_LEN or blob[: 1 + 16] != self._header:
            raise SealError()  # not a sealed value, or sealed under another key
        ad = self._ad(table, column, row_id)
        try:
            return self._aead.decrypt(blob[1 + 16 : HEADER_LEN], blob[HEADER_LEN:], ad)
        except InvalidTag:
            raise SealError() from None


def key_id_of(blob: bytes) -> uuid.UUID:
    """The id of the key a value was sealed under, read from its header."""
    if len(blob) < HEADER_LEN + TAG_LEN or blob[0] != VERSION:
        raise SealError()
    return uuid.UUID(bytes=bytes(blob[1:17]))
