"""`{{ value|kpi_value:kpi.unit }}`: a KPI's number with its unit, written as every page and the
pack write it (metrics.formats)."""

from __future__ import annotations

import datetime as dt

from django import template

from metrics.formats import day_label, fmt_value

register = template.Library()


@register.filter
def kpi_value(value: float | None, unit: str = "") -> str:
    return fmt_value(value, unit or "")


@register.filter
def iso_day(value: str) -> str:
    """A date stored as ISO text (a meeting's agenda) in the pages' one format, "15 Oct 2026"."""
    try:
        return day_label(dt.date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)
