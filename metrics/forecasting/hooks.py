"""The hook for values arriving: a debounced forecast recompute per KPI.

Call `forecasts_refresh_soon` wherever values are written (ingestion, after its upsert), inside
the writing transaction. It imports nothing of the task modules (the task is sent by name), so
the write path can call it without an import cycle through `metrics.tasks`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from celery import current_app
from django.core.cache import cache
from django.db import transaction

# Values arriving in a burst (a bulk push, a pull, a check-in) make one recompute per KPI:
# the first value in the window enqueues it, FORECAST_DEBOUNCE_SECONDS later, so the values
# that follow within the window are in it too; the rest find the key taken. Without a cache
# (Redis down) nothing is enqueued and the monthly run catches up.
FORECAST_DEBOUNCE_SECONDS = 120
KPI_FORECAST_TASK = "metrics.tasks.kpi_forecast_task"


def forecasts_refresh_soon(*, org_id: int, kpi_ids: Iterable[uuid.UUID | str]) -> int:
    """Once the transaction that wrote the values commits, schedule a forecast recompute of
    each KPI, debounced. Returns how many KPIs were handed on."""
    distinct = sorted({str(pk) for pk in kpi_ids})

    def claim_and_send() -> None:
        for kpi_id in distinct:
            _forecast_debounced(org_id, kpi_id)

    # Claimed only after the commit: a rolled-back write must not hold the window shut. One
    # callback for the batch (a function, not a partial: Django names it when it logs a
    # failure), and robust: a broker that is down never fails the write that committed.
    transaction.on_commit(claim_and_send, robust=True)
    return len(distinct)


def forecast_debounce_claim(org_id: int, kpi_id: str) -> bool:
    """True for the first caller in the window, false for the rest."""
    return bool(cache.add(f"forecast-due:{org_id}:{kpi_id}", 1, FORECAST_DEBOUNCE_SECONDS))


def _forecast_debounced(org_id: int, kpi_id: str) -> None:
    if forecast_debounce_claim(org_id, kpi_id):
        current_app.send_task(
            KPI_FORECAST_TASK, args=(org_id, kpi_id), countdown=FORECAST_DEBOUNCE_SECONDS
        )
