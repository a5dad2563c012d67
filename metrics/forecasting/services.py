"""Writes of the statistics of a series: versioned forecasts, their scores against the actuals
that arrived since, and the evidence for each declared lead→lag link. Each service takes one
organisation, reads only its rows, and is safe to run twice (same values, same result, no new
version)."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Avg, Count
from django.utils import timezone

from metrics.forecasting.leadlag import KpiSeries, LinkTest, lead_lag_test
from metrics.forecasting.selection import SeriesForecast, forecast_series
from metrics.forecasting.selectors import Values, kpi_histories, kpi_history
from metrics.models import (
    Forecast,
    ForecastAccuracy,
    ForecastPoint,
    Kpi,
    KpiLink,
    LinkEvidence,
)
from metrics.selectors import kpi_get
from perfmgmt.models import Organization
from perfmgmt.tenancy import org_scope

# Bump when the method changes: the same values then give a new version, not the cached one.
MODEL_VERSION = "foresight-1"


def _digest(*parts: object) -> str:
    text = json.dumps([MODEL_VERSION, *parts], default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def kpi_forecast_refresh(*, org: Organization, kpi_id: uuid.UUID | str) -> Forecast:
    """Forecast the KPI from its values and store it as a new version, unless the latest
    version was made from exactly these values; then score past forecasts against actuals."""
    kpi = kpi_get(org=org, kpi_id=kpi_id)
    return _forecast_store(org=org, kpi=kpi, history=kpi_history(org=org, kpi=kpi))


def _forecast_store(*, org: Organization, kpi: Kpi, history: Values) -> Forecast:
    digest = _digest(kpi.cadence, history)
    with org_scope(org):
        latest = Forecast.objects.filter(kpi=kpi).order_by("-version").first()
    if latest is not None and latest.inputs_digest == digest:
        return latest
    # Fitted outside the transaction: the row lock below is held for the writes only.
    result = forecast_series(history, kpi.cadence)
    with transaction.atomic(), org_scope(org):
        # One writer per KPI at a time: two refreshes of the same values make one version.
        Kpi.objects.select_for_update().filter(pk=kpi.pk).first()
        latest = Forecast.objects.filter(kpi=kpi).order_by("-version").first()
        if latest is not None and latest.inputs_digest == digest:
            return latest
        forecast = _forecast_create(org, kpi, result, digest, (latest.version if latest else 0) + 1)
        if latest is not None:  # a first forecast has nothing before it to score
            forecast_accuracy_record(org=org, kpi=kpi)
    return forecast


def _forecast_create(
    org: Organization, kpi: Kpi, result: SeriesForecast, digest: str, version: int
) -> Forecast:
    forecast = Forecast.objects.create(
        organization=org,
        kpi=kpi,
        version=version,
        method=result.method,
        cadence=result.cadence,
        origin=result.origin,
        n_points=result.n_points,
        judged=result.judged,
        mase=result.mase,
        baseline=result.baseline,
        baseline_mase=result.baseline_mase,
        beats_baseline=result.beats_baseline,
        scale=result.scale,
        widening=result.widening,
        candidates={k: round(v, 4) for k, v in result.candidates.items()},
        failed={k: v[:200] for k, v in result.failed.items()},
        note=result.note[:300],
        inputs_digest=digest,
    )
    ForecastPoint.objects.bulk_create(
        ForecastPoint(
            organization=org,
            forecast=forecast,
            kpi=kpi,
            period_date=point.period_date,
            horizon=point.horizon,
            value=point.value,
            sd=point.sd,
            lo80=point.lo80,
            hi80=point.hi80,
            lo95=point.lo95,
            hi95=point.hi95,
        )
        for point in result.points
    )
    return forecast


# Raw SQL bypasses the scoped manager, so the organisation is in every WHERE clause. Only rows
# whose actual changed are written (IS DISTINCT FROM), so a rerun writes nothing.
SCORE_SQL = """
UPDATE metrics_forecastpoint p
SET actual = v.value,
    scaled_error = abs(v.value - p.value) / f.scale,
    smape = CASE WHEN abs(v.value) + abs(p.value) = 0 THEN 0
                 ELSE 200 * abs(v.value - p.value) / (abs(v.value) + abs(p.value)) END
FROM metrics_metricvalue v, metrics_forecast f
WHERE p.kpi_id = %(kpi)s AND p.organization_id = %(org)s
  AND v.kpi_id = p.kpi_id AND v.organization_id = %(org)s AND v.period_date = p.period_date
  AND f.id = p.forecast_id AND f.organization_id = %(org)s
  AND p.actual IS DISTINCT FROM v.value
"""


def forecast_accuracy_record(*, org: Organization, kpi: Kpi) -> list[ForecastAccuracy]:
    """Score every past forecast point of the KPI that now has an actual (MASE terms scaled by
    its own forecast's in-sample scale; sMAPE), and keep the track record per horizon."""
    with connection.cursor() as cursor:
        cursor.execute(SCORE_SQL, {"kpi": kpi.pk, "org": org.pk})
    with org_scope(org):
        rows = (
            ForecastPoint.objects.filter(kpi=kpi, actual__isnull=False)
            .values("horizon")
            .annotate(scored=Count("id"), mase=Avg("scaled_error"), smape=Avg("smape"))
            .order_by("horizon")
        )
        records = [
            ForecastAccuracy(
                organization=org,
                kpi=kpi,
                horizon=row["horizon"],
                scored=row["scored"],
                mase=row["mase"],
                smape=row["smape"],
            )
            for row in rows
        ]
        return ForecastAccuracy.objects.bulk_create(
            records,
            update_conflicts=True,
            unique_fields=["organization", "kpi", "horizon"],
            update_fields=["scored", "mase", "smape", "updated_at"],
        )


def org_forecasts_refresh(
    *, org: Organization, kpi_ids: Iterable[uuid.UUID | str] | None = None
) -> list[Forecast]:
    """Refresh the forecasts of the organisation's KPIs (all, or those in `kpi_ids`), reading
    their values in one query."""
    with org_scope(org):
        kpis = Kpi.objects.all()
        if kpi_ids is not None:
            kpis = kpis.filter(pk__in=list(kpi_ids))
        chosen = list(kpis.order_by("pk"))
    histories = kpi_histories(org, chosen)
    return [_forecast_store(org=org, kpi=kpi, history=histories[kpi.pk]) for kpi in chosen]


def _link_test(link: KpiLink, histories: dict[uuid.UUID, Values]) -> LinkTest:
    return lead_lag_test(
        KpiSeries(histories[link.lead_id], link.lead.cadence, link.lead.aggregation),
        KpiSeries(histories[link.lag_id], link.lag.cadence, link.lag.aggregation),
    )


def org_links_refresh(*, org: Organization) -> list[LinkEvidence]:
    """Test every declared lead→lag link of the organisation against the data and store the
    evidence (one row per link, replaced when the values changed)."""
    with org_scope(org):
        links = list(KpiLink.objects.select_related("lead", "lag").order_by("pk"))
        existing = {e.link_id: e for e in LinkEvidence.objects.filter(link__in=links)}
    kpis = {link.lead_id: link.lead for link in links} | {link.lag_id: link.lag for link in links}
    histories = kpi_histories(org, list(kpis.values()))
    stored: list[LinkEvidence] = []
    with transaction.atomic(), org_scope(org):
        for link in links:
            lead, lag = link.lead, link.lag
            digest = _digest(
                lead.cadence, lead.aggregation, histories[lead.pk],
                lag.cadence, lag.aggregation, histories[lag.pk],
            )  # fmt: skip
            evidence = existing.get(link.pk)
            if evidence is not None and evidence.inputs_digest == digest:
                stored.append(evidence)
                continue
            test = _link_test(link, histories)
            evidence, _ = LinkEvidence.objects.update_or_create(
                organization=org,
                link=link,
                defaults={
                    "verdict": test.verdict,
                    "cadence": test.cadence,
                    "best_lag": test.best_lag,
                    "correlation": test.correlation,
                    "p_value": test.p_value,
                    "n_points": test.n_points,
                    "correlations": {str(k): r for k, r in test.correlations.items()},
                    "note": test.note[:300],
                    "computed_at": timezone.now(),
                    "inputs_digest": digest,
                },
            )
            stored.append(evidence)
    return stored
