"""The weak-password policy, case by case, and its fast run check against the plain definition."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vault.crypto import passwords

NAMES = ("@collector_kheda_x", "collector-kheda", "Kheda")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Kheda@12345", "shorter than 12 characters"),
        ("abcdefghijkmnp", "fewer than 16 characters, of fewer than three kinds"),
        ("Tq7#vLm2-Pz9!wRxxxx", "a run of repeated or consecutive characters"),
        ("Tq7#vLm2-9876-wRx", "a run of repeated or consecutive characters"),
        ("Tq7#vLm2-Pz9!wRx-Ωψχφ", "a run of repeated or consecutive characters"),
        ("Tq7#GUJ4RAT-Pz9!w", "it holds a name anyone would try (gujarat)"),
        ("Tq7#KHEDA-Pz9!wRx", "it holds a name anyone would try (kheda)"),
        ("Tq7#vLm2-Pz9!wRx", None),
        ("correct horse battery staple", None),
    ],
)
def test_the_policy(password: str, why: str | None) -> None:
    assert passwords.weakness(password, NAMES) == why


def _plain_runs(text: str) -> bool:
    for i in range(len(text) - 3):
        steps = {ord(text[i + k + 1]) - ord(text[i + k]) for k in range(3)}
        if len(steps) == 1 and steps.pop() in (-1, 0, 1):
            return True
    return False


@given(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=80))
def test_runs_in_ascii_as_defined(text: str) -> None:
    assert passwords._runs(text) == _plain_runs(text)


@given(st.text(alphabet=st.sampled_from("abcdABCD0123-_ કખગઘ\u00ff\u0100"), max_size=24))
def test_runs_in_any_text_as_defined(text: str) -> None:
    assert passwords._runs(text) == _plain_runs(text)


def test_generated_passwords_pass_the_policy() -> None:
    for _ in range(200):
        assert passwords.weakness(passwords.generate(), NAMES) is None


def _plain_kinds(password: str) -> int:
    return (
        any(c in "abcdefghijklmnopqrstuvwxyz" for c in password)
        + any(c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for c in password)
        + any(c in "0123456789" for c in password)
        + any(not c.isalnum() for c in password)
    )


@given(st.text(alphabet=st.sampled_from("azAZ09 -_!~\x7f\tકખ૧\u00e9\u00c9Ω"), max_size=16))
def test_kinds_as_defined(password: str) -> None:
    assert passwords._kinds(password) == _plain_kinds(password)


@given(st.text(max_size=20), st.lists(st.text(max_size=12), max_size=3))
def test_names_split_beforehand_judge_alike(password: str, names: list[str]) -> None:
    words = [part for name in names for part in passwords.words_of(name)]
    assert passwords.weakness(password, words=words) == passwords.weakness(password, names)


def _plain_weakness(password: str, names: tuple[str, ...]) -> str | None:
    """The policy as the module docstring states it, without any of the shortcuts."""
    import re

    if len(password) < 12:
        return "shorter than 12 characters"
    if len(password) < 16 and _plain_kinds(password) < 3:
        return "fewer than 16 characters, of fewer than three kinds"
    lower = password.lower()
    if _plain_runs(lower):
        return "a run of repeated or consecutive characters"
    plain = lower.translate(str.maketrans("013457@$", "oleastas"))

    def parts(name: str) -> list[str]:
        return re.findall(
            "[a-z]{4,}", name.lower().translate(str.maketrans("013457@$", "oleastas"))
        )

    for part in [p for word in passwords.COMMON_WORDS for p in parts(word)]:
        if part in plain:
            return f"it holds a name anyone would try ({part})"
    for part in [p for name in names for p in parts(name)]:
        if part in plain:
            return f"it holds a name anyone would try ({part})"
    return None


@given(
    st.text(alphabet=st.sampled_from("kheda$0PASw@rd1234adminXyz-_ !Ω"), min_size=8, max_size=24)
)
def test_the_policy_as_stated(password: str) -> None:
    assert passwords.weakness(password, NAMES) == _plain_weakness(password, NAMES)
