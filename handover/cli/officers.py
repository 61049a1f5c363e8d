"""``handover officer``: people, their tenures of posts, and (later) their identity cards."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import FormatOption, JsonFlag
from handover.output import inert

if TYPE_CHECKING:
    from handover.card import Card
    from vault.model import Officer
    from vault.records.identities import OnRecord

app = context.sub_app("Officers: the people who hold posts, and who holds which post when.")

Name = Annotated[str | None, typer.Option("--name", help="Full name.")]
Grade = Annotated[
    str | None,
    typer.Option(
        "--grade",
        help="Grade, e.g. 'super time scale' (the circular requires a smartphone from "
        "super time scale up).",
    ),
]
Email = Annotated[str | None, typer.Option("--email", help="The officer's own official email.")]
Phone = Annotated[str | None, typer.Option("--phone", help="The officer's official mobile.")]

COLUMNS = [
    ("service_id", "officer"),
    ("name", "name"),
    ("grade", "grade"),
    ("posts", "holds"),
    ("email", "email"),
    ("phone", "phone"),
]


def _print(officer: Officer, json_: bool) -> None:
    if json_:
        output.json_value(officer.to_dict())
    else:
        output.fields((k, v) for k, v in officer.to_dict().items() if k != "id")


@app.command("add")
def add(
    service_id: Annotated[str, typer.Argument(help="Service or employee id, e.g. ias-0042.")],
    name: Name = None,
    grade: Grade = None,
    email: Email = None,
    phone: Phone = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Register an officer.

    \b
    Example:
      handover officer add ias-0042 --name "Asha Mehta" --grade "super time scale"
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import officers

    with context.registry() as reg:
        officer = officers.add(reg, service_id, officers.OfficerFields(name, grade, email, phone))
    _print(officer, json_)


@app.command("edit")
def edit(
    service_id: Annotated[str, typer.Argument(help="The officer to change.")],
    name: Name = None,
    grade: Grade = None,
    email: Email = None,
    phone: Phone = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Change an officer's details; an option given as "" clears that field.

    \b
    Example:
      handover officer edit ias-0042 --phone +919978400042
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import officers

    with context.registry() as reg:
        officer = officers.edit(reg, service_id, officers.OfficerFields(name, grade, email, phone))
    _print(officer, json_)


@app.command("list")
def list_(
    retired: Annotated[bool, typer.Option("--retired", help="Also retired officers.")] = False,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """List officers and the posts they hold now.

    \b
    Example:
      handover officer list --json
    """
    from vault.records import officers

    with context.registry() as reg:
        found = officers.list_officers(reg, retired=retired)
    output.rows((o.to_dict() for o in found), COLUMNS, context.out_format(json_, fmt, csv=True))


@app.command("show")
def show(
    service_id: Annotated[str, typer.Argument(help="The officer to show.")],
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Show an officer, every tenure they have had, and their personal accounts.

    \b
    Example:
      handover officer show ias-0042
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import officers

    with context.registry() as reg:
        detail = officers.show(reg, service_id)
    if json_:
        output.json_value(detail.to_dict())
        return
    output.fields(
        [(k, v) for k, v in detail.officer.to_dict().items() if k != "id"]
        + [("personal accounts", detail.personal_accounts)]
    )
    typer.echo("\nTenures:")
    output.table(
        [t.to_dict() for t in detail.tenures],
        [("post", "post"), ("start_date", "from"), ("end_date", "to")],
        empty="(none)",
    )


@app.command("assign")
def assign(
    service_id: Annotated[str, typer.Argument(help="The officer taking charge.")],
    post: Annotated[str, typer.Argument(help="The post.")],
    start: Annotated[
        str | None,
        typer.Option("--from", help="First day of the tenure (YYYY-MM-DD; default today)."),
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Make an officer the holder of a post from a date; the previous holder's tenure ends then.

    \b
    Example:
      handover officer assign ias-0042 collector-ahmedabad --from 2026-01-01
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import officers

    with context.registry() as reg:
        result = officers.assign(reg, service_id, post, context.parse_date(reg, start, "--from"))
    if json_:
        output.json_value(result.to_dict())
        return
    t = result.tenure
    typer.echo(f"{t.officer} holds {t.post} from {t.start_date}")
    if result.ended:
        typer.echo(f"{result.ended.officer}'s tenure of {t.post} ended on {result.ended.end_date}")


@app.command("relieve")
def relieve(
    service_id: Annotated[str, typer.Argument(help="The officer leaving the post.")],
    post: Annotated[str, typer.Argument(help="The post.")],
    end: Annotated[
        str | None, typer.Option("--on", help="Last day (YYYY-MM-DD; default today).")
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """End an officer's tenure, leaving the post vacant until someone is assigned.

    \b
    Example:
      handover officer relieve ias-0042 collector-ahmedabad --on 2026-06-30
    """
    json_ = context.wants_json(json_, fmt)
    from vault.records import officers

    with context.registry() as reg:
        tenure = officers.relieve(reg, service_id, post, context.parse_date(reg, end, "--on"))
    if json_:
        output.json_value(tenure.to_dict())
    else:
        typer.echo(
            f"{tenure.officer} relieved of {tenure.post} on {tenure.end_date}; the post is vacant"
        )


@app.command("import-card")
def import_card(
    card: Annotated[
        Path, typer.Argument(help="An identity card file from 'handover identity card'.")
    ],
    confirmed: Annotated[
        str | None,
        typer.Option(
            "--confirmed",
            metavar="TEXT",
            help="Who confirmed the card's safety code with the officer, and how (needed "
            "without a terminal; on a terminal you are asked).",
        ),
    ] = None,
    replace_key: Annotated[
        bool,
        typer.Option(
            "--replace-key", help="Replace the keys on record for this officer (needs --reason)."
        ),
    ] = False,
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Why the officer's keys changed (with --replace-key)."),
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Record another officer's public keys from their identity card.

    The card's self-signature is checked. Then read its safety code with the officer, by phone
    or in person: the same thirty digits must show on both sides ('handover identity card' shows
    theirs). Who confirmed it, and how, is recorded. A card with other keys than those on record
    for the officer is refused unless you replace them knowingly: --replace-key --reason TEXT.

    \b
    Examples:
      handover officer import-card ravi.card
      handover officer import-card asha.card --confirmed "phone call with Asha Mehta, 2026-12-01"
      handover officer import-card asha-new.card --replace-key --reason "new laptop" \\
          --confirmed "in person, IT cell, 2026-12-02"
    """
    json_ = context.wants_json(json_, fmt)
    from handover.card import import_card as do_import
    from handover.card import read
    from handover.errors import UsageError
    from vault.records import identities

    if reason and not replace_key:
        raise UsageError("--reason goes with --replace-key")
    info = read(context.read_file(card))
    with context.registry() as reg:
        known = identities.on_record(reg, info.officer, info.age_recipient, info.signing_key)
        refused = known.safety_code is not None and not known.same_keys and not replace_key
        if not known.same_keys and confirmed is None and not refused:
            confirmed = _confirm_on_terminal(info, known, replace_key)
        imported = do_import(
            reg, info, confirmed=confirmed, replace_reason=reason if replace_key else None
        )
    if json_:
        output.json_value(
            {
                "officer": info.officer,
                "name": info.name,
                "fingerprint": info.fingerprint,
                "safety_code": imported.safety_code,
                "new_officer": imported.new_officer,
                "replaced": imported.replaced,
                "previous_safety_code": imported.previous_safety_code,
                "unchanged": imported.unchanged,
            }
        )
        return
    if imported.unchanged:
        typer.echo(f"{info.officer} ({inert(known.name or info.name)}): these keys are on record")
    else:
        what = "new officer" if imported.new_officer else "officer"
        typer.echo(f"imported {what} {info.officer} ({inert(known.name or info.name)})")
        if imported.replaced:
            typer.echo(f"their previous keys ({imported.previous_safety_code}) are kept as history")
    typer.echo(f"safety code {imported.safety_code}")


def _confirm_on_terminal(info: Card, known: OnRecord, replacing: bool) -> str:
    """Show the safety code on the terminal and ask whether the officer read the same."""
    import sys

    from handover.errors import UsageError

    if not sys.stdin.isatty():
        raise UsageError(
            "no terminal to confirm the safety code on: read it with the officer, then give "
            '--confirmed TEXT (who confirmed, how; e.g. "phone call with Asha Mehta, 2026-12-01")'
        )
    typer.echo(
        f"Card of {info.officer} ({inert(info.name)}), grade {inert(info.grade or '-')}", err=True
    )
    if known.officer_known and known.name and known.name != info.name:
        typer.echo(f"  this registry knows {info.officer} as: {inert(known.name)}", err=True)
    if known.safety_code and not known.same_keys:
        typer.echo(f"  keys on record now: {known.safety_code}", err=True)
        if not replacing:
            typer.echo("  THE CARD'S KEYS DIFFER FROM THOSE ON RECORD", err=True)
    typer.echo(f"\n  safety code   {info.safety_code}\n", err=True)
    typer.echo(
        f"Ask {inert(info.name)} to read their safety code ('handover identity card' shows it).",
        err=True,
    )
    if not typer.confirm("Do the codes match, digit for digit?", default=False, err=True):
        raise typer.Abort()
    return "safety code read aloud and confirmed at the terminal"


@app.command("retire")
def retire(
    service_id: Annotated[str, typer.Argument(help="The officer.", metavar="OFFICER")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why: superannuation, resignation... (kept).")
    ] = None,
) -> None:
    """Record that an officer has left service: out of lists and the audit; their tenures and
    handovers stay on record. They must hold no post.

    \b
    Example:
      handover officer retire ias-0007 --reason "superannuation, 30/11/2026"
    """
    from vault.records import lifecycle

    with context.registry() as reg:
        officer = lifecycle.retire_officer(reg, service_id, reason)
    typer.echo(f"{officer.service_id} retired")
