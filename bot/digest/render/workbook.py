"""Sheets of typed values written as an XLSX workbook with XlsxWriter, in its default mode:
the cells are kept until the file is written, and each different text is stored once (a
department's names, labels and answers repeat from row to row). A digest of 10,000 members is
written in under half of openpyxl's time; XlsxWriter's constant-memory mode writes each text
in its row again and is slower here (bench/export_writers.py, docs/benchmarks.md).

Numbers are stored as numbers, percentages as real percentages and times as Excel date-times
in the reader's time zone; a missing value is an empty cell, never zero; text is always text,
never taken as a formula. Headings are bold on a light fill with the first row and column
frozen, and each column is as wide as its widest value, up to a limit past which text wraps.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from xlsxwriter import Workbook
from xlsxwriter.worksheet import Worksheet

from bot.wording.text import width

SHEET_TITLE_LIMIT: Final = 31
"""Excel's limit on the length of a sheet name."""
WIDTH_LIMIT: Final = 60
"""Widest column, in characters; longer text wraps."""
WIDTH_SAMPLE: Final = 500
"""Rows looked at to size a column: enough to see its typical width, cheap for any size."""
PIXELS_PER_CHARACTER: Final = 7
"""A digit of Excel's default font (Calibri 11): a width set in pixels is stored as it is,
where one in characters would get the cell's padding added."""
HEADING_FILL: Final = "#F4F6F9"
INTEGER: Final = "#,##0"
DECIMAL: Final = "#,##0.00"
PERCENT: Final = "0%"
CHANGE: Final = "+0%;-0%;0%"
TIME: Final = "yyyy-mm-dd hh:mm"
ILLEGAL_CHARACTERS: Final = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
"""The control characters a worksheet cannot hold (tab and line breaks it can)."""


@dataclass(frozen=True)
class Percent:
    """A ratio shown as a percentage (0.91 is 91%); `signed` ones show their sign (环比)."""

    ratio: Decimal
    signed: bool = False


Value = str | int | Decimal | datetime | Percent | None
"""What a cell of a sheet holds."""


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title, a heading row (or none) and rows of typed values."""

    title: str
    headings: tuple[str, ...]
    rows: Sequence[Sequence[Value]]


def percent(ratio: Decimal | None) -> Percent | None:
    """`ratio` as a percentage cell; an empty cell when missing."""
    return None if ratio is None else Percent(ratio)


def workbook(zone: ZoneInfo, sheets: Iterable[Sheet]) -> bytes:
    """The `sheets` as an XLSX file; times are shown in time zone `zone`."""
    out = io.BytesIO()
    book = Workbook(out)
    write_sheets(book, zone, sheets)
    book.close()
    return out.getvalue()


def write_sheets(book: Workbook, zone: ZoneInfo, sheets: Iterable[Sheet]) -> None:
    """Add the `sheets` to `book`, rows in order (as XlsxWriter's constant-memory mode needs
    them too)."""
    formats = _Formats(book)
    titles: set[str] = set()
    for sheet in sheets:
        title = sheet_title(sheet.title, titles)
        titles.add(title.casefold())
        _write(book.add_worksheet(title), sheet, zone, formats)


class _Formats:
    """The workbook's cell formats, each added once."""

    def __init__(self, book: Workbook) -> None:
        wrap = {"valign": "top", "text_wrap": True}
        fill = {"pattern": 1, "bg_color": HEADING_FILL}
        self.heading = book.add_format({"bold": True, **fill, **wrap})
        self.wrap = book.add_format(wrap)
        self.integer, self.decimal, self.percent, self.change, self.time = (
            book.add_format({"num_format": number_format})
            for number_format in (INTEGER, DECIMAL, PERCENT, CHANGE, TIME)
        )


def _write(ws: Worksheet, sheet: Sheet, zone: ZoneInfo, formats: _Formats) -> None:
    """The column widths, the headings (frozen with the first column), then row after row."""
    for index, columns in enumerate(column_widths(sheet)):
        ws.set_column_pixels(index, index, columns * PIXELS_PER_CHARACTER)
    first = 0
    if sheet.headings:
        ws.freeze_panes(1, 1)
        for column, heading in enumerate(sheet.headings):
            ws.write_string(0, column, clean(heading), formats.heading)
        first = 1
    for number, row in enumerate(sheet.rows, first):
        for column, value in enumerate(row):
            if value is not None:
                _cell(ws, number, column, value, zone, formats)


def _cell(
    ws: Worksheet, row: int, column: int, value: Value, zone: ZoneInfo, formats: _Formats
) -> None:
    """One value as Excel should take it: a number with its format, a date-time, or text
    (wrapped when it is long or has several lines)."""
    if isinstance(value, int):
        ws.write_number(row, column, value)
    elif isinstance(value, Percent):
        ws.write_number(
            row, column, float(value.ratio), formats.change if value.signed else formats.percent
        )
    elif isinstance(value, Decimal):
        if value == value.to_integral_value():
            ws.write_number(row, column, int(value), formats.integer)
        else:
            ws.write_number(row, column, float(value), formats.decimal)
    elif isinstance(value, datetime):
        ws.write_datetime(row, column, value.astimezone(zone).replace(tzinfo=None), formats.time)
    elif isinstance(value, str):
        text = clean(value)
        wraps = len(text) > WIDTH_LIMIT or "\n" in text
        ws.write_string(row, column, text, formats.wrap if wraps else None)


def sheet_title(wanted: str, taken: set[str]) -> str:
    """`wanted` as Excel allows it: no ``[]:*?/\\``, at most 31 characters, unique among the
    casefolded titles `taken`."""
    base = " ".join(re.sub(r"[\[\]:*?/\\]", " ", clean(wanted)).split()).strip("'") or "-"
    title, n = base[:SHEET_TITLE_LIMIT], 1
    while title.casefold() in taken:
        n += 1
        suffix = f" ({n})"
        title = base[: SHEET_TITLE_LIMIT - len(suffix)] + suffix
    return title


def column_widths(sheet: Sheet) -> list[int]:
    """Each column's width in characters: its widest value among the headings and the first
    WIDTH_SAMPLE rows, with a margin, at most WIDTH_LIMIT."""
    sample = [sheet.headings, *sheet.rows[:WIDTH_SAMPLE]]
    columns = max((len(row) for row in sample), default=0)
    widest = (
        max((_width(row[index]) for row in sample if index < len(row)), default=0)
        for index in range(columns)
    )
    return [min(columns + 2, WIDTH_LIMIT) for columns in widest]


def clean(text: str) -> str:
    """`text` without the control characters a worksheet cannot hold."""
    return ILLEGAL_CHARACTERS.sub("", text)


def _width(value: Value) -> int:
    """Columns `value` takes when shown: wide (CJK) characters take two."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, Percent):
        return 6
    if isinstance(value, int | Decimal):
        return len(f"{value:,.2f}")
    text = max(value.splitlines() or [""], key=len)
    return width(text)
