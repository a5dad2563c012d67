"""How numbers, units, variances and months are written for people: one set of rules for the
pages, the pack's PDF and the workbook's text cells (the workbook keeps numbers as numbers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

PREFIX_UNITS = frozenset({"€", "$", "£", "¥"})
NO_SPACE_UNITS = frozenset({"%", "pp"})


def decimals_for(value: float) -> int:
    """Enough decimals to tell values apart at their size, no more."""
    size = abs(value)
    if size >= 100:
        return 0
    if size >= 10:
        return 1
    return 2


def fmt_number(value: float | None, decimals: int | None = None) -> str:
    if value is None:
        return "—"
    places = decimals_for(value) if decimals is None else decimals
    text = f"{value:,.{places}f}"
    if places and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace("-", "−") if value < 0 else text


def fmt_value(value: float | None, unit: str, decimals: int | None = None) -> str:
    """A value with its unit: "€310", "2.47%", "70 hours", "—" when there is none."""
    if value is None:
        return "—"
    if decimals is None and unit == "%" and 99 <= abs(value) < 100:
        decimals = 2  # availability: 99.94 % against 99.9 %, not 99.9 % against 99.9 %
    number = fmt_number(value, decimals)
    if not unit:
        return number
    if unit in PREFIX_UNITS:
        return f"−{unit}{number[1:]}" if number.startswith("−") else f"{unit}{number}"
    if unit in NO_SPACE_UNITS:
        return f"{number}{unit}"
    return f"{number} {unit}"


def fmt_run(values: Sequence[float], unit: str) -> str:
    """A run of values with the unit once: "6.45 → 6.74 → 6.91 hours", "€310 → €290"."""
    if unit in PREFIX_UNITS:
        return " → ".join(fmt_value(v, unit) for v in values)
    numbers = " → ".join(fmt_number(v) for v in values)
    if not unit:
        return numbers
    return f"{numbers}{unit}" if unit in NO_SPACE_UNITS else f"{numbers} {unit}"


def fmt_share(fraction: float | None) -> str:
    """A signed percentage: "+15.4 %", "−3 %"."""
    if fraction is None:
        return "—"
    percent = fraction * 100
    places = 2 if abs(percent) < 1 else 1 if abs(percent) < 100 else 0
    text = fmt_number(abs(percent), places)
    sign = "+" if percent > 0 else "−" if percent < 0 else "±"
    return f"{sign}{text} %"


def fmt_variance(fraction: float | None, favourable: bool | None) -> str:
    """A variance with the word that says whether it is good for this KPI: a lower-is-better
    KPI above its target reads "+15.4 % adverse", never a bare "+15 %"."""
    if fraction is None:
        return "—"
    word = "favourable" if favourable else "adverse"
    return f"{fmt_share(fraction)} {word}"


def month_label(month: dt.date) -> str:
    return f"{month:%B %Y}"


def day_label(day: dt.date | dt.datetime) -> str:
    return f"{day.day} {day:%b %Y}"


def moment_label(moment: dt.datetime) -> str:
    return f"{moment.day} {moment:%b %Y, %H:%M %Z}".strip()
