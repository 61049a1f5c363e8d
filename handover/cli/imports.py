"""``handover import``: posts, officers, accounts and groups from CSV spreadsheets."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import FormatOption, JsonFlag

app = context.sub_app(
    "Bulk import from CSV (UTF-8, one header row; see 'handover import template KIND' and "
    "docs/import.md). A file with any error imports nothing; re-importing changes nothing."
)
CsvFile = Annotated[Path, typer.Argument(help="The CSV file.", metavar="FILE.csv")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Validate and count, write nothing.")]


@contextmanager
def progress_bar(label: str, path: Path) -> Iterator[Callable[[int], None]]:
    """A progress callback: a bar on stderr when it is a terminal, else nothing at all."""
    if not sys.stderr.isatty():
        yield lambda _n: None
        return
    try:
        with path.open("rb") as handle:
            lines = sum(1 for _ in handle)
    except OSError:
        lines = 0
    with typer.progressbar(length=max(1, 2 * lines), label=label, file=sys.stderr) as bar:
        yield bar.update


def run_import(
    kind: str, path: Path, dry_run: bool, json_: bool, secrets: Path | None = None
) -> None:
    from vault.exchange import imports

    with context.registry() as reg, progress_bar(f"importing {kind}", path) as bar:
        try:
            summary = imports.run(
                reg, kind, path, dry_run=dry_run, secrets_path=secrets, progress=bar
            )
        except imports.ImportRejected as rejected:
            for error in rejected.errors[: imports.MAX_ERRORS_SHOWN]:
                typer.echo(str(error), err=True)
            hidden = len(rejected.errors) - imports.MAX_ERRORS_SHOWN
            if hidden > 0:
                typer.echo(f"... and {hidden} more", err=True)
            raise
    if json_:
        output.json_value(summary.to_dict())
        return
    verb = "would import" if summary.dry_run else "imported"
    typer.echo(
        f"{verb} {summary.rows} {kind} rows from {summary.file}: {summary.added} added, "
        f"{summary.updated} updated, {summary.unchanged} unchanged"
        + (f", {summary.secrets} secrets sealed" if summary.secrets else "")
    )


@app.command("accounts")
def accounts(
    path: CsvFile,
    dry_run: DryRun = False,
    secrets: Annotated[
        Path | None,
        typer.Option(
            "--secrets",
            metavar="FILE.csv",
            help="A separate file of platform,handle,password,totp,recovery_codes,notes.",
        ),
    ] = None,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Import accounts (upsert on platform + handle); secrets are sealed on the way in.

    \b
    Examples:
      handover import accounts accounts.csv --dry-run
      handover import accounts accounts.csv --secrets passwords.csv && shred -u passwords.csv
    """
    json_ = context.wants_json(json_, fmt)
    run_import("accounts", path, dry_run, json_, secrets)


@app.command("posts")
def posts(
    path: CsvFile, dry_run: DryRun = False, json_: JsonFlag = False, fmt: FormatOption = None
) -> None:
    """Import posts (upsert on slug).

    \b
    Example:
      handover import posts posts.csv
    """
    json_ = context.wants_json(json_, fmt)
    run_import("posts", path, dry_run, json_)


@app.command("officers")
def officers(
    path: CsvFile, dry_run: DryRun = False, json_: JsonFlag = False, fmt: FormatOption = None
) -> None:
    """Import officers (upsert on service id), and who holds which post from when.

    \b
    Example:
      handover import officers officers.csv
    """
    json_ = context.wants_json(json_, fmt)
    run_import("officers", path, dry_run, json_)


@app.command("groups")
def groups(
    path: CsvFile, dry_run: DryRun = False, json_: JsonFlag = False, fmt: FormatOption = None
) -> None:
    """Import groups (upsert on slug) with their admin posts (separated by ';').

    \b
    Example:
      handover import groups groups.csv
    """
    json_ = context.wants_json(json_, fmt)
    run_import("groups", path, dry_run, json_)


@app.command("template")
def template(
    kind: Annotated[str, typer.Argument(help="posts, officers, accounts, groups or transfers.")],
    out: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write to this file (.csv, or .xlsx for a workbook)."),
    ] = None,
) -> None:
    """Write a template for a kind of record: the header, an example row, and what every column
    accepts (allowed values, date forms). The example and the notes begin with '#', which the
    import skips, so a template filled in and imported as it is adds only your rows.

    \b
    Examples:
      handover import template accounts -o accounts.csv
      handover import template officers -o officers.xlsx
    """
    from vault.exchange import imports

    if out is not None and out.suffix.lower() == ".xlsx":
        sheets = [
            (name, [(c, c) for c in header], [dict(zip(header, row, strict=True)) for row in rows])
            for name, header, rows in imports.template_sheets(kind)
        ]
        context.write_new_file(out, output.xlsx(sheets), exists="choose another -o/--output")
        typer.echo(f"wrote {out}")
        return
    text = imports.template(kind)
    if out is None:
        typer.echo(text, nl=False)
    else:
        context.write_new_file(out, text.encode(), exists="choose another -o/--output")
        typer.echo(f"wrote {out}")
