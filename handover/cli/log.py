"""``handover log``: the tamper-evident event log: list it, verify it, checkpoint it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import FormatOption, JsonFlag

app = context.sub_app(
    "The event log: every change, who made it and when (never a secret), as a SHA-256 hash "
    "chain that 'log verify' recomputes; signed checkpoints catch a cut tail or a rewrite."
)
COLUMNS = [
    ("seq", "#"),
    ("at", "when"),
    ("actor", "who"),
    ("action", "what"),
    ("object_ref", "object"),
    ("details", "details"),
]


@app.command("list")
def list_(
    since: Annotated[
        str | None, typer.Option("--since", help="Only entries on or after this date (YYYY-MM-DD).")
    ] = None,
    obj: Annotated[
        str | None,
        typer.Option(
            "--object",
            metavar="ID",
            help="Only entries about this post, officer, account, group or id.",
        ),
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """List the event log.

    \b
    Examples:
      handover log list --since 2026-01-01
      handover log list --object x:@CollectorAhd --json
    """
    from vault.log import entries

    with context.registry() as reg:
        rows = entries.list_entries(reg, since=context.parse_date(reg, since, "--since"), obj=obj)
        output.rows(
            (e.to_dict() for e in rows),
            COLUMNS,
            context.out_format(json_, fmt, csv=True),
            empty="(no entries)",
        )


@app.command("verify")
def verify(
    checkpoint: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoint",
            metavar="FILE",
            help="A checkpoint file kept outside the registry (repeat for several).",
        ),
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Recompute the hash chain and check every checkpoint; exit 3 naming the first bad entry.

    \b
    Examples:
      handover log verify
      handover log verify --checkpoint it-cell/2026-06.checkpoint
    """
    json_ = context.wants_json(json_, fmt)
    from vault.log import checkpoints

    files = [context.read_file(p) for p in checkpoint or []]
    with context.registry() as reg:
        result = checkpoints.verify(reg, files)
    broken = result.first_break
    if json_:
        output.json_value(
            {
                "ok": broken is None,
                "size": result.size,
                "head": result.head,
                "checkpoints": result.checkpoints_checked,
                "first_break": None
                if broken is None
                else {"seq": broken.seq, "reason": broken.reason},
            }
        )
    elif broken is None:
        typer.echo(
            f"log verified: {result.size} entries, head {result.head}, "
            f"{result.checkpoints_checked} checkpoint(s) hold"
        )
    else:
        typer.echo(f"handover: log broken at entry {broken.seq}: {broken.reason}", err=True)
    if broken is not None:
        raise typer.Exit(context.EXIT_FINDINGS)


@app.command("checkpoint")
def checkpoint(
    out: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", help="Also write the signed checkpoint to this file, for the IT cell."
        ),
    ] = None,
    officer: Annotated[
        str | None,
        typer.Option("--officer", help="Sign as this officer (default: the registry's identity)."),
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Sign the log's size and head hash with the registry owner's key, and keep it.

    \b
    Example:
      handover log checkpoint -o it-cell/2026-06.checkpoint
    """
    json_ = context.wants_json(json_, fmt)
    from vault.log import checkpoints

    with context.registry() as reg:
        signed, data = checkpoints.make(reg, officer)
        if out is not None:
            context.write_new_file(out, data, exists="choose another -o/--output")
    if json_:
        output.json_value(signed.to_dict())
        return
    typer.echo(
        f"checkpoint: {signed.size} entries, head {signed.head}, signed by "
        f"{signed.signer} ({signed.fingerprint})" + (f"; written to {out}" if out else "")
    )
