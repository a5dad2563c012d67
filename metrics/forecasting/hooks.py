"""Values arriving make their KPIs' forecasts again, without the writer waiting on anything.

Ingestion records each KPI it changed as a `ForecastRefresh` row in the same transaction as
the values (`REFRESH_SQL`, one statement per batch, in the batch's lock order). The dispatcher
beat runs every minute (`forecast_refreshes_claim`) takes the rows that have waited at least
FORECAST_DEBOUNCE_SECONDS — a burst of values makes one recompute per KPI — and hands each to a
worker; a row whose publish fails is put back, so a broker that is down loses nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from metrics.models import ForecastRefresh

FORECAST_DEBOUNCE_SECONDS = 120
KPI_FORECAST_TASK = "metrics.tasks.kpi_forecast_task"
CLAIM_BATCH = 500

# Run by ingestion after its upsert, with the staging table of the batch still in place.
REFRESH_SQL = """
INSERT INTO metrics_forecastrefresh (organization_id, kpi_id, requested_at)
SELECT DISTINCT %(org)s, kpi_id, %(now)s FROM metrics_ingest_stage
ORDER BY 2
ON CONFLICT (organization_id, kpi_id) DO NOTHING
"""


def forecast_refreshes_claim(*, now: dt.datetime | None = None) -> list[tuple[int, uuid.UUID]]:
    """Take the refreshes that have settled: (organisation id, KPI id) each, once — two
    dispatchers at the same moment skip each other's rows."""
    cutoff = (now or timezone.now()) - dt.timedelta(seconds=FORECAST_DEBOUNCE_SECONDS)
    with transaction.atomic(), scopes_disabled():
        rows = list(
            ForecastRefresh.objects.select_for_update(skip_locked=True)
            .filter(requested_at__lte=cutoff)
            .order_by("requested_at")
            .values_list("pk", "organization_id", "kpi_id")[:CLAIM_BATCH]
        )
        ForecastRefresh.objects.filter(pk__in=[pk for pk, _, _ in rows]).delete()
    return [(org_id, kpi_id) for _, org_id, kpi_id in rows]


def forecast_refresh_again(*, org_id: int, kpi_id: uuid.UUID | str) -> None:
    """Put a claimed refresh back (its publish failed): the next dispatch tries again."""
    with scopes_disabled():
        ForecastRefresh.objects.get_or_create(
            organization_id=org_id, kpi_id=kpi_id, defaults={"requested_at": timezone.now()}
        )
