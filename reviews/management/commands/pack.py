"""`manage.py pack --org acme --month 2026-11 --out DIR`: the month's pack, both files, now.

For automation outside the app (a cron job, a report server): the same snapshot, PDF and
workbook as the pack page makes, written to DIR without a job, a worker or a broker.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from metrics.formats import moment_label
from perfmgmt.models import Organization
from perfmgmt.periods import last_closed_month, org_now
from reviews.packs.data import data_as_of, pack_data, scoped_kpis
from reviews.packs.pdf import render_pdf
from reviews.packs.xlsx import render_xlsx


def _month(text: str) -> dt.date:
    try:
        if len(text) != 7:
            raise ValueError(text)
        return dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise CommandError(f"--month must be YYYY-MM, not {text!r}") from None


class Command(BaseCommand):
    help = "Write the monthly business-review pack (PDF and XLSX) of one organisation to a folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="The organisation's slug.")
        parser.add_argument("--month", help="YYYY-MM; default: the last closed month.")
        parser.add_argument("--out", required=True, help="The folder to write both files to.")
        parser.add_argument("--team", action="append", default=[], help="Narrow to a team slug.")
        parser.add_argument(
            "--perspective", action="append", default=[], help="Narrow to a perspective."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organisation {options['org']!r}.")
        month = _month(options["month"]) if options["month"] else last_closed_month(org)
        teams, perspectives = options["team"], options["perspective"]
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        kpis = scoped_kpis(org=org, teams=teams, perspectives=perspectives)
        as_of = data_as_of(org=org, kpis=kpis, month=month)
        data = pack_data(org=org, month=month, teams=teams, perspectives=perspectives)
        meta = {
            "version": "command line",
            "generated_by": "manage.py pack",
            "generated_at": moment_label(org_now(org, timezone.now())),
            "data_as_of": moment_label(org_now(org, as_of)) if as_of else "no data",
        }
        pack = SimpleNamespace(version=meta["version"])
        pdf, pages = render_pdf({"data": data, "pack": pack, "meta": meta, "stamp": None})
        stem = f"{org.slug}-business-review-{month:%Y-%m}"
        (out / f"{stem}.pdf").write_bytes(pdf)
        (out / f"{stem}.xlsx").write_bytes(render_xlsx(data, meta))
        self.stdout.write(f"Wrote {out / stem}.pdf ({pages} pages) and {out / stem}.xlsx")
