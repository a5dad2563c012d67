"""Reads of the statistics of a series: a KPI's latest forecast, its track record, the outlook
against its target, the chart data, the lead→lag evidence and suggested leads."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Prefetch, Q

from metrics.forecasting.leadlag import KpiSeries, LeadSuggestion, LinkTest, lead_candidates
from metrics.forecasting.outlook import TargetOutlook, target_outlook
from metrics.forecasting.series import MAX_POINTS
from metrics.models import (
    Forecast,
    ForecastAccuracy,
    ForecastPoint,
    Kpi,
    KpiLink,
    LinkEvidence,
    LinkVerdict,
    MetricValue,
    Target,
)
from metrics.selectors import recent_values, value_list
from perfmgmt.models import Organization
from perfmgmt.periods import cadence_period_start, org_today
from perfmgmt.tenancy import org_scope

PAST_FORECASTS = 6  # how many earlier versions the chart can lay over what happened

Values = list[tuple[dt.date, float, str]]


def kpi_history(*, org: Organization, kpi: Kpi) -> Values:
    """The KPI's values a forecast reads, oldest first: the last MAX_POINTS periods."""
    rows = (
        value_list(org=org, kpi=kpi)
        .order_by("-period_date")
        .values_list("period_date", "value", "confidence")[: MAX_POINTS[kpi.cadence]]
    )
    return [(day, value, grade) for day, value, grade in reversed(rows)]


def kpi_histories(org: Organization, kpis: Sequence[Kpi]) -> dict[uuid.UUID, Values]:
    """Every KPI's recent values in one statement (newest first there; oldest first here)."""
    longest = max((MAX_POINTS[kpi.cadence] for kpi in kpis), default=0)
    found = recent_values(org=org, kpi_ids=[kpi.pk for kpi in kpis], per_kpi=longest)
    return {
        kpi.pk: [
            (r.period_date, r.value, r.confidence)
            for r in reversed(found.get(kpi.pk, [])[: MAX_POINTS[kpi.cadence]])
        ]
        for kpi in kpis
    }


def kpi_forecast_latest(*, org: Organization, kpi: Kpi) -> Forecast | None:
    """The KPI's newest forecast with its points (`points` prefetched, by horizon)."""
    with org_scope(org):
        return (
            Forecast.objects.filter(kpi=kpi)
            .order_by("-version")
            .prefetch_related(
                Prefetch("points", queryset=ForecastPoint.objects.order_by("horizon"))
            )
            .first()
        )


def kpi_forecast_accuracy(*, org: Organization, kpi: Kpi) -> list[ForecastAccuracy]:
    """The KPI's track record: MASE and sMAPE of its past forecasts, per horizon."""
    with org_scope(org):
        return list(ForecastAccuracy.objects.filter(kpi=kpi).order_by("horizon"))


def kpi_target_outlook(
    *, org: Organization, kpi: Kpi, target: Target | None = None
) -> TargetOutlook | None:
    """On course / at risk / will miss for the target running today (or `target`), with the
    probability of meeting its green threshold at period end; None without a target."""
    today = org_today(org)
    with org_scope(org):
        if target is None:
            target = Target.objects.filter(
                kpi=kpi, period_start__lte=today, period_end__gte=today
            ).first()
        if target is None:
            return None
        period = cadence_period_start(kpi.cadence, target.period_end)
        actual = (
            MetricValue.objects.filter(kpi=kpi, period_date=period)
            .values_list("value", flat=True)
            .first()
        )
    forecast = kpi_forecast_latest(org=org, kpi=kpi)
    points = list(forecast.points.all()) if forecast is not None else []
    return target_outlook(
        points,
        cadence=kpi.cadence,
        period_end=target.period_end,
        threshold=target.green_threshold,
        direction=kpi.direction,
        actual=actual,
    )


def kpi_forecast_chart(*, org: Organization, kpi: Kpi) -> dict:
    """The forecast band and a few past forecasts, as plain JSON for the KPI page's chart."""
    latest = kpi_forecast_latest(org=org, kpi=kpi)
    if latest is None:
        return {"forecast": None, "past": []}
    with org_scope(org):
        past = list(
            Forecast.objects.filter(kpi=kpi)
            .exclude(pk=latest.pk)
            .order_by("-version")
            .prefetch_related(
                Prefetch("points", queryset=ForecastPoint.objects.order_by("horizon"))
            )[:PAST_FORECASTS]
        )

    def describe(forecast: Forecast) -> dict:
        return {
            "version": forecast.version,
            "made_at": forecast.made_at.isoformat(),
            "method": forecast.get_method_display(),
            "mase": forecast.mase,
            "beats_baseline": forecast.beats_baseline,
            "note": forecast.note,
            "points": [
                {
                    "date": p.period_date.isoformat(),
                    "value": p.value,
                    "lo80": p.lo80,
                    "hi80": p.hi80,
                    "lo95": p.lo95,
                    "hi95": p.hi95,
                    "actual": p.actual,
                }
                for p in forecast.points.all()
            ],
        }

    return {"forecast": describe(latest), "past": [describe(f) for f in past]}


def link_evidence_list(*, org: Organization) -> list[LinkEvidence]:
    """The stored evidence of every declared link, with both KPIs."""
    with org_scope(org):
        return list(
            LinkEvidence.objects.select_related("link__lead", "link__lag").order_by(
                "link__lag__name", "link__lead__name"
            )
        )


def kpi_lead_suggestions(*, org: Organization, kpi: Kpi) -> list[LeadSuggestion]:
    """Other KPIs of the organisation that predict `kpi` better than its declared leads (the
    executive decides; nothing is linked). Runs the tests now: one values query, then about a
    few milliseconds per KPI of the organisation."""
    with org_scope(org):
        kpis = list(Kpi.objects.all())
        declared_ids = set(KpiLink.objects.filter(lag=kpi).values_list("lead_id", flat=True))
    histories: dict[uuid.UUID, Values] = kpi_histories(org, kpis)
    series: dict[object, KpiSeries] = {
        k.pk: KpiSeries(histories[k.pk], k.cadence, k.aggregation) for k in kpis
    }
    target = series.pop(kpi.pk)
    declared: dict[object, LinkTest] = {}
    with org_scope(org):
        for evidence in LinkEvidence.objects.filter(link__lag=kpi).select_related("link"):
            declared[evidence.link.lead_id] = LinkTest(
                evidence.verdict,
                evidence.cadence,
                evidence.n_points,
                evidence.best_lag,
                evidence.correlation,
                evidence.p_value,
            )
    for lead_id in declared_ids:
        declared.setdefault(lead_id, LinkTest(LinkVerdict.NOT_SUPPORTED, kpi.cadence, 0))
    return lead_candidates(target, series, declared=declared)


@dataclass(frozen=True)
class KpiForesight:
    """What the KPI page's forecast panel shows (templates/metrics/partials/forecast_panel.html)."""

    forecast: Forecast | None
    accuracy: list[ForecastAccuracy]
    outlook: TargetOutlook | None
    evidence: list[LinkEvidence]  # of the links into this KPI (its leads) and out of it
    chart: dict


def kpi_foresight(*, org: Organization, kpi: Kpi) -> KpiForesight:
    """The forecast panel of one KPI in a fixed number of queries."""
    with org_scope(org):
        evidence = list(
            LinkEvidence.objects.filter(Q(link__lag=kpi) | Q(link__lead=kpi))
            .select_related("link__lead", "link__lag")
            .order_by("link__lead__name")
        )
    return KpiForesight(
        forecast=kpi_forecast_latest(org=org, kpi=kpi),
        accuracy=kpi_forecast_accuracy(org=org, kpi=kpi),
        outlook=kpi_target_outlook(org=org, kpi=kpi),
        evidence=evidence,
        chart=kpi_forecast_chart(org=org, kpi=kpi),
    )


def kpi_outlooks(
    *, org: Organization, kpis: Sequence[Kpi], today: dt.date | None = None
) -> dict[uuid.UUID, TargetOutlook]:
    """The outlook of every KPI in `kpis` with a target running today, in four queries however
    many there are (for the exceptions list, the dashboards, the agenda and the pack)."""
    today = today or org_today(org)
    by_id = {kpi.pk: kpi for kpi in kpis}
    with org_scope(org):
        targets = {
            t.kpi_id: t
            for t in Target.objects.filter(
                kpi_id__in=by_id, period_start__lte=today, period_end__gte=today
            )
        }
        periods = {
            pk: cadence_period_start(by_id[pk].cadence, t.period_end) for pk, t in targets.items()
        }
        actuals = {
            (kpi_id, day): value
            for kpi_id, day, value in MetricValue.objects.filter(
                kpi_id__in=targets, period_date__in=set(periods.values())
            ).values_list("kpi_id", "period_date", "value")
        }
        latest = (
            Forecast.objects.filter(kpi_id__in=targets)
            .order_by("kpi_id", "-version")
            .distinct("kpi_id")
            .values_list("pk", flat=True)
        )
        points: dict[uuid.UUID, list[ForecastPoint]] = {}
        for point in ForecastPoint.objects.filter(
            forecast_id__in=list(latest), period_date__in=set(periods.values())
        ):
            points.setdefault(point.kpi_id, []).append(point)
    return {
        pk: target_outlook(
            points.get(pk, []),
            cadence=by_id[pk].cadence,
            period_end=target.period_end,
            threshold=target.green_threshold,
            direction=by_id[pk].direction,
            actual=actuals.get((pk, periods[pk])),
        )
        for pk, target in targets.items()
    }


@dataclass(frozen=True)
class LinkRow:
    """A declared lead→lag link and what the data say of it (None: not tested yet)."""

    link: KpiLink
    evidence: LinkEvidence | None


@dataclass(frozen=True)
class LeadLagOverview:
    links: list[LinkRow]
    counts: dict[str, int]  # verdict (or "untested") -> how many links


def lead_lag_overview(*, org: Organization) -> LeadLagOverview:
    """Every declared link of the organisation with its stored evidence, lag by lag; two
    queries."""
    with org_scope(org):
        links = list(
            KpiLink.objects.select_related("lead", "lag").order_by("lag__name", "lead__name")
        )
        evidence = {e.link_id: e for e in LinkEvidence.objects.filter(link__in=links)}
    rows = [LinkRow(link, evidence.get(link.pk)) for link in links]
    counts: dict[str, int] = {}
    for row in rows:
        key = row.evidence.verdict if row.evidence else "untested"
        counts[key] = counts.get(key, 0) + 1
    return LeadLagOverview(rows, counts)


def org_lead_suggestions(
    *, org: Organization
) -> list[tuple[Kpi, list[tuple[Kpi, LeadSuggestion]]]]:
    """For every lag KPI of the organisation, the other KPIs that predict it better than its
    declared leads (suggested, never applied): one values query, then the tests in memory."""
    with org_scope(org):
        kpis = list(Kpi.objects.order_by("name"))
        evidence = list(LinkEvidence.objects.select_related("link"))
        declared_pairs = list(KpiLink.objects.values_list("lead_id", "lag_id"))
    histories = kpi_histories(org, kpis)
    series: dict[object, KpiSeries] = {
        k.pk: KpiSeries(histories[k.pk], k.cadence, k.aggregation) for k in kpis
    }
    by_id: dict[object, Kpi] = {k.pk: k for k in kpis}
    found: list[tuple[Kpi, list[tuple[Kpi, LeadSuggestion]]]] = []
    for kpi in kpis:
        if kpi.kind != "lag":
            continue
        declared: dict[object, LinkTest] = {
            e.link.lead_id: LinkTest(
                e.verdict, e.cadence, e.n_points, e.best_lag, e.correlation, e.p_value
            )
            for e in evidence
            if e.link.lag_id == kpi.pk
        }
        for lead_id, lag_id in declared_pairs:
            if lag_id == kpi.pk:
                declared.setdefault(lead_id, LinkTest(LinkVerdict.NOT_SUPPORTED, kpi.cadence, 0))
        others = {pk: s for pk, s in series.items() if pk != kpi.pk}
        if suggestions := lead_candidates(series[kpi.pk], others, declared=declared):
            found.append((kpi, [(by_id[s.kpi_id], s) for s in suggestions]))
    return found
