"""The pack's workbook: the same snapshot as the PDF, with numbers stored as numbers (formatted,
units in the headers), dates as dates, frozen header rows, filters and sensible widths.

Every text cell goes through `spreadsheet_text`, so a KPI name, a commentary or a note that
begins like a formula is stored as text and can never run in the CFO's spreadsheet.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from reviews.exports import spreadsheet_text

HEADER_FONT = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
PERCENT = "0.0%"
DATE = "d mmm yyyy"


def number_format(unit: str) -> str:
    """A number format that shows the unit with the number (the value stays a number)."""
    base = "#,##0.00"
    if not unit:
        return base
    if unit == "%":
        return f'{base}"%"'
    if unit in {"€", "$", "£", "¥"}:
        return f'"{unit}"{base}'
    return f'{base}" {unit.replace(chr(34), "")}"'


class Sheet:
    """A write-only sheet with a header row: frozen, filtered, columns sized to the header."""

    def __init__(self, book: Workbook, title: str, columns: Sequence[tuple[str, float]]):
        self.ws: WriteOnlyWorksheet = book.create_sheet(title=spreadsheet_title(title))
        for index, (_, width) in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.ws.freeze_panes = "A2"
        self.columns = len(columns)
        self.rows = 0
        header = []
        for name, _ in columns:
            cell = WriteOnlyCell(self.ws, value=spreadsheet_text(name))
            cell.font = HEADER_FONT
            header.append(cell)
        self.ws.append(header)

    def add(self, values: Iterable[Any], formats: Sequence[str | None] = ()) -> None:
        row = []
        for index, value in enumerate(values):
            fmt = formats[index] if index < len(formats) else None
            row.append(self.cell(value, fmt))
        self.ws.append(row)
        self.rows += 1

    def cell(self, value: Any, fmt: str | None) -> WriteOnlyCell:
        if isinstance(value, str):
            cell = WriteOnlyCell(self.ws, value=spreadsheet_text(value))
            if "\n" in value or len(value) > 60:
                cell.alignment = WRAP
            return cell
        cell = WriteOnlyCell(self.ws, value=value)
        if isinstance(value, dt.datetime | dt.date):
            cell.number_format = DATE
        elif fmt and isinstance(value, int | float) and not isinstance(value, bool):
            cell.number_format = fmt
        return cell

    def close(self) -> None:
        last = get_column_letter(self.columns)
        self.ws.auto_filter.ref = f"A1:{last}{self.rows + 1}"


def spreadsheet_title(title: str) -> str:
    """A sheet title Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip() or "Sheet"
    return cleaned[:31]


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


KPI_COLUMNS = [
    ("KPI", 36),
    ("Unit", 8),
    ("Lead/lag", 8),
    ("Key", 6),
    ("Direction", 16),
    ("Owner", 18),
    ("Period", 12),
    ("Actual", 13),
    ("Target", 13),
    ("Variance", 10),
    ("Favourable", 11),
    ("Status", 11),
    ("Prior period", 13),
    ("Same period last year", 13),
    ("YTD", 13),
    ("YTD target", 13),
    ("YTD status", 11),
    ("Full-year outlook", 14),
    ("Full-year target", 14),
    ("Trend", 11),
    ("Confidence", 12),
]


def _kpi_values(row: dict) -> tuple[list[Any], list[str | None]]:
    fmt = number_format(row["unit"])
    month, outlook = row["month"], row["outlook"] or {}
    favourable = month["favourable"]
    values = [
        row["name"],
        row["unit"],
        row["kind_label"],
        "Yes" if row["is_key"] else "No",
        row["direction_label"],
        row["owner"],
        row["period_label"],
        month["value"],
        month["target"],
        month["variance"],
        "" if favourable is None else ("Yes" if favourable else "No"),
        month["rag_label"],
        row["prior"]["value"],
        row["last_year"]["value"],
        row["ytd"]["value"],
        row["ytd"]["target"],
        row["ytd"]["rag_label"],
        outlook.get("value"),
        outlook.get("target"),
        row["trend"],
        month["confidence_label"],
    ]
    none: list[str | None] = [None]
    formats = none * 7 + [fmt, fmt, PERCENT, None, None]
    formats += [fmt, fmt, fmt, fmt, None, fmt, fmt, None, None]
    return values, formats


def render_xlsx(data: dict[str, Any], meta: dict[str, Any]) -> bytes:
    book = Workbook(write_only=True)
    summary = Sheet(book, "Summary", [("Item", 34), ("Value", 60)])
    for label, value in [
        ("Organisation", data["org"]["name"]),
        ("Month", _date(data["month"])),
        ("Fiscal year", data["fiscal_year"]["label"]),
        ("Version", meta["version"]),
        ("Generated by", meta["generated_by"]),
        ("Generated at", meta["generated_at"]),
        ("Data as of", meta["data_as_of"]),
        ("As presented", meta.get("stamp") or "Not presented"),
        ("KPIs", data["kpi_count"]),
        ("On target", data["totals"]["green"]),
        ("At risk", data["totals"]["amber"]),
        ("Off target", data["totals"]["red"]),
        ("No data", data["totals"]["none"]),
    ]:
        summary.add([label, value], [None, "0"])
    for perspective in data["summary"]:
        counts = perspective["counts"]
        summary.add(
            [
                f"{perspective['label']}",
                f"{counts['green']} on target, {counts['amber']} at risk, "
                f"{counts['red']} off target, {counts['none']} no data",
            ]
        )
        for sentence in perspective["narrative"]:
            summary.add([f"{perspective['label']} narrative", sentence])
    summary.close()

    rows_by_perspective: dict[str, list[dict]] = {}
    for section in data["sections"]:
        rows_by_perspective.setdefault(section["perspective_label"], []).extend(section["kpis"])
    if data["unaligned"]:
        rows_by_perspective["Not in the cascade"] = data["unaligned"]
    for label, rows in rows_by_perspective.items():
        sheet = Sheet(book, label, KPI_COLUMNS)
        for row in rows:
            sheet.add(*_kpi_values(row))
        sheet.close()

    all_rows = [row for rows in rows_by_perspective.values() for row in rows]
    commentary = Sheet(
        book,
        "Commentary",
        [("KPI", 36), ("Status", 11), ("Analysis", 60), ("Next step", 60), ("Author", 18)],
    )
    for row in all_rows:
        if row["commentary"] or row["needs_commentary"]:
            words = row["commentary"] or {}
            commentary.add(
                [
                    row["name"],
                    row["month"]["rag_label"],
                    words.get("analysis", "Not written"),
                    words.get("next_step", ""),
                    words.get("author", row["owner"]),
                ]
            )
    commentary.close()

    actions = Sheet(
        book,
        "Actions",
        [
            ("Meeting", 34),
            ("Held on", 12),
            ("Kind", 10),
            ("Text", 60),
            ("Owner", 18),
            ("Due", 12),
            ("KPI", 30),
        ],
    )
    for meeting in data["meetings"]:
        held = _date(meeting["held_on"])
        for text in meeting["decisions"]:
            actions.add([meeting["title"], held, "Decision", text, "", None, ""])
        for action in meeting["actions"]:
            actions.add(
                [
                    meeting["title"],
                    held,
                    "Action",
                    action["title"],
                    action["owner"],
                    _date(action["due"]),
                    action["kpi"],
                ]
            )
    for name in data["red_without_action"]:
        actions.add(["", None, "Flag", "Off target with no open action", "", None, name])
    actions.close()

    moved = Sheet(
        book,
        "Targets moved",
        [
            ("KPI", 36),
            ("Target period", 28),
            ("Change", 10),
            ("From", 12),
            ("To", 12),
            ("By", 18),
            ("On", 12),
        ],
    )
    for change in data["moved_targets"]:
        moved.add(
            [
                change["kpi"],
                change["period"],
                change["action"],
                change["from"],
                change["to"],
                change["who"],
                dt.datetime.fromisoformat(change["when"]).date(),
            ]
        )
    moved.close()

    raw = Sheet(
        book,
        "Values",
        [
            ("KPI", 36),
            ("Key", 20),
            ("Unit", 8),
            ("Period date", 13),
            ("Value", 13),
            ("Confidence", 12),
        ],
    )
    for row in all_rows:
        fmt = number_format(row["unit"])
        for day, value, confidence in row["values"]:
            raw.add(
                [row["name"], row["key"], row["unit"], _date(day), value, confidence],
                [None, None, None, None, fmt, None],
            )
    raw.close()

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
