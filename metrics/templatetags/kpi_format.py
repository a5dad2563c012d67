"""`{{ value|kpi_value:kpi.unit }}`: a KPI's number with its unit, written as every page and the
pack write it (metrics.formats)."""

from __future__ import annotations

from django import template

from metrics.formats import fmt_value

register = template.Library()


@register.filter
def kpi_value(value: float | None, unit: str = "") -> str:
    return fmt_value(value, unit or "")
