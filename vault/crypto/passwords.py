"""New passwords worth rotating to: long and random, from the operating system's generator
(:mod:`secrets`), in characters every platform accepts and a person can copy from a screen
without confusing ``l``, ``1``, ``I``, ``O`` and ``0``.

The default of 20 characters from 57 gives about 116 bits; every password holds a lower-case and
an upper-case letter, a digit and a symbol, since many platforms insist on each.
"""

from __future__ import annotations

import secrets
import string

from vault.errors import InvalidInputError

LOWER = "".join(c for c in string.ascii_lowercase if c not in "lo")
UPPER = "".join(c for c in string.ascii_uppercase if c not in "IO")
DIGITS = "23456789"
SYMBOLS = "-_.!@#%+="
ALPHABET = LOWER + UPPER + DIGITS + SYMBOLS
DEFAULT_LENGTH = 20
MIN_LENGTH, MAX_LENGTH = 12, 128


def generate(length: int = DEFAULT_LENGTH) -> str:
    """A new random password of ``length`` characters (12 to 128)."""
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise InvalidInputError(
            f"a generated password has {MIN_LENGTH} to {MAX_LENGTH} characters, not {length}"
        )
    while True:
        candidate = "".join(secrets.choice(ALPHABET) for _ in range(length))
        if all(any(c in group for c in candidate) for group in (LOWER, UPPER, DIGITS, SYMBOLS)):
            return candidate
