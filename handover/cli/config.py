"""``handover config``: official email domains and the thresholds the audit uses."""

from __future__ import annotations

from typing import Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import FormatOption, JsonFlag

app = context.sub_app("The registry's own settings: official email domains, audit thresholds.")
domains = context.sub_app(
    "Official email domains: an email on one of these (or below it) counts as official."
)
app.add_typer(domains, name="domains")

Domain = Annotated[str, typer.Argument(help="A domain, e.g. gujarat.gov.in.")]


@domains.command("add")
def domains_add(domain: Domain) -> None:
    """Declare an official email domain.

    \b
    Example:
      handover config domains add gujarat.gov.in
    """
    from vault.records import config

    with context.registry() as reg:
        added = config.add_domain(reg, domain)
    typer.echo(f"{added} is an official email domain")


@domains.command("remove")
def domains_remove(domain: Domain) -> None:
    """Remove an official email domain (accounts using it will show in the audit).

    \b
    Example:
      handover config domains remove old-domain.gov.in
    """
    from vault.records import config

    with context.registry() as reg:
        removed = config.remove_domain(reg, domain)
    typer.echo(f"{removed} is no longer an official email domain")


@domains.command("list")
def domains_list(json_: JsonFlag = False, fmt: FormatOption = None) -> None:
    """List official email domains.

    \b
    Example:
      handover config domains list --json
    """
    from vault.records import config

    with context.registry() as reg:
        found = config.list_domains(reg)
    output.rows(
        found,
        [("domain", "domain"), ("added_at", "added"), ("added_by", "by")],
        context.out_format(json_, fmt, csv=True),
    )


@app.command("set")
def set_(
    name: Annotated[str, typer.Argument(help="Setting name (see 'handover config show').")],
    value: Annotated[str, typer.Argument(help="New value.")],
) -> None:
    """Change a setting.

    \b
    Example:
      handover config set rotation_deadline_days 3
    """
    from vault.records import config

    with context.registry() as reg:
        new = config.set_setting(reg, name, value)
    typer.echo(f"{name} = {new}")


@app.command("show")
def show(json_: JsonFlag = False, fmt: FormatOption = None) -> None:
    """Show every setting, its value and what it is for.

    \b
    Example:
      handover config show
    """
    from vault.records import config

    with context.registry() as reg:
        found = config.show(reg)
    output.rows(
        found,
        [("name", "setting"), ("value", "value"), ("default", "default"), ("help", "meaning")],
        context.out_format(json_, fmt, csv=True),
    )


escrow = context.sub_app(
    "Escrow recipients: age keys (the IT cell's) that every packet is also encrypted to."
)
app.add_typer(escrow, name="escrow")


@escrow.command("add")
def escrow_add(
    recipient: Annotated[str, typer.Argument(help="An age recipient, age1...")],
    label: Annotated[str | None, typer.Option("--label", help="Whose key it is.")] = None,
) -> None:
    """Encrypt every packet also to this age recipient.

    \b
    Example:
      handover config escrow add age1... --label "IT cell, Revenue Department"
    """
    from vault.crypto import escrow as core

    with context.registry() as reg:
        added = core.add(reg, recipient, label)
    typer.echo(f"packets will also be encrypted to {added}")


@escrow.command("remove")
def escrow_remove(
    recipient: Annotated[str, typer.Argument(help="The recipient to remove.")],
) -> None:
    """Stop encrypting packets to this recipient.

    \b
    Example:
      handover config escrow remove age1...
    """
    from vault.crypto import escrow as core

    with context.registry() as reg:
        removed = core.remove(reg, recipient)
    typer.echo(f"{removed} is no longer an escrow recipient")


@escrow.command("list")
def escrow_list(json_: JsonFlag = False, fmt: FormatOption = None) -> None:
    """List escrow recipients.

    \b
    Example:
      handover config escrow list
    """
    from vault.crypto import escrow as core

    with context.registry() as reg:
        found = core.list_escrow(reg)
    output.rows(
        found,
        [("recipient", "recipient"), ("label", "label"), ("added_at", "added")],
        context.out_format(json_, fmt, csv=True),
    )
