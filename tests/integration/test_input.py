"""Input is read exactly, or refused in one line that says where.

Identifiers (handles, slugs, officer ids) accept only their character sets, so that a look-alike
cannot pass for an account on record; imported secrets keep every character (a password with
spaces still works for the successor); a NUL, an oversized cell or a file that is not UTF-8 is
refused with its row named; bytes that are not UTF-8 on the command line are one line, not a
traceback; and an account's history is told in the order it happened, whatever the clock said.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import HANDOVER, Cli
from tests.faults import env_for

LOOK_ALIKES = {
    "cyrillic-o": ("x:@C\u043ellectorAhd", "x handle '@C\u043ellectorAhd'"),
    "zero-width-space": ("x:@Collector\u200bAhd", "x handle '@Collector\\u200bAhd'"),
    "right-to-left": ("instagram:collector\u202eahd", "instagram handle 'collector\\u202eahd'"),
    "space": ("x:@Collector Ahd", "x handle '@Collector Ahd'"),
    "newline": ("facebook:collector\nahd", "facebook handle 'collector\\nahd'"),
}


@pytest.mark.parametrize(("ref", "named"), LOOK_ALIKES.values(), ids=LOOK_ALIKES.keys())
def test_a_look_alike_handle_is_refused(seeded: Cli, ref: str, named: str) -> None:
    before = seeded.dump()
    line = seeded.fails("account", "add", ref, "--post", "collector-ahmedabad")
    assert line.startswith(f"handover: {named}: use "), line
    assert "no look-alike or invisible characters" in line
    assert seeded.dump() == before


def test_a_look_alike_handle_is_refused_in_an_import(seeded: Cli, tmp_path: Path) -> None:
    sheet = tmp_path / "accounts.csv"
    sheet.write_text(
        "platform,handle,post\n"
        "x,@RealOne,collector-ahmedabad\n"
        "x,@C\u043ellectorAhd,collector-ahmedabad\n",
        encoding="utf-8",
    )
    before = seeded.dump()
    result = seeded("import", "accounts", str(sheet))
    assert result.code == 1
    assert "accounts.csv:3: handle: x handle '@C\u043ellectorAhd': use " in result.stderr
    assert "nothing was imported" in result.stderr
    assert seeded.dump() == before


@pytest.mark.parametrize(
    ("ref", "refused"),
    [("post", "p\x1b[2J"), ("officer", "ias\u202e-0001"), ("officer", "ias-00 42")],
    ids=["slug-escape", "officer-bidi", "officer-space"],
)
def test_identifiers_refuse_what_they_cannot_show(seeded: Cli, ref: str, refused: str) -> None:
    args = (
        ["post", "add", refused, "--title", "T", "--level", "state"]
        if ref == "post"
        else ["officer", "add", refused, "--name", "Someone"]
    )
    line = seeded.fails(*args)
    assert "is not a valid identifier" in line
    assert "\x1b" not in line and "\u202e" not in line  # the error itself shows it inert


def _import(cli: Cli, tmp_path: Path, body: bytes) -> tuple[int, str]:
    sheet = tmp_path / "accounts.csv"
    sheet.write_bytes(b"platform,handle,post,password,notes\n" + body)
    result = cli("import", "accounts", str(sheet))
    return result.code, result.stderr


def test_imported_secrets_are_kept_exactly(seeded: Cli, tmp_path: Path) -> None:
    """Only the line ending is removed: spaces at either end, inner line breaks, quotes and
    non-ASCII characters are part of a password or a note."""
    password = '  pass "word" with spaces\t '
    notes = "first line\nsecond line, ગુજરાત "
    row = f'x,@Exact,collector-ahmedabad,"{password.replace(chr(34), 2 * chr(34))}","{notes}"'
    code, err = _import(seeded, tmp_path, (row + "\r\n").encode())
    assert code == 0, err
    secrets = seeded.json("account", "show", "x:@Exact", "--reveal")["secrets"]
    assert secrets["password"] == password
    assert secrets["notes"] == notes


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"x,@One,collector-ahmedabad,ok,\nx,@Two,collector-ahmedabad,a\x00b,\n",
         ":3: password: holds a NUL character"),
        (b"x,@One,collector-ahmedabad,ok," + b"n" * (130 * 1024) + b"\n",
         ":2: a cell is larger than 128 KiB"),
        (b"x,@One,collector-ahmedabad,ok,\nx,@Caf\xe9,collector-ahmedabad,ok,\n",
         ":3: is not UTF-8 text (save the sheet as CSV UTF-8)"),
    ],
    ids=["nul", "oversized-cell", "latin-1"],
)  # fmt: skip
def test_a_bad_cell_is_refused_with_its_row(
    seeded: Cli, tmp_path: Path, body: bytes, message: str
) -> None:
    before = seeded.dump()
    code, err = _import(seeded, tmp_path, body)
    assert code == 1
    assert f"accounts.csv{message}" in err, err
    assert "unexpected" not in err
    assert seeded.dump() == before


def test_bytes_that_are_not_utf8_on_the_command_line(seeded: Cli) -> None:
    """Arguments arrive as bytes; ones that are not UTF-8 are one line, exit 2, never a
    traceback, and change nothing."""
    before = seeded.dump()
    env = {k.encode(): v.encode() for k, v in env_for(seeded).items()}
    for args in (
        [b"officer", b"add", b"ias-0099", b"--name", b"\xe9t\xe9"],
        [b"post", b"show", b"\xff\xfe"],
        [b"account", b"add", b"x:@Caf\xe9", b"--post", b"collector-ahmedabad"],
    ):
        proc = subprocess.run(
            [os.fsencode(HANDOVER), *args], env=env, capture_output=True, timeout=120,
            check=False,
        )  # fmt: skip
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == (
            b"handover: some text given (an argument, a file name or a file) is not UTF-8; "
            b"give it as UTF-8\n"
        )
    assert seeded.dump() == before


def test_history_follows_the_changes_not_the_clock(seeded: Cli) -> None:
    """A clock set back (within the few seconds a registry allows) must not make the history
    tell a different story from the account's state."""
    ref = "x:@CollectorAhd"
    seeded.ok("account", "verify", ref, "--status", "applied", env={"HANDOVER_NOW": _now(0)})
    seeded.ok("account", "verify", ref, "--status", "verified", env={"HANDOVER_NOW": _now(-3)})
    shown = seeded.json("account", "show", ref)
    assert shown["verification"] == "verified"
    assert [h["to_status"] for h in shown["history"]] == ["unverified", "applied", "verified"]


def _now(offset_seconds: int) -> str:
    import datetime as dt

    moment = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=1)
    return (moment + dt.timedelta(seconds=offset_seconds)).isoformat()
