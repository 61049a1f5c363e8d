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
import re
import secrets
import string
from collections.abc import Iterable

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
_LEET_ASCII = bytes.maketrans(b"013457@$", b"oleastas")


def _leet(text: str) -> str:
    """``text`` with the digits and symbols that stand for letters read as those letters
    (through bytes for ASCII: ``str.translate`` looks each character up in a dict)."""
    if text.isascii():
        return text.encode().translate(_LEET_ASCII).decode()
    return text.translate(_LEET)


# 0x80 in each of n bytes, as an integer, for the steps between a password's characters.
_HIGH = [int.from_bytes(b"\x80" * n, "big") for n in range(64)]


def _runs(text: str) -> bool:
    """Four repeated or consecutive characters in a row: aaaa, 1234, abcd, 4321.

    For ASCII, the steps between neighbours are worked out all at once, as the bytes of one
    subtraction of two integers (each byte of the first with its top bit set, so that no byte
    borrows from the next: a step of 0 is 0x80, +1 is 0x81, -1 is 0x7f), and three equal steps
    of 0, 1 or -1 are searched for in C: the audit asks this of every password."""
    if text.isascii():
        codes = text.encode()
        n = len(codes) - 1
        if n < 3:
            return False
        high = _HIGH[n] if n < len(_HIGH) else int.from_bytes(b"\x80" * n, "big")
        later = int.from_bytes(codes[1:], "big") | high
        steps = (later - int.from_bytes(codes[:-1], "big")).to_bytes(n, "big")
        return b"\x80\x80\x80" in steps or b"\x81\x81\x81" in steps or b"\x7f\x7f\x7f" in steps
    points = list(map(ord, text))
    deltas = [b - a for a, b in itertools.pairwise(points)]
    return any(
        x == y == z and -1 <= x <= 1
        for x, y, z in zip(deltas, deltas[1:], deltas[2:], strict=False)
    )


# Each ASCII character to its kind: a lower-case letter, an upper-case letter, a digit, or
# anything else (a symbol, a space).
_KIND_OF = str.maketrans(
    {chr(c): "a" if chr(c).islower() else "A" if chr(c).isupper() else "0" if chr(c).isdigit()
     else "#" for c in range(128)}
)  # fmt: skip
_LOWER, _UPPER, _DIGITS = map(
    frozenset, (string.ascii_lowercase, string.ascii_uppercase, "0123456789")
)


def _kinds(password: str) -> int:
    """How many kinds of character a password holds: lower, upper, digit, other."""
    if password.isascii():
        return len(set(password.translate(_KIND_OF)))
    used = set(password)
    return (
        bool(used & _LOWER)
        + bool(used & _UPPER)
        + bool(used & _DIGITS)
        + any(not c.isalnum() for c in used)
    )


_WORD = re.compile(r"[a-z]{4,}")


def words_of(name: str) -> tuple[str, ...]:
    """The runs of four or more letters in a name, as a password would spell them: what
    :func:`weakness` looks for of the names it is given."""
    return tuple(_WORD.findall(_leet(name.lower())))


_COMMON = tuple(part for word in COMMON_WORDS for part in words_of(word))
_COMMON_RE = re.compile("|".join(map(re.escape, _COMMON)))


def weakness(password: str, names: Iterable[str] = (), *, words: Iterable[str] = ()) -> str | None:
    """Why ``password`` is weak by the policy above, or ``None``; ``names`` are the ones an
    attacker would try for this account (its handle, its post, its district), and ``words``
    more of them already split by :func:`words_of` (an audit splits each post's names once),
    looked for after ``names``."""
    if len(password) < MIN_CHOSEN:
        return f"shorter than {MIN_CHOSEN} characters"
    # The kinds of character matter only below 16.
    if len(password) < 16 and _kinds(password) < 3:
        return "fewer than 16 characters, of fewer than three kinds"
    lower = password.lower()
    if _runs(lower):
        return "a run of repeated or consecutive characters"
    plain = _leet(lower)
    if not _WORD.search(plain):
        return None  # every name and word looked for is four letters or more in a row
    if _COMMON_RE.search(plain):  # one search in C; the loop names the word, in list order
        part = next(part for part in _COMMON if part in plain)
        return f"it holds a name anyone would try ({part})"
    for part in itertools.chain(*map(words_of, names), words):
        if part in plain:
            return f"it holds a name anyone would try ({part})"
    return None
