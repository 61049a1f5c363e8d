"""``handover group``: WhatsApp (and other) groups of officers and the posts that run them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import JsonFlag

if TYPE_CHECKING:
    from vault.model import Group

app = context.sub_app(
    "Groups of officers at state, head-of-department and district level, "
    "administered by posts (so a transfer does not orphan them)."
)

COLUMNS = [
    ("slug", "group"),
    ("name", "name"),
    ("platform", "platform"),
    ("level", "level"),
    ("district", "district"),
    ("admins", "admin posts"),
]


def _print(group: Group, json_: bool) -> None:
    if json_:
        output.json_value(group.to_dict())
    else:
        output.fields((k, v) for k, v in group.to_dict().items() if k != "id")


@app.command("add")
def add(
    slug: Annotated[str, typer.Argument(help="Short identifier, e.g. ahd-district-officers.")],
    name: Annotated[str | None, typer.Option("--name", help="The group's name.")] = None,
    level: Annotated[str | None, typer.Option("--level", help="state, hod or district.")] = None,
    district: Annotated[
        str | None, typer.Option("--district", help="District, for a district-level group.")
    ] = None,
    department: Annotated[
        str | None, typer.Option("--department", help="Department, for a head-of-department group.")
    ] = None,
    platform: Annotated[
        str | None, typer.Option("--platform", help="whatsapp (default), telegram, ...")
    ] = None,
    admins: Annotated[
        list[str] | None,
        typer.Option("--admin", help="A post that administers the group (repeat for several)."),
    ] = None,
    json_: JsonFlag = False,
) -> None:
    """Register a group and its administering posts.

    \b
    Example:
      handover group add ahd-district --name "Ahmedabad district officers" --level district \\
          --district Ahmedabad --admin collector-ahmedabad
    """
    from vault.records import groups

    with context.registry() as reg:
        group = groups.add(
            reg, slug, groups.GroupFields(name, level, platform, district, department), admins or []
        )
    _print(group, json_)


@app.command("admins")
def admins(
    slug: Annotated[str, typer.Argument(help="The group.")],
    add: Annotated[list[str] | None, typer.Option("--add", help="Post to make an admin.")] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="Post to remove as admin.")
    ] = None,
    json_: JsonFlag = False,
) -> None:
    """Add or remove administering posts of a group.

    \b
    Example:
      handover group admins ahd-district --add dio-ahmedabad --remove collector-ahmedabad
    """
    from vault.records import groups

    with context.registry() as reg:
        group = groups.change_admins(reg, slug, add or [], remove or [])
    _print(group, json_)


@app.command("list")
def list_(
    level: Annotated[str | None, typer.Option("--level", help="state, hod or district.")] = None,
    district: Annotated[str | None, typer.Option("--district", help="Only this district.")] = None,
    json_: JsonFlag = False,
) -> None:
    """List groups and their admin posts.

    \b
    Example:
      handover group list --level district
    """
    from vault.records import groups

    with context.registry() as reg:
        found = groups.list_groups(reg, level=level, district=district)
    output.rows(
        (g.to_dict() for g in found), COLUMNS, output.Format.JSON if json_ else output.Format.TABLE
    )


@app.command("show")
def show(
    slug: Annotated[str, typer.Argument(help="The group.")],
    json_: JsonFlag = False,
) -> None:
    """Show one group.

    \b
    Example:
      handover group show ahd-district --json
    """
    from vault.records import groups

    with context.registry() as reg:
        group = groups.show(reg, slug)
    _print(group, json_)
