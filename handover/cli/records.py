"""``handover export``, ``backup`` and ``restore``: the register out, and the whole registry
safely kept and brought back."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from handover import output
from handover.cli import context
from handover.cli.context import FormatOption, JsonFlag

app = typer.Typer(rich_markup_mode=None, add_completion=False)


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    TABLE = "table"
    XLSX = "xlsx"


@app.command("export")
def export(
    reader: Annotated[
        str,
        typer.Option(
            "--for",
            metavar="READER",
            help="records (the office's file: everything but secrets; the default), rti (what "
            "an RTI reply may disclose) or public (the list of official handles).",
        ),
    ] = "records",
    public: Annotated[bool, typer.Option("--public", help="Short for --for public.")] = False,
    table: Annotated[
        str,
        typer.Option(
            "--table",
            help="For csv, json and table: accounts (default), posts, officers, tenures, "
            "history, groups or roles (xlsx holds every table the reader may see).",
        ),
    ] = "accounts",
    fmt: Annotated[
        ExportFormat | None,
        typer.Option("--format", help="csv (the default), json, table or xlsx."),
    ] = None,
    excel: Annotated[
        bool,
        typer.Option("--excel", help="CSV that Excel opens right (a byte-order mark, UTF-8)."),
    ] = False,
    level: Annotated[str | None, typer.Option("--level", help="state, hod or district.")] = None,
    district: Annotated[str | None, typer.Option("--district", help="Only this district.")] = None,
    out: Annotated[Path | None, typer.Option("-o", "--output", help="Write to this file.")] = None,
    json_: JsonFlag = False,
) -> None:
    """Export the register for its readers: the office's file (records), an RTI reply (rti:
    no login or recovery contact, no 2FA detail, nobody's phone number), or the public list of
    official handles. Never a secret. Cells a spreadsheet would run as formulas are made inert.

    The accounts table of 'records' has the columns of 'handover import accounts'.

    \b
    Examples:
      handover export --district Ahmedabad -o ahmedabad.csv --excel
      handover export --for rti --format xlsx -o rti-reply-2026-114.xlsx
      handover export --for public --format json -o official-handles.json
      handover export --for records --table history
    """
    from handover.errors import UsageError
    from vault.exchange import export as core

    reader = "public" if public else reader
    chosen = ExportFormat.JSON if json_ else (fmt or ExportFormat.CSV)
    with context.registry() as reg:
        if out is None:
            if chosen is ExportFormat.XLSX:
                raise UsageError("an xlsx workbook goes to a file: give -o FILE.xlsx")
            found = core.table_for(reader, table)
            shown = [(c.name, c.name) for c in core.columns(found, reader)]
            if excel:
                sys.stdout.write("\ufeff")
            rows = core.rows(reg, found, reader, level=level, district=district)
            output.rows(rows, shown, output.Format(chosen.value))
            return
        if chosen is ExportFormat.XLSX:
            sheets = [
                (t.name, [(c.name, c.name) for c in core.columns(t, reader)],
                 core.rows(reg, t, reader, level=level, district=district))
                for t in core.tables_for(reader)
            ]  # fmt: skip
            data = output.xlsx(sheets)
        else:
            found = core.table_for(reader, table)
            shown = [(c.name, c.name) for c in core.columns(found, reader)]
            rows = core.rows(reg, found, reader, level=level, district=district)
            data = _captured(rows, shown, output.Format(chosen.value), excel)
    context.write_new_file(out, data, exists="choose another -o/--output")
    typer.echo(f"wrote {out}", err=True)


def _captured(rows: Any, shown: Any, fmt: output.Format, excel: bool) -> bytes:
    """What ``output.rows`` prints, as the bytes of a file."""
    import io

    buffer = io.StringIO()
    previous, sys.stdout = sys.stdout, buffer
    try:
        output.rows(rows, shown, fmt)
    finally:
        sys.stdout = previous
    return buffer.getvalue().encode("utf-8-sig" if excel else "utf-8")


@app.command("backup")
def backup(
    out: Annotated[Path, typer.Option("-o", "--output", help="The backup file to write.")],
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Write an encrypted backup of the whole registry: secrets still sealed, key slots
    included, so that the passphrase or recovery code restores it anywhere.

    The registry is unlocked first; with a wrong or missing key nothing is written.

    \b
    Example:
      handover backup -o registry-2026-11-28.backup
    """
    json_ = context.wants_json(json_, fmt)
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
    fmt: FormatOption = None,
) -> None:
    """Recreate a registry from a backup, opened with its passphrase or recovery code.

    The registry goes where --registry (or HANDOVER_REGISTRY) says; an existing one is replaced
    only with --force, and only once the whole backup has been read and checked: in one
    transaction that waits for any command writing to it, after a dated copy of it is made
    beside it (REGISTRY.before-restore.TIME.bak). A PostgreSQL registry is kept as a backup in
    your data folder (DATABASE.before-restore.TIME.backup), which the same passphrase or
    recovery code restores.

    \b
    Example:
      HANDOVER_REGISTRY=./restored.db handover restore registry-2026-11-28.backup
    """
    json_ = context.wants_json(json_, fmt)
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
