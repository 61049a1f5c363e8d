"""New passwords worth rotating to, and a check of those people choose.

Generated passwords are long and random, from the operating system's generator
(:mod:`secrets`), in characters every platform accepts and a person can copy from a screen
without confusing ``l``, ``1``, ``I``, ``O`` and ``0``. The default of 20 characters from 57 gives
about 116 bits; every password holds a lower-case and an upper-case letter, a digit and a
symbol, since many platforms insist on each, and none is one the policy below would call weak
(a random run like ``KJJ7`` is drawn again, about one password in a thousand).

A chosen password is weak (:func:`weakness`) by a documented policy, cheap enough for an audit
of 100,000 accounts: fewer than 12 characters; fewer than 16 with fewer than three kinds of
character; a run of four repeated or consecutive characters (``aaaa``, ``1234``, ``dcba``); or a
name an attacker tries first: the account's handle, the post, its district, or words every
office uses (``password``, ``admin``, ``gujarat``...), in any case, with digits for letters.
"""

from __future__ import annotations

import itertools
import operator
import re
import secrets
import string
from collections.abc import Iterable
from functools import lru_cache

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
        kinds = all(any(c in group for c in candidate) for group in (LOWER, UPPER, DIGITS, SYMBOLS))
        if kinds and weakness(candidate) is None:
            return candidate


MIN_CHOSEN = 12
# Words an attacker tries with any Indian government office's account (besides its own names).
COMMON_WORDS = (
    "password", "passw0rd", "admin", "welcome", "qwerty", "letmein", "india", "bharat",
    "gujarat", "sarkar", "collector", "office", "official", "govt", "secret", "login",
)  # fmt: skip
_LEET = str.maketrans("013457@$", "oleastas")


def _runs(text: str) -> bool:
    """Four repeated or consecutive characters in a row: aaaa, 1234, abcd, 4321.

    For ASCII, the steps between neighbours are made bytes and searched for three equal steps
    of 0, 1 or -1 in C: the audit asks this of every password."""
    if text.isascii():
        codes = text.encode()
        steps = bytes([step & 0xFF for step in map(operator.sub, codes[1:], codes)])
        return b"\0\0\0" in steps or b"\1\1\1" in steps or b"\xff\xff\xff" in steps
    points = list(map(ord, text))
    deltas = [b - a for a, b in itertools.pairwise(points)]
    return any(
        x == y == z and -1 <= x <= 1
        for x, y, z in zip(deltas, deltas[1:], deltas[2:], strict=False)
    )


_LOWER, _UPPER, _DIGITS = map(
    frozenset, (string.ascii_lowercase, string.ascii_uppercase, "0123456789")
)


_WORD = re.compile(r"[a-z]{4,}")


@lru_cache(maxsize=4096)
def _words(name: str) -> tuple[str, ...]:
    """The runs of four or more letters in a name, as a password would spell them (a post's
    names recur on its accounts; the cache keeps them)."""
    return tuple(_WORD.findall(name.lower().translate(_LEET)))


_COMMON = tuple(part for word in COMMON_WORDS for part in _words(word))
_COMMON_RE = re.compile("|".join(map(re.escape, _COMMON)))


def weakness(password: str, names: Iterable[str] = ()) -> str | None:
    """Why ``password`` is weak by the policy above, or ``None``; ``names`` are the ones an
    attacker would try for this account (its handle, its post, its district)."""
    if len(password) < MIN_CHOSEN:
        return f"shorter than {MIN_CHOSEN} characters"
    if len(password) < 16:  # the kinds of character matter only below 16
        used = set(password)
        kinds = (
            bool(used & _LOWER)
            + bool(used & _UPPER)
            + bool(used & _DIGITS)
            + any(not c.isalnum() for c in used)
        )
        if kinds < 3:
            return "fewer than 16 characters, of fewer than three kinds"
    lower = password.lower()
    if _runs(lower):
        return "a run of repeated or consecutive characters"
    plain = lower.translate(_LEET)
    if _COMMON_RE.search(plain):  # one search in C; the loop names the word, in list order
        part = next(part for part in _COMMON if part in plain)
        return f"it holds a name anyone would try ({part})"
    for name in names:
        for part in _words(name):
            if part in plain:
                return f"it holds a name anyone would try ({part})"
    return None
