"""``handover totp``: the current code of an account's sealed authenticator seed."""

from __future__ import annotations

from typing import Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.accounts import Ref
from handover.cli.context import FormatOption, JsonFlag

app = typer.Typer(rich_markup_mode=None, add_completion=False)


@app.command("totp")
def totp(
    ref: Ref,
    at: Annotated[
        int | None,
        typer.Option(
            "--at", metavar="UNIX_TIME", help="Compute the code at this Unix time instead of now."
        ),
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Print the account's current TOTP code and how many seconds it stays valid.

    \b
    Examples:
      handover totp x:@CollectorAhd
      handover totp x:@CollectorAhd --at 59
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import credentials

    with context.registry() as reg:
        code, remaining, when = credentials.totp_code(reg, ref, at)
    if json_:
        output.json_value({"account": ref, "code": code, "valid_for": remaining, "at": when})
    else:
        typer.echo(f"{code}  (valid for {remaining} more second{'s' if remaining != 1 else ''})")
