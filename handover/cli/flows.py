"""What the guided flows (``give``, ``take``) share: asking a person, and saying things to
them, in their language.

Every question has a flag that answers it, so a flow also runs without a terminal; when neither
a flag nor a terminal answers, the flow stops with the flag to give.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer

from handover.errors import UsageError
from handover.i18n import translate as _
from handover.output import inert


def say(text: str = "") -> None:
    typer.echo(text)


def title(text: str) -> None:
    typer.echo(f"\n== {text}")


def _terminal(flag: str) -> None:
    if not sys.stdin.isatty():
        raise UsageError(_("no terminal to ask on: give {flag}").format(flag=flag))


def confirm(question: str, *, flag: str) -> bool:
    """Yes or no, asked on the terminal (no is the default)."""
    _terminal(flag)
    hint = _("y/N")
    answer = typer.prompt(f"{question} [{hint}]", default="", show_default=False)
    return answer.strip().lower() in ("y", "yes")


def choose(question: str, options: Sequence[str], *, flag: str) -> int:
    """One of ``options`` by its number."""
    _terminal(flag)
    for n, option in enumerate(options, 1):
        typer.echo(f"  {n}. {inert(option)}")
    while True:
        answer = typer.prompt(question, default="", show_default=False).strip()
        if answer.isdigit() and 1 <= int(answer) <= len(options):
            return int(answer) - 1
        typer.echo(_("Type a number from 1 to {n}.").format(n=len(options)))


def ask(question: str, *, flag: str, default: str = "") -> str:
    _terminal(flag)
    return str(typer.prompt(question, default=default, show_default=bool(default))).strip()


def ask_secret(question: str, *, flag: str) -> str:
    _terminal(flag)
    return str(typer.prompt(question, default="", hide_input=True, show_default=False))
