"""The workbook as /export wrote it with openpyxl (write-only mode) before XlsxWriter: the
reference that bench/export_writers.py measures the product's writer against, and that
tests/test_digest_xlsx.py compares its cells with."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.digest.render.workbook import (
    CHANGE,
    DECIMAL,
    HEADING_FILL,
    INTEGER,
    PERCENT,
    TIME,
    WIDTH_LIMIT,
    Percent,
    Sheet,
    Value,
    clean,
    column_widths,
    sheet_title,
)

WRAP: Final = Alignment(vertical="top", wrap_text=True)
HEADING_FONT: Final = Font(bold=True)
HEADING: Final = PatternFill("solid", fgColor=HEADING_FILL.lstrip("#"))


def openpyxl_workbook(zone: ZoneInfo, sheets: Iterable[Sheet]) -> bytes:
    """The `sheets` as an XLSX file written by openpyxl; times are shown in time zone `zone`."""
    book = Workbook(write_only=True)
    titles: set[str] = set()
    for sheet in sheets:
        title = sheet_title(sheet.title, titles)
        titles.add(title.casefold())
        _write(book.create_sheet(title), sheet, zone)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write(ws: WriteOnlyWorksheet, sheet: Sheet, zone: ZoneInfo) -> None:
    """Column widths first (write-only sheets need them before any row), then the rows."""
    for index, width in enumerate(column_widths(sheet)):
        dimension = ws.column_dimensions[get_column_letter(index + 1)]  # type: ignore[attr-defined]
        dimension.width = width
    if sheet.headings:
        ws.freeze_panes = "B2"
        ws.append([_heading_cell(ws, heading) for heading in sheet.headings])
    for row in sheet.rows:
        ws.append([_cell(ws, value, zone) for value in row])


def _cell(ws: WriteOnlyWorksheet, value: Value, zone: ZoneInfo) -> Cell | str | int | None:
    """A plain value where Excel takes it as it is, otherwise a styled cell."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, Percent):
        return _styled(ws, float(value.ratio), CHANGE if value.signed else PERCENT)
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return _styled(ws, int(value), INTEGER)
        return _styled(ws, float(value), DECIMAL)
    if isinstance(value, datetime):
        local = value.astimezone(zone).replace(tzinfo=None)
        return _styled(ws, local, TIME)
    text = clean(value)
    if len(text) > WIDTH_LIMIT or "\n" in text or text.startswith("=") or text in ERROR_CODES:
        cell = _styled(ws, text, alignment=WRAP)
        cell.data_type = "s"  # shown as written, never taken as a formula
        return cell
    return text


def _styled(
    ws: WriteOnlyWorksheet,
    value: str | float | datetime,
    number_format: str | None = None,
    alignment: Alignment | None = None,
) -> Cell:
    """A cell with its number format or alignment (set directly: named styles cost more)."""
    cell = WriteOnlyCell(ws, value)
    if number_format is not None:
        cell.number_format = number_format
    if alignment is not None:
        cell.alignment = alignment
    return cell


def _heading_cell(ws: WriteOnlyWorksheet, heading: str) -> Cell:
    cell = _styled(ws, clean(heading), alignment=WRAP)
    cell.font, cell.fill = HEADING_FONT, HEADING
    return cell
