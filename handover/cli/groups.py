"""``handover group``: WhatsApp (and other) groups of officers and the posts that run them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import FormatOption, JsonFlag

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
    fmt: FormatOption = None,
) -> None:
    """Register a group and its administering posts.

    \b
    Example:
      handover group add ahd-district --name "Ahmedabad district officers" --level district \\
          --district Ahmedabad --admin collector-ahmedabad
    """
    json_ = context.wants_json(json_, fmt)
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
    add_phone: Annotated[
        list[str] | None,
        typer.Option("--add-phone", help="An official number that is admin in the app."),
    ] = None,
    remove_phone: Annotated[
        list[str] | None, typer.Option("--remove-phone", help="A number no longer admin.")
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Add or remove a group's administering posts, and the numbers that are its admins in the
    app (they must be official: a post's or an officer's number).

    \b
    Examples:
      handover group admins ahd-district --add dio-ahmedabad --remove collector-ahmedabad
      handover group admins ahd-district --add-phone +919978400001
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import groups

    with context.registry() as reg:
        group = groups.change_admins(
            reg, slug, add or [], remove or [], add_phone or [], remove_phone or []
        )
    _print(group, json_)


@app.command("list")
def list_(
    level: Annotated[str | None, typer.Option("--level", help="state, hod or district.")] = None,
    district: Annotated[str | None, typer.Option("--district", help="Only this district.")] = None,
    archived: Annotated[bool, typer.Option("--archived", help="Also archived groups.")] = False,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """List groups and their admin posts.

    \b
    Example:
      handover group list --level district
    """
    from vault.records import groups

    with context.registry() as reg:
        found = groups.list_groups(reg, level=level, district=district, archived=archived)
    output.rows((g.to_dict() for g in found), COLUMNS, context.out_format(json_, fmt, csv=True))


@app.command("show")
def show(
    slug: Annotated[str, typer.Argument(help="The group.")],
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Also the invite link (unlocks the registry).")
    ] = False,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Show one group.

    \b
    Example:
      handover group show ahd-district --json
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import groups

    with context.registry() as reg:
        group = groups.show(reg, slug)
        invite = groups.invite_of(reg, slug) if reveal else None
    if json_ and reveal:
        output.json_value({**group.to_dict(), "invite": invite})
        return
    _print(group, json_)
    if reveal:
        typer.echo(f"invite       {invite or '-'}")


Slug = Annotated[str, typer.Argument(help="The group.")]
Reason = Annotated[str | None, typer.Option("--reason", help="Why (kept with the record).")]


@app.command("owner")
def owner(
    slug: Slug,
    account: Annotated[
        str | None,
        typer.Argument(help="The account that owns the group, e.g. whatsapp:+919978400002."),
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Record the account that owns the group on its platform (none, to clear it).

    \b
    Example:
      handover group owner ahd-district whatsapp:+919978400002
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import groups

    with context.registry() as reg:
        group = groups.set_owner(reg, slug, account)
    _print(group, json_)


@app.command("set-invite")
def set_invite(
    slug: Slug,
    clear: Annotated[bool, typer.Option("--clear", help="Forget the invite link.")] = False,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Seal the group's invite link, read from standard input (anyone who has it can join, so it
    is kept like a password; 'group show --reveal' shows it).

    \b
    Example:
      printf '%s\\n' "$INVITE_LINK" | handover group set-invite ahd-district
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import groups

    link = None if clear else context.secret_input("invite link")
    with context.registry() as reg:
        group = groups.set_invite(reg, slug, link)
    _print(group, json_)


@app.command("archive")
def archive(slug: Slug, reason: Reason = None) -> None:
    """Archive a group (dissolved, or replaced): out of lists and the audit, kept on record.

    \b
    Example:
      handover group archive old-district-group --reason "replaced by ahd-district"
    """
    from vault.records import lifecycle

    with context.registry() as reg:
        name = lifecycle.archive_group(reg, slug, reason)
    typer.echo(f"group {name} archived")


@app.command("purge")
def purge(slug: Slug, reason: Reason = None) -> None:
    """Delete an archived group for good (the log keeps its story).

    \b
    Example:
      handover group purge old-district-group --reason "dissolved in 2020"
    """
    from vault.records import lifecycle

    with context.registry() as reg:
        name = lifecycle.purge_group(reg, slug, reason)
    typer.echo(f"group {name} purged")
