"""``handover config``: official email domains and the thresholds the audit uses."""

from __future__ import annotations

from typing import Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import JsonFlag

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
    from vault import settings

    with context.registry() as reg:
        added = settings.add_domain(reg, domain)
    typer.echo(f"{added} is an official email domain")


@domains.command("remove")
def domains_remove(domain: Domain) -> None:
    """Remove an official email domain (accounts using it will show in the audit).

    \b
    Example:
      handover config domains remove old-domain.gov.in
    """
    from vault import settings

    with context.registry() as reg:
        removed = settings.remove_domain(reg, domain)
    typer.echo(f"{removed} is no longer an official email domain")


@domains.command("list")
def domains_list(json_: JsonFlag = False) -> None:
    """List official email domains.

    \b
    Example:
      handover config domains list --json
    """
    from vault import settings

    with context.registry() as reg:
        found = settings.list_domains(reg)
    output.rows(
        found,
        [("domain", "domain"), ("added_at", "added"), ("added_by", "by")],
        output.Format.JSON if json_ else output.Format.TABLE,
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
    from vault import settings

    with context.registry() as reg:
        new = settings.set_setting(reg, name, value)
    typer.echo(f"{name} = {new}")


@app.command("show")
def show(json_: JsonFlag = False) -> None:
    """Show every setting, its value and what it is for.

    \b
    Example:
      handover config show
    """
    from vault import settings

    with context.registry() as reg:
        found = settings.show(reg)
    output.rows(
        found,
        [("name", "setting"), ("value", "value"), ("default", "default"), ("help", "meaning")],
        output.Format.JSON if json_ else output.Format.TABLE,
    )
