"""SSH signatures (the SSHSIG format of OpenSSH's PROTOCOL.sshsig) with Ed25519 keys.

The format ``ssh-keygen -Y sign`` writes and ``ssh-keygen -Y verify`` checks, so that a person
without handover can verify a packet, a receipt or a log checkpoint with stock OpenSSH. The
namespace separates uses: a signature made for a receipt does not verify as a packet's.

The signed data is ``"SSHSIG" || string(namespace) || string("") || string("sha512") ||
string(SHA-512(message))``; Ed25519 comes from ``cryptography``. Parsing is strict: anything but
exactly one well-formed version-1 Ed25519 signature is refused, with one message for every reason.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from typing import NamedTuple

from vault.errors import SignatureError
from vault.model import N_

MAGIC = b"SSHSIG"
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
KEY_TYPE = b"ssh-ed25519"
INVALID = N_("the signature does not verify")


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def raw(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise SignatureError(INVALID)
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint32(self) -> int:
        value: int = struct.unpack(">I", self.raw(4))[0]
        return value

    def string(self) -> bytes:
        return self.raw(self.uint32())

    def done(self) -> None:
        if self.pos != len(self.data):
            raise SignatureError(INVALID)


class PublicKey(NamedTuple):
    """An Ed25519 public key in OpenSSH form (``ssh-ed25519 AAAA...``)."""

    raw: bytes  # 32 bytes

    @property
    def blob(self) -> bytes:
        return _string(KEY_TYPE) + _string(self.raw)

    @property
    def openssh(self) -> str:
        return f"ssh-ed25519 {base64.b64encode(self.blob).decode()}"

    @property
    def fingerprint(self) -> str:
        """``SHA256:...``, exactly as ``ssh-keygen -l`` prints it."""
        digest = hashlib.sha256(self.blob).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    @classmethod
    def parse(cls, text: str) -> PublicKey:
        parts = text.strip().split()
        if len(parts) < 2 or parts[0] != KEY_TYPE.decode():
            raise SignatureError(N_("not an ssh-ed25519 public key"))
        try:
            blob = base64.b64decode(parts[1], validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError(N_("not an ssh-ed25519 public key")) from None
        return cls.from_blob(blob)

    @classmethod
    def from_blob(cls, blob: bytes) -> PublicKey:
        reader = _Reader(blob)
        if reader.string() != KEY_TYPE:
            raise SignatureError(INVALID)
        raw = reader.string()
        reader.done()
        if len(raw) != 32:
            raise SignatureError(INVALID)
        return cls(raw)


def _signed_data(namespace: str, message: bytes) -> bytes:
    return (
        MAGIC
        + _string(namespace.encode())
        + _string(b"")
        + _string(b"sha512")
        + _string(hashlib.sha512(message).digest())
    )


def sign(private_openssh_pem: bytes, namespace: str, message: bytes) -> str:
    """An armored SSH signature of ``message`` by an OpenSSH-format Ed25519 private key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = serialization.load_ssh_private_key(private_openssh_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SignatureError(N_("only Ed25519 signing keys are supported"))
    raw_public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    signature = key.sign(_signed_data(namespace, message))
    blob = (
        MAGIC
        + struct.pack(">I", 1)
        + _string(PublicKey(raw_public).blob)
        + _string(namespace.encode())
        + _string(b"")
        + _string(b"sha512")
        + _string(_string(KEY_TYPE) + _string(signature))
    )
    text = base64.b64encode(blob).decode()
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return "\n".join([BEGIN, *lines, END]) + "\n"


class Signature(NamedTuple):
    public_key: PublicKey
    namespace: str
    hash_algorithm: str
    signature: bytes


def parse(armored: str) -> Signature:
    """Read an armored SSH signature, refusing anything that is not exactly one."""
    lines = armored.strip("\n").split("\n")
    if len(lines) < 3 or lines[0] != BEGIN or lines[-1] != END:
        raise SignatureError(INVALID)
    body = lines[1:-1]
    try:
        blob = base64.b64decode("".join(body), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(INVALID) from None
    # Only the one encoding OpenSSH writes: no other wrapping, no stray bits in the padding.
    text = base64.b64encode(blob).decode()
    if body != [text[i : i + 70] for i in range(0, len(text), 70)]:
        raise SignatureError(INVALID)
    reader = _Reader(blob)
    if reader.raw(6) != MAGIC or reader.uint32() != 1:
        raise SignatureError(INVALID)
    public_key = PublicKey.from_blob(reader.string())
    namespace = reader.string()
    reader.string()  # reserved
    hash_algorithm = reader.string()
    inner = _Reader(reader.string())
    reader.done()
    if inner.string() != KEY_TYPE:
        raise SignatureError(INVALID)
    signature = inner.string()
    inner.done()
    if hash_algorithm not in (b"sha256", b"sha512") or len(signature) != 64:
        raise SignatureError(INVALID)
    try:
        return Signature(public_key, namespace.decode(), hash_algorithm.decode(), signature)
    except UnicodeDecodeError:
        raise SignatureError(INVALID) from None


def verify(armored: str, namespace: str, message: bytes, expected: PublicKey) -> None:
    """Raise :class:`SignatureError` unless ``armored`` is ``expected``'s signature of
    ``message`` in ``namespace``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    sig = parse(armored)
    if sig.namespace != namespace or sig.public_key != expected:
        raise SignatureError(INVALID)
    digest = hashlib.new(sig.hash_algorithm, message).digest()
    data = (
        MAGIC
        + _string(namespace.encode())
        + _string(b"")
        + _string(sig.hash_algorithm.encode())
        + _string(digest)
    )
    try:
        Ed25519PublicKey.from_public_bytes(expected.raw).verify(sig.signature, data)
    except InvalidSignature:
        raise SignatureError(INVALID) from None
