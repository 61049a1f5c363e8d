"""Text from others is inert on a terminal.

A table of hostile strings (escape sequences, a forged line, C1 controls, bidi and zero-width
characters, tag characters) goes into every place a name, title, reason or detail comes from:
typed into this registry, brought by an officer's card, or by a packet's header. Every command
that prints such text is then run on a real pseudo-terminal, and what reaches the terminal must
hold none of those characters raw, only their visible escapes; no forged line starts a line.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from tests.conftest import HANDOVER, Cli
from tests.faults import env_for
from tests.integration.fixtures import Pair
from tests.terminal import Terminal

HOSTILE = {
    "clear-screen": "\x1b[2J\x1b[H",
    "window-title": "\x1b]0;pwned\x07",
    "forged-line": "Asha\nfingerprint: SHA256:FORGED",
    "carriage-return": "Asha\rRavi",
    "c1-csi": "Asha\x9b31m",
    "delete": "As\x7fha",
    "right-to-left": "Asha \u202eahsA",
    "zero-width": "As\u200bha",
    "byte-order-mark": "\ufeffAsha",
    "line-separator": "Asha\u2028Ravi",
    "tag-characters": "Asha\U000e0041",
}
FORGED = "fingerprint: SHA256:FORGED"


def _raw_danger(text: str) -> list[str]:
    """Characters a terminal would act on or hide, as they reached it. The terminal itself ends
    lines with CR LF, so a CR is only suspect when no LF follows it."""
    found = []
    for at, ch in enumerate(text):
        if ch == "\r" and text[at + 1 : at + 2] == "\n":
            continue
        if ch in "\n\t":
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
            found.append(f"U+{ord(ch):04X} at {at}")
    return found


def on_terminal(cli: Cli, *args: str, env: dict[str, str] | None = None) -> str:
    """``handover ARGS`` on a pseudo-terminal; returns what the terminal received."""
    terminal = Terminal([HANDOVER, *args], {**env_for(cli), "TERM": "xterm", **(env or {})})
    terminal.finish()
    return terminal.seen.decode("utf-8")


def assert_inert(output: str, *, shown: bool = True) -> None:
    """Nothing raw reached the terminal; and (``shown``) the hostile text was there, escaped."""
    assert _raw_danger(output) == [], output
    for line in output.splitlines():
        assert not line.strip().startswith(FORGED), line
    if not shown:
        return
    escapes = ("\\x", "<U+", "\\n", "\\r", "\\u")
    assert any(e in output for e in escapes), output  # the hostile text was shown, escaped


@pytest.fixture
def hostile(seeded: Cli) -> Cli:
    """A registry in which every name, title and reason a person typed is hostile."""
    for n, (key, text) in enumerate(HOSTILE.items()):
        seeded.ok("officer", "add", f"ias-9{n:03d}", "--name", text, "--grade", text)
        seeded.ok("post", "add", f"hostile-{key}", "--title", text, "--level", "state")
        seeded.ok(
            "group", "add", f"group-{key}", "--name", text, "--level", "state",
            "--admin", f"hostile-{key}",
        )  # fmt: skip
    return seeded


@pytest.mark.parametrize(
    "args",
    [
        ["officer", "list"],
        ["officer", "show", "ias-9002"],
        ["post", "list"],
        ["post", "show", "hostile-forged-line"],
        ["group", "list"],
        ["audit"],
        ["audit", "--format", "json"],
        ["log", "list"],
        ["log", "list", "--json"],
        ["officer", "list", "--json"],
    ],
    ids="-".join,
)
def test_what_a_person_typed_is_shown_inert(hostile: Cli, args: list[str]) -> None:
    assert_inert(on_terminal(hostile, *args), shown=args[0] != "audit")  # audit names ids


def test_the_audit_reports_every_hostile_name(hostile: Cli) -> None:
    findings = hostile.ok("audit", "--format", "json").json()["findings"]
    flagged = {f["object"] for f in findings if f["rule"] == "text.confusable"}
    for n, key in enumerate(HOSTILE):
        assert {f"ias-9{n:03d}", f"hostile-{key}", f"group-{key}"} <= flagged, key


def test_a_hostile_card_cannot_forge_its_fingerprint_line(make_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The card's name is the sender's to choose; reading the safety code aloud is what trust
    rests on, so the name must not be able to print a line of its own, or hide the real one."""
    sender: Cli = make_cli("sender")
    name = "Asha Mehta\n" + FORGED + "\x1b[1A\x1b[2K"
    sender.ok("officer", "add", "ias-0042", "--name", name)
    sender.ok("identity", "create", "--officer", "ias-0042")
    card = tmp_path / "asha.card"
    sender.ok("identity", "card", "-o", str(card))
    receiver: Cli = make_cli("receiver")
    shown = on_terminal(receiver, "officer", "import-card", str(card), "--confirmed", "phone")
    assert_inert(shown)
    lines = shown.splitlines()
    assert [line for line in lines if line.startswith("safety code ")] == [lines[1]]
    assert lines[0] == (
        "imported new officer ias-0042 (Asha Mehta\\nfingerprint: SHA256:FORGED\\x1b[1A\\x1b[2K)"
    )


def test_a_hostile_packet_header_is_shown_inert(pair: Pair) -> None:
    """The packet's own name for its signer, and the IT cell's reason, are the sender's text."""
    pair.a.ok("officer", "edit", "ias-0042", "--name", "Asha\x1b[2J\u202eMehta")
    packet = pair.packet()
    shown = on_terminal(pair.b, "packet", "inspect", str(packet))
    assert_inert(shown)
    assert "Asha Mehta" in shown  # this registry's name for the signer
    assert "Asha\\x1b[2J<U+202E>Mehta" in shown  # beside it, the packet's, inert


def test_the_terminal_test_catches_raw_text() -> None:
    """The check itself must be able to fail."""
    with pytest.raises(AssertionError):
        assert_inert("name: Asha\x1b[2J\r\n")
    with pytest.raises(AssertionError):
        assert_inert("ok\r\nfingerprint: SHA256:FORGED\r\n")


def test_names_in_indian_scripts_travel_whole(pair: Pair) -> None:
    """Inert is not lossy: Gujarati and Devanagari names, with the joiners their spelling
    needs, go through a packet, the registry and the screen as they are."""
    gujarati, hindi = "આશા મહેતા", "रवि क्\u200dषत्रिय"  # a joiner inside a Devanagari word
    pair.a.ok("officer", "edit", "ias-0042", "--name", gujarati)
    packet = pair.packet()
    shown = on_terminal(pair.b, "packet", "inspect", str(packet))
    assert_inert(shown, shown=False)
    assert gujarati in shown
    pair.b.ok("officer", "edit", "ias-0077", "--name", hindi)
    assert hindi in on_terminal(pair.b, "officer", "list")
    assert pair.b.json("officer", "show", "ias-0077")["officer"]["name"] == hindi
