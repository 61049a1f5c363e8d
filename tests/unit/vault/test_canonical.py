"""The fast canonical JSON is RFC 8785, byte for byte, on the values it takes."""

from __future__ import annotations

from typing import Any

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from vault.canonical import _plain_json, canonical

KEYS = st.text(alphabet=st.characters(max_codepoint=127), max_size=8)
LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.text(max_size=20)
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=600, deadline=None)
@given(VALUES)
def test_fast_path_matches_rfc8785(value: Any) -> None:
    assert _plain_json(value)
    assert canonical(value) == bytes(rfc8785.dumps(value))


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=4), st.floats(allow_nan=False) | st.text(max_size=4), max_size=3
    )
)
def test_other_values_go_to_rfc8785(value: dict[str, Any]) -> None:
    try:
        expected = bytes(rfc8785.dumps(value))
    except (ValueError, TypeError, OverflowError):
        return
    assert canonical(value) == expected


def test_control_characters_and_unicode() -> None:
    value = {"a": 'tab\tnew\nquote"back\\slash\x01\x7f é 𝄞 /'}
    assert canonical(value) == bytes(rfc8785.dumps(value))


def test_what_the_fast_path_refuses() -> None:
    """Anything JCS writes differently from ``json.dumps``, however deep, leaves the fast path."""
    for value in ({1: "a"}, {"é": 1}, 2**53, -(2**53), 1.0, [{"a": [2**60]}], {"a": {"b": [0.5]}}):
        assert not _plain_json(value), value
    for value in (True, None, "é", {"a": [None, "x", -5, {"b": False}]}, 2**53 - 1, []):
        assert _plain_json(value), value
