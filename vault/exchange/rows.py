"""The parts every CSV import shares: the columns of each kind, a reader that collects every error
against its file, row and column, and bulk writing of the validated rows.

A spreadsheet with an error imports nothing; so readers validate every row first, the importers
raise :class:`ImportRejected` with every error at once, and only then write, in bulk.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import sqlalchemy as sa

from vault.errors import InvalidInputError, VaultError
from vault.model import ContactField, as_dict, slug
from vault.records import contacts
from vault.store import bulk

if TYPE_CHECKING:
    from vault.store.storage import Tx

Progress = Callable[[int], None]

COLUMNS: dict[str, tuple[str, ...]] = {
    "posts": ("slug", "title", "level", "district", "department", "email", "phone"),
    "officers": ("service_id", "name", "grade", "email", "phone", "post", "from"),
    "accounts": (
        "platform", "handle", "url", "post", "kind", "officer", "disclaimer", "login_email",
        "login_phone", "recovery_email", "recovery_phone", "twofa", "twofa_phone",
        "twofa_holder", "verification", "verification_date", "evidence", "allow_personal",
        "password", "totp", "recovery_codes", "notes",
    ),
    "groups": ("slug", "name", "level", "district", "department", "platform", "admins"),
    "transfers": ("order_no", "order_date", "officer", "from_post", "to_post",
                  "effective_date"),
}  # fmt: skip
REQUIRED: dict[str, tuple[str, ...]] = {
    "posts": ("slug", "title", "level"),
    "officers": ("service_id", "name"),
    "accounts": ("platform", "handle"),
    "groups": ("slug", "name", "level"),
    "transfers": ("order_no", "order_date", "officer", "effective_date"),
}
SECRET_COLUMNS = ("password", "totp", "recovery_codes", "notes")
# Taken exactly as typed: spaces at either end of a password are part of it.
EXACT_COLUMNS = ("password", "notes")
CONTACT_FIELDS = tuple(f.value for f in ContactField)
MAX_ERRORS_SHOWN = 200


class RowError(NamedTuple):
    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}" + (f": {self.column}" if self.column else "")
        return f"{where}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


class ImportRejected(VaultError):
    """The file has errors; nothing was imported. ``errors`` lists every one."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} error(s) in {errors[0].file}; nothing was imported")
        self.errors = errors


class Summary(NamedTuple):
    kind: str
    file: str
    rows: int
    added: int
    updated: int
    unchanged: int
    secrets: int
    dry_run: bool

    def to_dict(self) -> dict[str, Any]:
        return as_dict(self)


# One example row per kind, as a spreadsheet shows it. Its first cell starts with '#', like the
# notes below it, so that a template imported as it is imports nothing.
EXAMPLES: dict[str, tuple[str, ...]] = {
    "posts": ("collector-ahmedabad", "Collector, Ahmedabad", "district", "Ahmedabad", "Revenue",
              "collector.ahd@gujarat.gov.in", "+919978400001"),
    "officers": ("ias-0042", "Asha Mehta", "super time scale", "asha.mehta@gujarat.gov.in",
                 "+919978400142", "collector-ahmedabad", "01/06/2024"),
    "accounts": ("x", "@CollectorAhd", "https://x.com/CollectorAhd", "collector-ahmedabad",
                 "official", "", "", "collector.ahd@gujarat.gov.in", "+919978400001", "", "",
                 "totp", "", "", "verified", "15/03/2025", "badge since the letter of 15/03/2025",
                 "", "", "", "", ""),
    "groups": ("ahd-district", "Ahmedabad district officers", "district", "Ahmedabad", "",
               "whatsapp", "collector-ahmedabad;dio-ahmedabad"),
    "transfers": ("GAD/2026/114", "20/11/2026", "ias-0042", "collector-ahmedabad", "",
                  "15/12/2026"),
}  # fmt: skip
DATES = "a date: 31/01/2026 (day first) or 2026-01-31"
PHONE = "+919978400001, or 99784 00001 (a mobile for a post)"


def allowed_values(kind: str) -> list[tuple[str, str]]:
    """What each column of ``kind`` accepts, for the notes of a template."""
    from vault.model import AccountKind, Level, Platform, Status, TwoFactor

    def each(enum: Any) -> str:
        return ", ".join(e.value for e in enum)

    notes = {
        "level": each(Level),
        "platform": each(Platform),
        "kind": each(AccountKind),
        "twofa": each(TwoFactor),
        "verification": each(Status),
        "from": DATES,
        "verification_date": DATES,
        "order_date": DATES,
        "effective_date": DATES,
        "phone": PHONE,
        "login_phone": PHONE,
        "recovery_phone": PHONE,
        "twofa_phone": PHONE + "; SMS codes go there: a mobile",
        "email": "an address on an official domain (handover config domains list)",
        "disclaimer": "yes or no (personal accounts)",
        "allow_personal": "why a non-official contact is accepted, if one is",
        "admins": "post slugs, separated by ;",
        "evidence": "what shows the verification (a letter, the badge, a URL)",
        "password": "exactly as typed (spaces count); better in a separate --secrets file",
        "totp": "the base32 seed or the otpauth:// link",
        "recovery_codes": "separated by ;",
    }
    required = REQUIRED[kind]
    return [
        (column, ("required; " if column in required else "") + notes.get(column, "text"))
        for column in COLUMNS[kind]
    ]


def template_sheets(kind: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """A template as a workbook: the kind's sheet (header and example row), and a sheet of what
    every column accepts."""
    template(kind)  # the same check of the kind
    example = list(EXAMPLES[kind])
    return [
        (kind, list(COLUMNS[kind]), [["#" + example[0], *example[1:]]]),
        ("allowed values", ["column", "accepts"], [list(n) for n in allowed_values(kind)]),
    ]


def template(kind: str) -> str:
    """A CSV template: the header, an example row and notes on every column, both skipped
    by the import (their first cell starts with '#')."""
    if kind not in COLUMNS:
        raise InvalidInputError(f"unknown kind {kind!r}: choose {', '.join(COLUMNS)}")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS[kind])
    example = list(EXAMPLES[kind])
    writer.writerow(["#" + example[0], *example[1:]])
    writer.writerow(["# rows whose first cell starts with # are not imported; the columns:"])
    for column, note in allowed_values(kind):
        writer.writerow([f"# {column}: {note}"])
    return out.getvalue()


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time, each with its end: what ``csv`` reads, without a
    second copy of the file (``io.StringIO`` holds four bytes a character: 70 MB for 100,000
    accounts)."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        end = size if end < 0 else end + 1
        yield text[start:end]
        start = end


@dataclass
class RowReader:
    """The rows of one CSV file, with errors collected against row and column."""

    name: str
    kind: str
    errors: list[RowError] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)

    def error(self, row: int, column: str, reason: str) -> None:
        self.errors.append(RowError(self.name, row, column, reason))

    def rows(self, text: Iterable[str]) -> Iterator[tuple[int, dict[str, str]]]:
        """The data rows as (row number, cells by column); a blank row is skipped.

        Cells are trimmed, except secrets, which are taken exactly as typed (a password may
        begin or end with a space). A cell with a NUL character, a cell over 128 KiB or a row
        the CSV reader cannot read is an error against its row.
        """
        reader = csv.reader(_lines(text) if isinstance(text, str) else iter(text))
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            self.error(1, "", "the file is empty")
            return
        except csv.Error as exc:
            self.error(1, "", _csv_reason(exc))
            return
        known = COLUMNS[self.kind]
        for column in header:
            if column not in known:
                self.error(1, column, f"unknown column; the columns are: {', '.join(known)}")
        for column in REQUIRED[self.kind]:
            if column not in header:
                self.error(1, column, "required column is missing")
        if self.errors:
            return
        # The columns taken exactly as typed, each at its (last) place in the header.
        exact = {column: i for i, column in enumerate(header) if column in EXACT_COLUMNS}
        number = 1
        while True:
            number += 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                self.error(number, "", _csv_reason(exc))
                return
            if not any(v.strip() for v in values) or values[0].lstrip().startswith("#"):
                continue  # a blank row, or the template's example and notes
            if len(values) != len(header):
                self.error(number, "", f"has {len(values)} fields, the header has {len(header)}")
                continue
            joined = "".join(values)  # one search of the row for what a cell rarely holds
            if "\x00" in joined:
                for column, cell in zip(header, values, strict=True):
                    if "\x00" in cell:
                        self.error(number, column, "holds a NUL character")
            if "'" in joined:
                # A cell an export made inert for spreadsheets ('=...) reads as it was.
                values = [
                    cell[1:] if cell[:1] == "'" and cell[1:].startswith(FORMULA_START) else cell
                    for cell in values
                ]
            row = dict(zip(header, map(str.strip, values), strict=False))  # lengths checked
            for column, i in exact.items():
                row[column] = values[i]
            yield number, row

    def unique(self, number: int, column: str, raw: str, what: str) -> str | None:
        """The row's identifier (a slug), or ``None`` when it is malformed or repeats an
        earlier row's; either is recorded as an error."""
        key: str | None = self.value(number, column, lambda v: slug(v, what), raw)
        if key is None:
            return None
        if key in self.seen:
            self.error(number, column, f"duplicate of row {self.seen[key]}")
            return None
        self.seen[key] = number
        return key

    def required(self, number: int, column: str, raw: str, reason: str) -> str | None:
        """``raw``, or ``None`` with ``reason`` recorded when it is empty."""
        if not raw:
            self.error(number, column, reason)
            return None
        return raw

    def value(self, number: int, column: str, parse: Callable[[str], Any], raw: str) -> Any:
        """``parse(raw)``, or ``None`` with an error recorded against the cell."""
        try:
            return parse(raw)
        except VaultError as exc:
            self.error(number, column, exc.message)
        except ValueError as exc:
            self.error(number, column, str(exc))
        return None


def _csv_reason(exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return f"a cell is larger than {csv.field_size_limit() // 1024} KiB"
    return f"cannot be read as CSV ({exc})"


# What an export prefixes with ' so that a spreadsheet does not run it (handover.output).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


class Sheet:
    """The text of an imported file and its SHA-256, for the log.

    A CSV file is read a line at a time as the rows are validated, never held whole (at 100,000
    accounts the file would be 17 MB of the import's memory); its digest covers every byte read,
    and the rest of the file when the rows stop early. A workbook's first sheet is made CSV text
    first, in memory, as the workbook library reads it.
    """

    def __init__(self, path: Path, name: str, text: str | None = None) -> None:
        self.path, self.name, self.text = path, name, text
        self._hash = hashlib.sha256()
        self._file: Any = None

    def __iter__(self) -> Iterator[str]:
        if self.text is not None:
            yield from _lines(self.text)
            return
        try:
            self._file = self.path.open("rb")
        except OSError as exc:
            raise InvalidInputError(f"cannot read {self.path}: {exc.strerror}") from None
        with self._file:
            for number, raw in enumerate(self._file, start=1):
                self._hash.update(raw)
                try:
                    line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError:
                    raise InvalidInputError(
                        f"{self.name}:{number}: is not UTF-8 text (save the sheet as CSV UTF-8)"
                    ) from None
                yield line

    def digest(self) -> str:
        """The file's SHA-256 (the rows must have been read: it is worked out as they are)."""
        if self._file is not None and not self._file.closed:
            for rest in self._file:
                self._hash.update(rest)
        return self._hash.hexdigest()


def read_table_file(path: Path) -> Sheet:
    """A spreadsheet's first sheet or a CSV file, named as its errors are reported
    (``accounts.xlsx:Sheet1`` for a workbook)."""
    if path.suffix.lower() not in SHEET_SUFFIXES:
        if not path.is_file():
            why = "not a file" if path.exists() else "no such file"
            raise InvalidInputError(f"cannot read {path}: {why}")
        return Sheet(path, path.name)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read {path}: {exc.strerror}") from None
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = book.sheet_names[0]
        cells = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:
        raise InvalidInputError(
            f"{path.name} cannot be read as a workbook ({type(exc).__name__})"
        ) from None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in cells:
        writer.writerow([_cell_text(v) for v in row])
    found = Sheet(path, f"{path.name}:{sheet}", out.getvalue())
    found._hash.update(data)
    return found


def _cell_text(value: Any) -> str:
    """A workbook cell as the CSV text a person would have typed: 919978400001, not
    919978400001.0; a date as 2026-01-31."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("yes", "y", "true", "1"):
        return True
    if value in ("no", "n", "false", "0"):
        return False
    raise InvalidInputError(f"{raw!r} is not yes or no")


def optional_email(raw: str) -> str | None:
    return contacts.normalise_email(raw) if raw else None


def optional_phone(region: str, *, mobile: bool = False) -> Callable[[str], str | None]:
    return lambda raw: contacts.normalise_phone(raw, region, mobile=mobile) if raw else None


def reject_if_errors(reader: RowReader) -> None:
    if reader.errors:
        raise ImportRejected(reader.errors)


def changed_fields(existing: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if getattr(existing, k) != v}


def merged_row(existing: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {**{k: getattr(existing, k) for k in values}, **values}


def write_rows(
    tx: Tx,
    table: sa.Table,
    inserts: list[dict[str, Any]],
    updates: list[dict[str, Any]],
    columns: tuple[str, ...],
    progress: Progress | None,
) -> None:
    """One INSERT and one UPDATE statement for the whole file, in chunks for the progress bar."""
    chunk = 5000
    for start in range(0, len(inserts), chunk):
        bulk.insert_dicts(tx.conn, table, inserts[start : start + chunk])
        if progress:
            progress(len(inserts[start : start + chunk]))
    if updates:
        statement = (
            table.update()
            .where(table.c.id == sa.bindparam("_id"))
            .values({c: sa.bindparam(c) for c in columns if c in updates[0]})
        )
        for start in range(0, len(updates), chunk):
            tx.conn.execute(statement, updates[start : start + chunk])
            if progress:
                progress(len(updates[start : start + chunk]))
