"""``handover post``: the official positions that own accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from handover import output
from handover.cli import context
from handover.cli.context import FormatOption, JsonFlag

if TYPE_CHECKING:
    from vault.model import Post

app = context.sub_app(
    "Posts: official positions (Collector, District Information Officer, ...) "
    "that own accounts and outlive the officers who hold them."
)

Title = Annotated[str | None, typer.Option("--title", help="Title, e.g. 'Collector, Ahmedabad'.")]
Level = Annotated[
    str | None, typer.Option("--level", help="state, hod (head of department) or district.")
]
District = Annotated[
    str | None, typer.Option("--district", help="District (needed at district level).")
]
Department = Annotated[str | None, typer.Option("--department", help="Department, e.g. Revenue.")]
Email = Annotated[
    str | None, typer.Option("--email", help="The post's official email, on an official domain.")
]
Phone = Annotated[
    str | None, typer.Option("--phone", help="The post's official mobile number (stored in E.164).")
]

COLUMNS = [
    ("slug", "post"),
    ("title", "title"),
    ("level", "level"),
    ("district", "district"),
    ("holder", "holder"),
    ("email", "email"),
    ("phone", "phone"),
]


def _print(post: Post, json_: bool) -> None:
    if json_:
        output.json_value(post.to_dict())
    else:
        output.fields((k, v) for k, v in post.to_dict().items() if k != "id")


@app.command("add")
def add(
    slug: Annotated[str, typer.Argument(help="Short identifier, e.g. collector-ahmedabad.")],
    title: Title = None,
    level: Level = None,
    district: District = None,
    department: Department = None,
    email: Email = None,
    phone: Phone = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Register a post with its official email and phone.

    \b
    Example:
      handover post add collector-ahmedabad --title "Collector, Ahmedabad" \\
          --level district --district Ahmedabad \\
          --email collector.ahd@gujarat.gov.in --phone +919978400001
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import posts

    with context.registry() as reg:
        post = posts.add(
            reg, slug, posts.PostFields(title, level, district, department, email, phone)
        )
    _print(post, json_)


@app.command("edit")
def edit(
    slug: Annotated[str, typer.Argument(help="The post to change.")],
    title: Title = None,
    level: Level = None,
    district: District = None,
    department: Department = None,
    email: Email = None,
    phone: Phone = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Change a post's details; an option given as "" clears that field.

    \b
    Example:
      handover post edit collector-ahmedabad --phone +919978400009
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import posts

    with context.registry() as reg:
        post = posts.edit(
            reg, slug, posts.PostFields(title, level, district, department, email, phone)
        )
    _print(post, json_)


@app.command("list")
def list_(
    level: Level = None,
    district: District = None,
    vacant: Annotated[bool, typer.Option("--vacant", help="Only posts nobody holds.")] = False,
    abolished: Annotated[
        bool, typer.Option("--abolished", help="Also posts that were abolished.")
    ] = False,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """List posts with their current holders.

    \b
    Examples:
      handover post list --district Ahmedabad
      handover post list --vacant --json
    """
    from vault.records import posts

    with context.registry() as reg:
        found = posts.list_posts(
            reg,
            level=level,
            district=district,
            vacant=True if vacant else None,
            abolished=abolished,
        )
    output.rows((p.to_dict() for p in found), COLUMNS, context.out_format(json_, fmt, csv=True))


@app.command("show")
def show(
    slug: Annotated[str, typer.Argument(help="The post to show.")],
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Show a post, its holders over time, its accounts and the groups it administers.

    \b
    Example:
      handover post show collector-ahmedabad --json
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import posts

    with context.registry() as reg:
        detail = posts.show(reg, slug)
    if json_:
        output.json_value(detail.to_dict())
        return
    post: dict[str, Any] = detail.post.to_dict()
    output.fields(
        [(k, v) for k, v in post.items() if k != "id"]
        + [("accounts", detail.accounts), ("groups", detail.groups)]
    )
    typer.echo("\nTenures:")
    output.table(
        [t.to_dict() for t in detail.tenures],
        [
            ("officer", "officer"),
            ("officer_name", "name"),
            ("start_date", "from"),
            ("end_date", "to"),
        ],
        empty="(never held)",
    )


@app.command("abolish")
def abolish(
    slug: Annotated[str, typer.Argument(help="The post.")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="The order that abolished it (kept).")
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Record that a post was abolished: it leaves lists and the audit, and stays on record with
    its tenures and handovers. Relieve its holder and move or archive its accounts first.

    \b
    Example:
      handover post abolish dio-kheda --reason "GAD order 45/2026 merges it into collector-kheda"
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import lifecycle

    with context.registry() as reg:
        post = lifecycle.abolish_post(reg, slug, reason)
    if json_:
        output.json_value(post.to_dict())
    else:
        typer.echo(f"{post.slug} abolished")
