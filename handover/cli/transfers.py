"""``handover transfers``: transfer orders, and where each handover they call for stands."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from handover import output
from handover.cli import context
from handover.cli.context import FormatOption, JsonFlag

app = context.sub_app(
    "Transfer orders: which officers move from which post to which, from when; and for each "
    "line, whether the handover is done: packet made, claimed, receipt back, credentials "
    "rotated."
)
COLUMNS = [
    ("order_no", "order"),
    ("officer", "officer"),
    ("from_post", "from"),
    ("to_post", "to"),
    ("effective_date", "effective"),
    ("packet_made", "packet"),
    ("claimed", "claimed"),
    ("receipt_back", "receipt"),
    ("rotated", "rotated"),
    ("state", "state"),
]


@app.command("import")
def import_(
    path: Annotated[
        Path,
        typer.Argument(
            help="order_no, order_date, officer, from_post, to_post, effective_date",
            metavar="ORDER.csv",
        ),
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only.")] = False,
    json_: JsonFlag = False,
    fmt: FormatOption = None,
) -> None:
    """Record a transfer order's lines (officers and posts must be in the registry).

    \b
    Example:
      handover transfers import order-GAD-2026-114.csv
    """
    json_ = context.wants_json(json_, fmt)
    from handover.cli.imports import run_import

    run_import("transfers", path, dry_run, json_)


@app.command("status")
def status(
    order: Annotated[str | None, typer.Option("--order", help="Only this order number.")] = None,
    fmt: FormatOption = None,
    json_: JsonFlag = False,
) -> None:
    """Where each order line's handover stands, and which are overdue.

    \b
    Examples:
      handover transfers status
      handover transfers status --order GAD/2026/114 --format csv
    """
    from vault.records import transfers

    fmt = context.out_format(json_, fmt, csv=True)

    with context.registry() as reg:
        lines = transfers.list_status(reg, order)
    output.rows((line.to_dict() for line in lines), COLUMNS, fmt, empty="(no transfer orders)")
