"""Downloads of what people see — a KPI's values, the exceptions list, the explorer's view — as
CSV and XLSX, and the one rule every spreadsheet cell we write follows.

A text that begins with `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a
formula by Excel, LibreOffice or Google Sheets (CSV injection, OWASP); such a text is written
with a leading apostrophe, which spreadsheets show as text and never evaluate.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def spreadsheet_text(text: str) -> str:
    """`text` as a spreadsheet cell that can only ever be text."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_value(value: Any) -> Any:
    if isinstance(value, str):
        return spreadsheet_text(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return "" if value is None else value


def table_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([spreadsheet_text(h) for h in headers])
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    # With a byte-order mark, Excel opens UTF-8 (accents, CJK) correctly.
    return "\ufeff".encode() + buffer.getvalue().encode()


def table_xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(header) + 6))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=spreadsheet_text(header))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, str):
                cells.append(WriteOnlyCell(sheet, value=spreadsheet_text(value)))
                continue
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, dt.date | dt.datetime):
                cell.number_format = "d mmm yyyy"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def download(
    name: str, fmt: str, title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]
) -> HttpResponse:
    """`rows` as a file download, CSV or XLSX by `fmt`."""
    if fmt == "xlsx":
        body, content_type = table_xlsx(title, headers, rows), XLSX_TYPE
    else:
        body, content_type, fmt = table_csv(headers, rows), "text/csv; charset=utf-8", "csv"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
