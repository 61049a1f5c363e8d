"""``handover export``, ``backup`` and ``restore``: the register out, and the whole registry
safely kept and brought back."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import JsonFlag

app = typer.Typer(rich_markup_mode=None, add_completion=False)


@app.command("export")
def export(
    fmt: Annotated[
        output.Format, typer.Option("--format", help="csv (default), json or table.")
    ] = output.Format.CSV,
    level: Annotated[str | None, typer.Option("--level", help="state, hod or district.")] = None,
    district: Annotated[str | None, typer.Option("--district", help="Only this district.")] = None,
    public: Annotated[
        bool,
        typer.Option(
            "--public",
            help="Only what is published: official handles, platforms, owning office, "
            "verified or not; no contacts.",
        ),
    ] = False,
    out: Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file.")] = None,
) -> None:
    """Export the non-secret register (accounts, owning posts and holders, contacts,
    verification), for the file, for RTI replies, or as the public list of official handles.

    The full CSV uses the same columns as 'handover import accounts'.

    \b
    Examples:
      handover export --district Ahmedabad -o ahmedabad.csv
      handover export --public --format json -o official-handles.json
    """
    from vault.exchange import export as core

    columns = core.PUBLIC_COLUMNS if public else core.FULL_COLUMNS
    with context.registry() as reg:
        rows = core.rows(reg, level=level, district=district, public=public)
        if out is None:
            output.rows(rows, [(c, c) for c in columns], fmt)
            return
        if out.exists():
            from handover.errors import FileError

            raise FileError(f"{out} exists; choose another name")
        with out.open("w", encoding="utf-8", newline="") as handle:
            previous, sys.stdout = sys.stdout, handle
            try:
                output.rows(rows, [(c, c) for c in columns], fmt)
            finally:
                sys.stdout = previous
    typer.echo(f"wrote {out}", err=True)


@app.command("backup")
def backup(
    out: Annotated[Path, typer.Option("-o", "--output", help="The backup file to write.")],
    json_: JsonFlag = False,
) -> None:
    """Write an encrypted backup of the whole registry: secrets still sealed, key slots
    included, so that the passphrase or recovery code restores it anywhere.

    The registry is unlocked first; with a wrong or missing key nothing is written.

    \b
    Example:
      handover backup -o registry-2026-11-28.backup
    """
    from vault.exchange import backup as core

    with context.registry() as reg:
        made, data = core.make(reg)
    context.write_new_file(out, data, exists="choose another -o/--output", mode=0o600)
    if json_:
        output.json_value({**made.to_dict(), "file": str(out)})
    else:
        typer.echo(
            f"wrote {out}: {sum(made.tables.values())} rows of {len(made.tables)} "
            f"tables, schema {made.revision}"
        )


@app.command("restore")
def restore(
    backup_file: Annotated[
        Path, typer.Argument(help="A backup made by 'handover backup'.", metavar="FILE")
    ],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing registry.")] = False,
    json_: JsonFlag = False,
) -> None:
    """Recreate a registry from a backup, opened with its passphrase or recovery code.

    The registry goes where --registry (or HANDOVER_REGISTRY) says; an existing one is replaced
    only with --force, and only once the whole backup has been read and checked: in one
    transaction that waits for any command writing to it, after a dated copy of it is made
    beside it (REGISTRY.before-restore.TIME.bak).

    \b
    Example:
      HANDOVER_REGISTRY=./restored.db handover restore registry-2026-11-28.backup
    """
    from vault.exchange import backup as core

    data = context.read_file(backup_file)
    done = core.restore(
        context.location(),
        data,
        unlocker=context.unlocker(),
        actor=context.actor()[0],
        clock=context.now,
        force=force,
    )
    if json_:
        output.json_value(done.to_dict())
    else:
        typer.echo(
            f"restored {done.location} (registry {done.registry_id}, schema "
            f"{done.revision}); event log verified: {done.log_entries} entries"
        )
        if done.previous:
            typer.echo(f"the registry it replaced is kept at {done.previous}")
