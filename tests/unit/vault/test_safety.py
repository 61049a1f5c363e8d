"""Safety codes: thirty digits, the same on both sides, different for any other key."""

from __future__ import annotations

import re

import pyrage

from tests.vectors import generate as g
from vault.crypto.safety import safety_code
from vault.crypto.sshsig import PublicKey

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _bech32(hrp: str, data: bytes) -> str:
    """BIP-173 bech32 of ``data`` (what age uses for its recipients), for keys made bit by bit."""
    values, acc, bits = [], 0, 0
    for byte in data:
        acc, bits = (acc << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            values.append((acc >> bits) & 31)
    if bits:
        values.append((acc << (5 - bits)) & 31)
    polymod_input = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + values
    chk = 1
    for value in [*polymod_input, 0, 0, 0, 0, 0, 0]:
        top, chk = chk >> 25, ((chk & 0x1FFFFFF) << 5) ^ value
        for i, gen in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
            chk ^= gen if (top >> i) & 1 else 0
    checksum = chk ^ 1
    return (
        hrp
        + "1"
        + "".join(CHARSET[v] for v in values)
        + "".join(CHARSET[(checksum >> 5 * (5 - i)) & 31] for i in range(6))
    )


def _x25519_bytes(recipient: str) -> bytes:
    data = recipient[4:-6]
    acc, bits, out = 0, 0, bytearray()
    for ch in data:
        acc, bits = (acc << 5) | CHARSET.index(ch), bits + 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 255)
    return bytes(out)


SIGNING = g.public(g.SENDER_SEED)
AGE = g.recipient(g.SENDER_AGE)


def test_the_shape_of_a_safety_code() -> None:
    assert re.fullmatch(r"(\d{5} ){5}\d{5}", safety_code(SIGNING.openssh, AGE))


def test_the_bech32_helper_round_trips_a_real_recipient() -> None:
    assert _bech32("age", _x25519_bytes(AGE)) == AGE
    pyrage.x25519.Recipient.from_str(_bech32("age", _x25519_bytes(AGE)))


def test_any_bit_of_either_key_changes_the_code() -> None:
    original = safety_code(SIGNING.openssh, AGE)
    seen = {original}
    raw_age = _x25519_bytes(AGE)
    for bit in range(256):
        flipped = bytearray(SIGNING.raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        seen.add(safety_code(PublicKey(bytes(flipped)).openssh, AGE))
        other = bytearray(raw_age)
        other[bit // 8] ^= 1 << (bit % 8)
        seen.add(safety_code(SIGNING.openssh, _bech32("age", bytes(other))))
    assert len(seen) == 1 + 2 * 256


def test_the_code_is_the_cards_on_both_sides() -> None:
    """Computed from the card's two fields, as the sender's 'identity card' and the receiver's
    'import-card' both do."""
    from handover import card

    data = g.make_card(g.SENDER_SEED, g.SENDER_AGE, "ias-0042", "Asha Mehta", "x")
    assert card.read(data).safety_code == safety_code(SIGNING.openssh, AGE)
