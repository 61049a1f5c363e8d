"""``handover member``: the IT cell members whose identities open every post of a shared
registry."""

from __future__ import annotations

from typing import Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import JsonFlag

app = context.sub_app(
    "IT cell members of a shared registry: officers whose identities open every post's key. "
    "Run these with your own --identity, as a member."
)
Officer = Annotated[str, typer.Argument(help="The officer (with identity keys on record).")]


@app.command("add")
def add(officer: Officer, json_: JsonFlag = False) -> None:
    """Make an officer an IT cell member: every post's key is wrapped to them too.

    \b
    Example:
      handover --identity itc.identity member add itc-0002
    """
    from vault.records import members

    with context.registry() as reg:
        change = members.add(reg, officer)
    if json_:
        output.json_value(change.to_dict())
    else:
        typer.echo(f"{change.member} is a member; {change.posts} post key(s) wrapped to them")


@app.command("remove")
def remove(officer: Officer, json_: JsonFlag = False) -> None:
    """Remove a member: every key they could open is replaced and their secrets re-sealed, and
    those posts' credentials are marked for rotation.

    \b
    Example:
      handover --identity itc.identity member remove itc-0002
    """
    from vault.records import members

    with context.registry() as reg:
        change = members.remove(reg, officer)
    if json_:
        output.json_value(change.to_dict())
    else:
        typer.echo(
            f"{change.member} removed: {change.posts} post(s) re-keyed, "
            f"{change.secrets_resealed} secrets re-sealed, {change.credentials_marked} "
            "accounts marked for rotation"
        )


@app.command("list")
def list_(json_: JsonFlag = False) -> None:
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
        output.Format.JSON if json_ else output.Format.TABLE,
    )
