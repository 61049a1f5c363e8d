"""Output for people and for scripts: tables, JSON and CSV, chosen by one enum.

Lists stream: JSON and CSV are written row by row as the query yields them, so listing 10,000
accounts starts printing at once and never holds every row twice. tabulate is imported here only,
and only for tables.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any, TextIO

Columns = Sequence[tuple[str, str]]
# Joiners that Indic (and Arabic) scripts need inside words: kept there, shown anywhere else.
JOINERS = ("\u200c", "\u200d")
ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _in_a_word_that_needs_it(text: str, at: int) -> bool:
    """A zero-width (non-)joiner between two letters or marks of a script other than Latin."""
    if at == 0 or at + 1 >= len(text):
        return False
    for ch in (text[at - 1], text[at + 1]):
        if unicodedata.category(ch)[0] not in "LM" or unicodedata.name(ch, "").startswith(
            ("LATIN", "CYRILLIC", "GREEK")
        ):
            return False
    return True


def inert(text: str) -> str:
    """Text from others (names, titles, handles, reasons; from cards, packets, spreadsheets),
    made harmless on a terminal, as one line.

    Control characters (C0, C1, DEL) are shown as escapes (``\\x1b``, ``\\n``), and every other
    invisible or direction-changing character (bidi controls, zero-width spaces, byte-order
    marks, any Unicode format character) as ``<U+202E>``: text can then neither move the cursor,
    recolour the screen, reorder what follows, nor pass for another line. Zero-width joiners are
    kept inside words of scripts that need them (Gujarati, Devanagari).
    """
    if text.isprintable():
        return text
    out = []
    for at, ch in enumerate(text):
        if ch.isprintable() or ch == " ":
            out.append(ch)
        elif ch in ESCAPES:
            out.append(ESCAPES[ch])
        elif unicodedata.category(ch) == "Cc":
            out.append(f"\\x{ord(ch):02x}")
        elif ch in JOINERS and _in_a_word_that_needs_it(text, at):
            out.append(ch)
        else:
            out.append(f"<U+{ord(ch):04X}>")
    return "".join(out)


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


# A moment as records carry it: ISO 8601 in UTC. Tables show it in the registry's time zone.
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(\+00:00|Z)")


class _Shown:
    """The display_timezone of the registry at hand, for people: named when the registry is
    opened, loaded when a moment is first shown (most output has none)."""

    name: str | None = None
    _zone: Any = None

    @property
    def zone(self) -> Any:
        if self._zone is None and self.name:
            from zoneinfo import ZoneInfo

            self._zone = ZoneInfo(self.name)
        return self._zone


_shown = _Shown()


def show_times_in(zone_name: str | None) -> None:
    """Show moments in tables in this time zone (the registry's ``display_timezone``)."""
    _shown.name, _shown._zone = zone_name or None, None


def _cell(value: Any, people: bool = False) -> str:
    """One table cell or field, as plain inert text; for ``people``, moments in local time."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v, people) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={_cell(v, people)}" for k, v in value.items())
    if isinstance(value, dt.datetime):
        if people and _shown.name and value.tzinfo is not None:
            local = value.astimezone(_shown.zone)
            return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
        value = value.isoformat()
    text = str(value)
    if people and text[:1].isdigit() and _shown.name and _MOMENT.fullmatch(text):
        local = dt.datetime.fromisoformat(text).astimezone(_shown.zone)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    return inert(text)


def visible_json(encoded: str) -> str:
    """Encoded JSON with every character a terminal would not show as itself (C1 controls,
    DEL, bidi and zero-width characters, line separators) written as a ``\\uXXXX`` escape: the same
    value for a program, inert on a screen. (json escapes C0 controls itself.)"""
    if encoded.isascii() and "\x7f" not in encoded:
        return encoded
    out = []
    for ch in encoded:
        if ch.isprintable() or ch == "\n":  # a newline can only be json's own indentation
            out.append(ch)
        else:
            units = ch.encode("utf-16-be")
            out.extend(f"\\u{units[i] << 8 | units[i + 1]:04x}" for i in range(0, len(units), 2))
    return "".join(out)


def _encoder() -> Any:
    import json

    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    return lambda value: visible_json(encode(value))


def json_value(value: Any) -> None:
    import json

    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(visible_json(text) + "\n")


def json_report(
    head: dict[str, Any], key: str, items: Iterable[str], out: TextIO | None = None
) -> None:
    """A JSON object whose ``key`` holds a long list of objects, each already encoded: the list
    is streamed one item per line, the rest written whole (``indent`` would switch json to its
    slow pure-Python encoder). Written to ``out`` (a download on the web page), else standard
    output."""
    out = out or sys.stdout
    encode = _encoder()
    out.write("{\n")
    for name, value in head.items():
        out.write(f"  {encode(name)}: {encode(value)},\n")
    out.write(f"  {encode(key)}: ")
    json_texts(items, out=out)
    out.write("}\n")


def json_stream(rows: Iterable[dict[str, Any]], out: TextIO | None = None) -> None:
    """A JSON array of ``rows``, one object per line, streamed (to ``out``, else standard
    output)."""
    import json

    json_texts(map(json.JSONEncoder(ensure_ascii=False, default=str).encode, rows), out=out)


def json_texts(encoded: Iterable[str], chunk: int = 500, out: TextIO | None = None) -> None:
    """A JSON array of objects already encoded (by SQLite, for a listing), one per line, made
    visible (:func:`visible_json`) and written in chunks: one write per chunk is several times
    faster than one per row, and memory stays flat."""
    out = out or sys.stdout
    batch: list[str] = []
    started = False
    for text in encoded:
        batch.append(text)
        if len(batch) == chunk:
            out.write(("[\n  " if not started else ",\n  ") + visible_json(",\n  ".join(batch)))
            started, batch = True, []
    if batch:
        out.write(("[\n  " if not started else ",\n  ") + visible_json(",\n  ".join(batch)))
        started = True
    out.write("\n]\n" if started else "[]\n")


# What a spreadsheet would run as a formula (OWASP's CSV injection): a cell that begins with one
# of these. A plain number (a phone number in E.164, +919978400001) and a plain handle (@Name)
# are data: nothing in them can call a function.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN = re.compile(r"[+-]?\d+(\.\d+)?|@\w[\w.]*")


def spreadsheet_safe(text: str) -> str:
    """``text`` as a spreadsheet shows it and never runs it: a leading ``'`` before a formula."""
    if text.startswith(FORMULA_START) and not _PLAIN.fullmatch(text):
        return "'" + text
    return text


def csv_stream(rows: Iterable[dict[str, Any]], columns: Columns, out: TextIO | None = None) -> None:
    """CSV for spreadsheets: every cell inert for a terminal and safe for a spreadsheet."""
    import csv

    writer = csv.writer(out or sys.stdout, lineterminator="\n")
    writer.writerow([key for key, _ in columns])
    for row in rows:
        writer.writerow([spreadsheet_safe(_cell(row.get(key))) for key, _ in columns])


def xlsx(sheets: Iterable[tuple[str, Columns, Iterable[dict[str, Any]]]]) -> bytes:
    """An Excel workbook, one sheet per table; every text cell is written as text, so none is
    ever a formula."""
    import io

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    for name, columns, rows in sheets:
        sheet = book.create_sheet(title=name[:31])
        sheet.append([key for key, _ in columns])
        for row in rows:
            cells = []
            for key, _ in columns:
                value = row.get(key)
                cell = WriteOnlyCell(sheet, value=None if value is None else str(value))
                cell.data_type = "s"
                cells.append(cell)
            sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def width(text: str) -> int:
    """Columns ``text`` takes on a terminal: combining marks and format characters none, wide
    East Asian characters two (Gujarati and Devanagari vowel signs would otherwise push every
    later column out of line)."""
    if text.isascii():
        return len(text)
    return sum(
        0
        if unicodedata.category(ch) in ("Mn", "Me", "Cf")
        else 2
        if unicodedata.east_asian_width(ch) in ("W", "F")
        else 1
        for ch in text
    )


def _table_cell(value: Any) -> str:
    """A table cell for people: :func:`_cell`, with plain text (most cells) decided in C."""
    if type(value) is str and value.isprintable():
        return value
    return _cell(value, people=True)


def table(rows: Iterable[dict[str, Any]], columns: Columns, empty: str = "(none)") -> None:
    """Rows as a plain text table, in tabulate's "simple" layout: a header, a rule, one line per
    row, columns two spaces apart and at least two wider than their heading.

    Drawn here rather than by tabulate, which spends more time deciding what each of 80,000
    cells is than the listing spends reading them: a column of ASCII text is measured and padded
    by one format string per row; tabulate still draws tables whose cells hold several lines."""
    keys = [key for key, _ in columns]
    body = [[_table_cell(row.get(key)) for key in keys] for row in rows]
    if not body:
        sys.stdout.write(empty + "\n")
        return
    heads = [h for _, h in columns]
    if any("\n" in cell for line in body for cell in line):
        from tabulate import tabulate

        sys.stdout.write(
            tabulate(body, headers=heads, tablefmt="simple", disable_numparse=True) + "\n"
        )
        return
    widths, wide = [], []
    for i, (head, column) in enumerate(zip(heads, zip(*body, strict=True), strict=True)):
        plain = "".join(column).isascii()
        widths.append(max(width(head) + 2, *map(len if plain else width, column)))
        if not plain:
            wide.append(i)
    for i in wide:  # pad by display width, then let the format string take the cell as it is
        for cells in (heads, *body):
            cells[i] += " " * (widths[i] - width(cells[i]))
    layout = "  ".join("{}" if i in wide else f"{{:<{w}}}" for i, w in enumerate(widths))
    out = sys.stdout
    out.write(layout.format(*heads).rstrip() + "\n" + "  ".join("-" * w for w in widths) + "\n")
    for start in range(0, len(body), 1000):
        out.write(
            "".join(layout.format(*cells).rstrip() + "\n" for cells in body[start : start + 1000])
        )


def fields(pairs: Iterable[tuple[str, Any]]) -> None:
    """A record shown to a person: one labelled line per field (a value of several lines
    continues under the first)."""
    shown = [(k, _cell(v, people=True)) for k, v in pairs]
    if not shown:
        return
    label = max(width(k) for k, _ in shown) + 2
    for key, value in shown:
        first, *rest = value.split("\n") if value else [""]
        lines = [(key + " " * (label - width(key)) + first).rstrip()]
        lines += [(" " * label + more).rstrip() for more in rest]
        sys.stdout.write("\n".join(lines) + "\n")


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
