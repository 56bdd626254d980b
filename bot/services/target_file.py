"""Reading a target breakdown (目标分解) from the CSV or XLSX file a company keeps it in: the
rows as text by column, each with the row number a spreadsheet shows."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Final

from openpyxl import load_workbook

COLUMNS: Final = ("department", "member", "kpi", "period", "value")
"""The columns a target file has, in any order, named on its first row."""


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that cannot be imported, and why; row 1 is the header."""

    row: int
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


class TargetFileError(Exception):
    """The file has rows that cannot be imported; nothing of it was stored."""

    def __init__(self, bad: Sequence[BadRow]) -> None:
        super().__init__("; ".join(map(str, bad)))
        self.bad = list(bad)


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the file: its number and its cells as text by column."""

    number: int
    cells: dict[str, str]


def read_rows(path: Path) -> list[Row]:
    """The filled rows of the CSV or (by its suffix) XLSX file at `path`."""
    if path.suffix.lower() == ".xlsx":
        return _rows(_sheet(path))
    with path.open(encoding="utf-8-sig", newline="") as file:
        return _rows(csv.reader(file))


def _sheet(path: Path) -> Iterator[list[str]]:
    """The first sheet's rows as text, as a person reads them in the spreadsheet."""
    book = load_workbook(path, read_only=True, data_only=True)
    try:
        for values in book.worksheets[0].iter_rows(values_only=True):
            yield [_text(value) for value in values]
    finally:
        book.close()


def _text(value: object) -> str:
    """A cell as text: a number without a float's noise, a date cell as its month."""
    if value is None:
        return ""
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    if isinstance(value, date):
        return f"{value:%Y-%m}"
    return str(value)


def _rows(lines: Iterable[list[str]]) -> list[Row]:
    lines = iter(lines)
    header = [name.strip().casefold() for name in next(lines, [])]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise TargetFileError([BadRow(1, f"missing columns: {', '.join(missing)}")])
    index = {name: header.index(name) for name in COLUMNS}
    rows = []
    for number, line in enumerate(lines, start=2):
        cells = {name: line[i].strip() if i < len(line) else "" for name, i in index.items()}
        if any(cells.values()):
            rows.append(Row(number, cells))
    return rows
