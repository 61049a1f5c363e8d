"""How an imported CSV row's cells are read: trimmed, except secrets; an export's inert formula
reads as it was; a NUL is an error against its cell."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from vault.exchange.rows import EXACT_COLUMNS, FORMULA_START, RowReader

HEADER = ["platform", "handle", "password", "notes", "login_email"]


def _csv(*rows: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([HEADER, *rows])
    return out.getvalue()


def _read(text: str) -> tuple[list[tuple[int, dict[str, str]]], RowReader]:
    reader = RowReader("accounts.csv", "accounts")
    return list(reader.rows(text)), reader


def test_cells_are_trimmed_except_secrets_and_formulas_read_as_they_were() -> None:
    rows, reader = _read(_csv(["x", "  @Ahd ", "  pass word  ", " a note ", "'=HYPERLINK(1)"]))
    assert not reader.errors
    assert rows == [
        (
            2,
            {
                "platform": "x",
                "handle": "@Ahd",
                "password": "  pass word  ",
                "notes": " a note ",
                "login_email": "=HYPERLINK(1)",
            },
        )
    ]


def test_a_nul_is_an_error_against_its_cell() -> None:
    _rows, reader = _read(_csv(["x", "@a", "", "", ""], ["x", "@b\x00", "p\x00", "", ""]))
    assert [(e.row, e.column) for e in reader.errors] == [(3, "handle"), (3, "password")]


CELL = st.text(alphabet=st.sampled_from(" \t'=+-@xa,\"\n"), max_size=6)


@given(st.lists(CELL, min_size=len(HEADER), max_size=len(HEADER)))
def test_each_cell_as_defined(cells: list[str]) -> None:
    rows, _reader = _read(_csv(cells))
    if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
        assert rows == []
        return
    expected = {}
    for column, cell in zip(HEADER, cells, strict=True):
        value = cell[1:] if cell[:1] == "'" and cell[1:].startswith(FORMULA_START) else cell
        expected[column] = value if column in EXACT_COLUMNS else value.strip()
    assert rows == [(2, expected)]
