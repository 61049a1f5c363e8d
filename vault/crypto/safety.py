"""Safety codes: an officer's two public keys as thirty digits that two people read to each other.

A key fingerprint such as ``SHA256:N/WJf6LN...`` is case-sensitive base64: nobody can read it
aloud reliably over a phone. Like Signal's safety numbers, a safety code is digits in groups of
five. It covers both public keys, the signing key and the age recipient, so a card with either key
swapped shows another code::

    digest = SHA-256("handover-safety-code-v1\\n" || signing key || "\\n" || age recipient || "\\n")
    group i (i = 0..5) = big-endian integer of digest bytes 5i..5i+4, modulo 100000, 5 digits

Six groups carry about 99.6 bits (each 40-bit chunk reduced to 16.6 bits): far beyond what an
attacker could match by generating keys. docs/packet-format.md shows it computed with stock tools.
"""

from __future__ import annotations

import hashlib

DOMAIN = b"handover-safety-code-v1\n"
GROUPS = 6


def safety_code(signing_key: str, age_recipient: str) -> str:
    """The safety code of an officer's keys: ``12345 67890 ...`` (six groups of five digits).

    ``signing_key`` is the ``ssh-ed25519 AAAA...`` line without a comment, ``age_recipient``
    the ``age1...`` string, both exactly as on the officer's card.
    """
    digest = hashlib.sha256(
        DOMAIN + signing_key.encode() + b"\n" + age_recipient.encode() + b"\n"
    ).digest()
    return " ".join(
        f"{int.from_bytes(digest[5 * i : 5 * i + 5], 'big') % 100000:05d}" for i in range(GROUPS)
    )
