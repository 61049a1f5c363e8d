"""``handover member``: the IT cell members whose identities open every post of a shared
registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import FormatOption, JsonFlag

app = context.sub_app(
    "IT cell members: officers who act for the department. They may sign a post's packet for "
    "the department (a vacant post, a holder who cannot act), and packets they sign are "
    "accepted here as the IT cell's. On a shared registry their identities also open every "
    "post's key; run these there with your own --identity, as a member."
)
Officer = Annotated[str, typer.Argument(help="The officer (with identity keys on record).")]


@app.command("add")
def add(officer: Officer, json_: JsonFlag = False, fmt: FormatOption = None) -> None:
    """Make an officer an IT cell member (their card must be on record). On a shared registry
    every post's key is wrapped to them too.

    \b
    Examples:
      handover member add itc-0001
      handover --identity itc.identity member add itc-0002
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import members

    with context.registry() as reg:
        change = members.add(reg, officer)
    if json_:
        output.json_value(change.to_dict())
    else:
        typer.echo(
            f"{change.member} is an IT cell member"
            + (f"; {change.posts} post key(s) wrapped to them" if change.posts else "")
        )


@app.command("remove")
def remove(
    officer: Officer,
    recovery_code_file: Annotated[
        Path | None,
        typer.Option(
            "--recovery-code-file",
            metavar="PATH",
            help="On a shared registry the registry key is renewed: write its new recovery code "
            "to this new file instead of printing it (before anything is saved).",
        ),
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Remove a member. On a shared registry every key they could open is replaced and their
    secrets re-sealed, and those posts' credentials are marked for rotation.

    \b
    Example:
      handover --identity itc.identity member remove itc-0002 --recovery-code-file code.txt
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import members

    deliver = context.deliver_recovery_codes(recovery_code_file)

    def announce(change: members.Change) -> None:
        if json_:
            if recovery_code_file:
                deliver(change.recovery_codes)
            shown = {} if recovery_code_file else change.recovery_codes
            output.json_value({**change.to_dict(), "recovery_codes": shown})
            return
        typer.echo(
            f"{change.member} removed: {change.posts} post(s) re-keyed, "
            f"{change.secrets_resealed} secrets re-sealed, {change.credentials_marked} "
            "accounts marked for rotation"
        )
        deliver(change.recovery_codes)

    with context.registry() as reg:
        members.remove(reg, officer, announce=announce)


@app.command("list")
def list_(json_: JsonFlag = False, fmt: FormatOption = None) -> None:
    """List current members.

    \b
    Example:
      handover member list
    """
    from vault.records import members

    with context.registry() as reg:
        found = members.list_members(reg)
    output.rows(
        (m.to_dict() for m in found),
        [
            ("officer", "officer"),
            ("name", "name"),
            ("recipient", "age recipient"),
            ("added_at", "since"),
            ("added_by", "added by"),
        ],
        context.out_format(json_, fmt, csv=True),
    )
