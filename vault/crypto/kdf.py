"""Key derivation: Argon2id for passphrases, HKDF-SHA256 for high-entropy codes, and the
recovery code itself.

A passphrase is guessable, so its key costs 64 MiB and three passes of Argon2id to derive (about
0.17 s), with the parameters stored beside the result so that they can be raised later. A
recovery code is 160 random bits and needs no slow derivation.
"""

from __future__ import annotations

import base64
import os
import secrets
import unicodedata
from typing import Any

ARGON2_DEFAULTS = {"memory_kib": 65536, "iterations": 3, "lanes": 4}
RECOVERY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
RECOVERY_LEN = 32  # 160 bits


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text: str) -> bytes:
    return base64.b64decode(text)


def new_passphrase_params() -> dict[str, Any]:
    """Argon2id parameters with a fresh salt, as stored beside a passphrase-derived key."""
    return {"kdf": "argon2id", "salt": b64(os.urandom(16)), **ARGON2_DEFAULTS}


def derive_passphrase_key(passphrase: str, params: dict[str, Any]) -> bytes:
    """A 256-bit key from a passphrase (NFC-normalised UTF-8) and stored Argon2id parameters."""
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    return Argon2id(
        salt=unb64(params["salt"]),
        length=32,
        iterations=params["iterations"],
        lanes=params["lanes"],
        memory_cost=params["memory_kib"],
    ).derive(unicodedata.normalize("NFC", passphrase).encode("utf-8"))


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LEN))
    return "-".join(raw[i : i + 4] for i in range(0, RECOVERY_LEN, 4))


def normalise_recovery(text: str) -> str | None:
    """The recovery code in canonical form, or ``None`` if ``text`` cannot be one."""
    cleaned = "".join(ch for ch in text.upper() if ch not in "- \t")
    cleaned = cleaned.replace("0", "O").replace("1", "I").replace("8", "B")
    if len(cleaned) != RECOVERY_LEN or any(ch not in RECOVERY_ALPHABET for ch in cleaned):
        return None
    return cleaned


def new_recovery_params() -> dict[str, Any]:
    return {"kdf": "hkdf-sha256", "salt": b64(os.urandom(16))}


def derive_recovery_key(code: str, params: dict[str, Any]) -> bytes:
    """A 256-bit key from a recovery code in canonical form (see :func:`normalise_recovery`)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=unb64(params["salt"]),
        info=b"handover-recovery-slot-v1",
    ).derive(code.encode())
