"""The improvement plan as a PDF for the person, laid out by WeasyPrint like the pack."""

from __future__ import annotations

from django.template.loader import render_to_string
from weasyprint import HTML

from perfmgmt.models import Organization
from perfmgmt.periods import org_today
from reviews.people.selectors import PlanDetail


def plan_pdf_bytes(*, org: Organization, detail: PlanDetail) -> bytes:
    html = render_to_string(
        "people/plan_pdf.html", {"org": org, "detail": detail, "today": org_today(org)}
    )
    return bytes(HTML(string=html).write_pdf())
