"""Output for people and for scripts: tables, JSON and CSV, chosen by one enum.

Lists stream: JSON and CSV are written row by row as the query yields them, so listing 10,000
accounts starts printing at once and never holds every row twice. tabulate is imported here only,
and only for tables.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

Columns = Sequence[tuple[str, str]]


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return str(value)


def json_value(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def json_report(head: dict[str, Any], key: str, items: Iterable[dict[str, Any]]) -> None:
    """A JSON object whose ``key`` holds a long list: the list is streamed one item per line,
    the rest written whole (``indent`` would switch json to its slow pure-Python encoder)."""
    out = sys.stdout
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    out.write("{\n")
    for name, value in head.items():
        out.write(f"  {encode(name)}: {encode(value)},\n")
    out.write(f"  {encode(key)}: ")
    json_stream(items)
    out.write("}\n")


def json_stream(rows: Iterable[dict[str, Any]], chunk: int = 500) -> None:
    """A JSON array, one object per line, written in chunks: one encoder call per chunk is
    several times faster than one per row, and memory stays flat."""
    out = sys.stdout
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    batch: list[str] = []
    started = False
    for row in rows:
        batch.append(encode(row))
        if len(batch) == chunk:
            out.write(("[\n  " if not started else ",\n  ") + ",\n  ".join(batch))
            started, batch = True, []
    if batch:
        out.write(("[\n  " if not started else ",\n  ") + ",\n  ".join(batch))
        started = True
    out.write("\n]\n" if started else "[]\n")


def csv_stream(rows: Iterable[dict[str, Any]], columns: Columns) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow([key for key, _ in columns])
    for row in rows:
        writer.writerow([_cell(row.get(key)) for key, _ in columns])


def table(rows: Iterable[dict[str, Any]], columns: Columns, empty: str = "(none)") -> None:
    from tabulate import tabulate

    body = [[_cell(row.get(key)) for key, _ in columns] for row in rows]
    if not body:
        sys.stdout.write(empty + "\n")
        return
    sys.stdout.write(
        tabulate(body, headers=[h for _, h in columns], tablefmt="simple", disable_numparse=True)
        + "\n"
    )


def fields(pairs: Iterable[tuple[str, Any]]) -> None:
    """A record shown to a person: one labelled line per field."""
    from tabulate import tabulate

    sys.stdout.write(
        tabulate([[k, _cell(v)] for k, v in pairs], tablefmt="plain", disable_numparse=True) + "\n"
    )


def rows(
    items: Iterable[dict[str, Any]], columns: Columns, fmt: Format, empty: str = "(none)"
) -> None:
    """A list in the chosen format."""
    if fmt is Format.JSON:
        json_stream(items)
    elif fmt is Format.CSV:
        csv_stream(items, columns)
    else:
        table(items, columns, empty)
