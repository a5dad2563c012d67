"""The strategy health check: what in the organisation's strategy, its measures and its
routines is set up so that it cannot work, each finding linking to the thing to fix and naming
who can fix it. Read by the health page and its API; a fixed number of queries.

The checks: more than MAX_ACTIVE_PRIORITIES active priorities; a dashboard (the organisation's
or a team's) with more than KEY_METRICS_LIMIT key metrics; KPIs without a target for today,
without an objective, or without a value for their last period; running objectives aligned to
an inactive priority; lag KPIs with no lead; declared leads the data do not support; targets
moved during their period; teams whose objectives lack last week's check-in; a month whose
numbers are mostly estimates; KPIs missed for "measurement" often enough to review their
definition (reviews.learning).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractUser
from django.urls import reverse

from metrics.dashboards import KEY_METRICS_LIMIT
from metrics.formats import day_label
from metrics.models import (
    Confidence,
    Kpi,
    KpiKind,
    KpiLink,
    LinkEvidence,
    LinkVerdict,
    MetricValue,
    Target,
)
from metrics.selectors import kpi_statuses, kpis_with_target_moved
from metrics.windows import month_end
from objectives.models import MAX_ACTIVE_PRIORITIES, Objective, StrategicPriority
from objectives.selectors import objectives_running
from perfmgmt.models import Membership, Organization, Team
from perfmgmt.periods import current_week, last_closed_month, org_today
from perfmgmt.permissions import STRATEGY_ROLES
from perfmgmt.selectors import display_name
from perfmgmt.tenancy import org_scope
from reviews.learning import MEASUREMENT_FLAG, definition_review_due
from reviews.selectors import objectives_missing_checkin

# A month is "mostly estimates" when more than this share of its values are graded estimate.
ESTIMATE_SHARE = 0.5


@dataclass(frozen=True)
class Finding:
    check: str  # which check found it (stable, for the API)
    title: str
    detail: str
    url: str  # where to fix it
    fixers: list[str] = field(default_factory=list)  # who can fix it, by name


@dataclass(frozen=True)
class Check:
    code: str
    label: str


CHECKS = (
    Check("too_many_priorities", f"More than {MAX_ACTIVE_PRIORITIES} active priorities"),
    Check("too_many_key_metrics", f"A dashboard with more than {KEY_METRICS_LIMIT} key metrics"),
    Check("kpi_without_target", "KPIs without a target for the current period"),
    Check("kpi_without_objective", "KPIs not linked to an objective"),
    Check("kpi_without_recent_value", "KPIs without a value for their last period"),
    Check("objective_inactive_priority", "Objectives not aligned to an active priority"),
    Check("lag_without_lead", "Lag KPIs with no lead KPI"),
    Check("lead_not_supported", "Declared leads the data do not support"),
    Check("target_moved", "Targets moved during their period"),
    Check("missing_checkins", "Teams with missing check-ins"),
    Check("mostly_estimates", "A month whose numbers are mostly estimates"),
    Check("definition_review", f"KPIs missed {MEASUREMENT_FLAG} times or more for measurement"),
)


@dataclass(frozen=True)
class Health:
    findings: list[Finding]

    @property
    def by_check(self) -> list[tuple[Check, list[Finding]]]:
        grouped: dict[str, list[Finding]] = defaultdict(list)
        for finding in self.findings:
            grouped[finding.check].append(finding)
        return [(check, grouped[check.code]) for check in CHECKS]


def _names(users: list[AbstractUser]) -> list[str]:
    return sorted({display_name(u) for u in users})


def strategy_health(*, org: Organization, today: dt.date | None = None) -> Health:
    """Every finding of every check, in the order of CHECKS."""
    today = today or org_today(org)
    slug = {"org_slug": org.slug}

    def kpi_url(kpi: Kpi, view: str = "metrics:kpi-detail") -> str:
        return reverse(view, kwargs={**slug, "kpi_id": kpi.pk})

    with org_scope(org):
        strategists = _names(
            [
                m.user
                for m in Membership.objects.filter(role__in=STRATEGY_ROLES).select_related("user")
            ]
        )
        priorities = list(StrategicPriority.objects.filter(is_active=True).select_related("owner"))
        kpis = list(Kpi.objects.select_related("outcome_owner", "data_owner", "objective__team"))
        current_targets = set(
            Target.objects.filter(period_start__lte=today, period_end__gte=today).values_list(
                "kpi_id", flat=True
            )
        )
        lags_with_lead = set(KpiLink.objects.values_list("lag_id", flat=True))
        unsupported = list(
            LinkEvidence.objects.filter(verdict=LinkVerdict.NOT_SUPPORTED).select_related(
                "link__lead", "link__lag__outcome_owner"
            )
        )
        month = last_closed_month(org)
        grades = Counter(
            MetricValue.objects.filter(
                period_date__gte=month, period_date__lte=month_end(month)
            ).values_list("confidence", flat=True)
        )
        running = list(
            objectives_running(org=org, start=today)
            .filter(priority__is_active=False)
            .select_related("owner", "priority")
        )
    found: list[Finding] = []
    if len(priorities) > MAX_ACTIVE_PRIORITIES:
        found.append(
            Finding(
                "too_many_priorities",
                f"{len(priorities)} active priorities",
                f"A strategy holds 3–5: {', '.join(p.title for p in priorities)}. Archive or "
                "merge the ones that are not what the organisation will be judged on.",
                reverse("cascade:explorer", kwargs=slug),
                strategists,
            )
        )
    key_by_team: dict[str, list[Kpi]] = defaultdict(list)
    for kpi in kpis:
        if kpi.is_key:
            key_by_team["the organisation"].append(kpi)
            if kpi.objective is not None:
                key_by_team[f"team {kpi.objective.team.name}"].append(kpi)
    for where, marked in key_by_team.items():
        if len(marked) > KEY_METRICS_LIMIT:
            found.append(
                Finding(
                    "too_many_key_metrics",
                    f"{len(marked)} key metrics on the dashboard of {where}",
                    f"A role dashboard reads at a glance with 5–{KEY_METRICS_LIMIT}; unmark "
                    "the others as key on their KPI page.",
                    reverse("reviews:dashboard", kwargs=slug),
                    strategists,
                )
            )
    statuses = kpi_statuses(org=org, kpis=kpis)
    for kpi in kpis:
        owner = display_name(kpi.outcome_owner)
        if kpi.pk not in current_targets:
            found.append(
                Finding(
                    "kpi_without_target",
                    kpi.name,
                    "No target for the period running today: its status cannot be judged.",
                    kpi_url(kpi, "metrics:target-set"),
                    sorted({owner, *strategists}),
                )
            )
        if kpi.objective is None:
            found.append(
                Finding(
                    "kpi_without_objective",
                    kpi.name,
                    "Not linked to an objective: no priority is measured by it.",
                    kpi_url(kpi, "metrics:kpi-edit"),
                    sorted({owner, *strategists}),
                )
            )
        if statuses[kpi.pk].stale:
            latest = statuses[kpi.pk].latest
            found.append(
                Finding(
                    "kpi_without_recent_value",
                    kpi.name,
                    f"Last value for {latest.period_date:%d %b %Y}." if latest else "No value yet.",
                    kpi_url(kpi, "metrics:value-record"),
                    [display_name(kpi.data_owner)],
                )
            )
    for objective in running:
        found.append(
            Finding(
                "objective_inactive_priority",
                objective.title,
                f"Aligned to {objective.priority.title}, which is no longer active.",
                reverse("objectives:objective-edit", kwargs={**slug, "objective_id": objective.pk}),
                sorted({display_name(objective.owner), *strategists}),
            )
        )
    for kpi in kpis:
        if kpi.kind == KpiKind.LAG and kpi.pk not in lags_with_lead:
            found.append(
                Finding(
                    "lag_without_lead",
                    kpi.name,
                    "An outcome with no lead KPI declared: nothing warns before it moves. The "
                    "lead→lag page suggests candidates from the data.",
                    reverse("metrics:lead-lag", kwargs=slug),
                    sorted({display_name(kpi.outcome_owner), *strategists}),
                )
            )
    for evidence in unsupported:
        link = evidence.link
        found.append(
            Finding(
                "lead_not_supported",
                f"{link.lead.name} → {link.lag.name}",
                evidence.note or "The data do not bear out this link.",
                reverse("metrics:lead-lag", kwargs=slug),
                sorted({display_name(link.lag.outcome_owner), *strategists}),
            )
        )
    by_id = {kpi.pk: kpi for kpi in kpis}
    for kpi_id, change in kpis_with_target_moved(org=org, kpi_ids=list(by_id), day=today).items():
        kpi = by_id[kpi_id]
        found.append(
            Finding(
                "target_moved",
                kpi.name,
                f"Its target for {day_label(change.period_start)} – {day_label(change.period_end)}"
                f" was changed on {day_label(change.change.at)} by {change.change.actor}, during "
                "the period.",
                kpi_url(kpi),
                strategists,
            )
        )
    last_week = current_week(org) - dt.timedelta(days=7)
    missing: dict[Team, list[Objective]] = defaultdict(list)
    for objective in objectives_missing_checkin(org=org, week_start=last_week):
        missing[objective.team].append(objective)
    for team, objectives in sorted(missing.items(), key=lambda item: item[0].name):
        fixers = [display_name(team.lead)] if team.lead else []
        fixers += _names([o.owner for o in objectives])
        found.append(
            Finding(
                "missing_checkins",
                team.name,
                f"{len(objectives)} objective{'s' if len(objectives) != 1 else ''} without a "
                f"check-in for the week of {last_week:%d %b %Y}: "
                + ", ".join(o.title for o in objectives),
                reverse("reviews:missing", kwargs=slug),
                sorted(set(fixers)),
            )
        )
    total = sum(grades.values())
    if total and grades[Confidence.ESTIMATE] / total > ESTIMATE_SHARE:
        found.append(
            Finding(
                "mostly_estimates",
                f"{month:%B %Y}",
                f"{grades[Confidence.ESTIMATE]} of its {total} values are only estimates.",
                reverse("metrics:import", kwargs=slug),
                _names([k.data_owner for k in kpis]),
            )
        )
    for kpi_id, times in definition_review_due(org=org, kpi_ids=list(by_id)).items():
        kpi = by_id[kpi_id]
        found.append(
            Finding(
                "definition_review",
                kpi.name,
                f"Missed its target {times} times for measurement: the number may not show what "
                "it is meant to. Review its definition and its data source.",
                kpi_url(kpi, "metrics:kpi-edit"),
                sorted(
                    {display_name(kpi.outcome_owner), display_name(kpi.data_owner), *strategists}
                ),
            )
        )
    return Health(found)
