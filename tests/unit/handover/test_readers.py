"""Property tests: every reader of outside input fails only with its own error, never a crash."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handover import card, claim, packet
from tests.vectors import generate as g
from vault.crypto import sshsig, totp
from vault.errors import InvalidInputError, SignatureError

READERS: dict[str, tuple[Callable[[bytes], Any], type[Exception]]] = {
    "packet": (packet.Packet.from_bytes, SignatureError),
    "packet-v1": (packet.Packet.from_bytes, SignatureError),
    "card": (card.read, SignatureError),
    "receipt": (claim.read_receipt, SignatureError),
    "report": (claim.read_report, SignatureError),
}


@cache
def valid(kind: str) -> bytes:
    if kind == "packet":
        return g.make_packet(fmt=2, escrow=True, capacity="it-cell", reason="vacant")
    if kind == "packet-v1":
        return g.make_packet()
    if kind == "card":
        return g.make_card(g.SENDER_SEED, g.SENDER_AGE, "ias-0042", "Asha Mehta", "x")
    if kind == "report":
        return g.make_report()
    return g.make_receipt(g.make_packet(fmt=2))


def _read_fully(kind: str, data: bytes) -> None:
    reader, error = READERS[kind]
    try:
        parsed = reader(data)
        if kind.startswith("packet"):
            parsed.signer_key()
    except error:
        return


@pytest.mark.parametrize("kind", READERS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=2048))
def test_arbitrary_bytes(kind: str, data: bytes) -> None:
    _read_fully(kind, data)


@pytest.mark.parametrize("kind", READERS)
@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from(
        [
            b"HANDOVER-PACKET/1\n",
            b"HANDOVER-PACKET/2\n",
            b"HANDOVER-IDENTITY-CARD/1\n",
            b"HANDOVER-RECEIPT/1\n",
            b"HANDOVER-ROTATION-REPORT/2\n",
        ]
    ),
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=20),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=20,
    ),
    tail=st.binary(max_size=200),
)
def test_plausible_structure(kind: str, prefix: bytes, body: Any, tail: bytes) -> None:
    from vault.canonical import canonical

    try:
        line = canonical(body)
    except (TypeError, ValueError, OverflowError):
        return
    _read_fully(kind, prefix + line + b"\n" + tail)


@pytest.mark.parametrize("kind", READERS)
@settings(max_examples=200, deadline=None)
@given(
    edits=st.lists(st.tuples(st.integers(min_value=0), st.integers(0, 255)), min_size=1, max_size=4)
)
def test_mutations_of_a_valid_file_are_refused(kind: str, edits: list[tuple[int, int]]) -> None:
    data = bytearray(valid(kind))
    for at, value in edits:
        data[at % len(data)] = value
    mutated = bytes(data)
    error = READERS[kind][1]
    if mutated == valid(kind):
        return
    with pytest.raises(error):
        _verify(kind, mutated)


def _verify(kind: str, data: bytes) -> None:
    """Read and, for a packet, verify the signature (card and receipt readers verify)."""
    parsed = READERS[kind][0](data)
    if kind.startswith("packet"):
        parsed.signer_key()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=600))
def test_ssh_signature_parser(text: str) -> None:
    with contextlib.suppress(SignatureError):
        sshsig.parse(text)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_totp_parser(text: str) -> None:
    with contextlib.suppress(InvalidInputError):
        totp.parse(text)
