"""Build the demo: Acme Corp (a full cascade with two years of history) and a small Globex."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from metrics.forecasting.services import org_forecasts_refresh, org_links_refresh
from metrics.ingestion import RawValue, metric_value_record, values_ingest
from metrics.models import Kpi, Source, Target
from metrics.rag import default_thresholds
from metrics.services import kpi_create, kpi_update, target_set
from objectives.models import Objective, Perspective
from objectives.services import objective_create, priority_create
from perfmgmt.models import Membership, Organization, Role
from perfmgmt.periods import (
    add_months,
    cadence_period_start,
    current_week,
    fiscal_quarter,
    fiscal_year,
    last_closed_month,
)
from perfmgmt.services import membership_set, organization_create, team_create
from perfmgmt.tenancy import org_scope
from reviews.models import CheckIn
from reviews.packs.data import commentary_due_kpis, review_day
from reviews.people.demo import seed_people_demo
from reviews.services import (
    action_create,
    checkin_submit,
    commentary_save,
    decision_record,
    meeting_create,
)

DEMO_PASSWORD = "perfmgmt-demo"

# username, first, last, role, team slug (None: no team)
ACME_PEOPLE = [
    ("admin", "Ada", "Admin", Role.ADMIN, None),
    ("ceo", "Evelyn", "Stone", Role.EXECUTIVE, None),
    ("cfo", "Felix", "Morgan", Role.FINANCE, "finance"),
    ("lead", "Lena", "Hart", Role.LEAD, "sales"),
    ("lead.cs", "Marco", "Reyes", Role.LEAD, "customer-success"),
    ("lead.eng", "Priya", "Natarajan", Role.LEAD, "engineering"),
    ("lead.ops", "Omar", "Haddad", Role.LEAD, "operations"),
    ("lead.people", "Hana", "Kobayashi", Role.LEAD, "people"),
    ("member", "Sam", "Okafor", Role.MEMBER, "sales"),
    ("viewer", "Victor", "Board", Role.VIEWER, None),
]
ACME_TEAMS = [
    ("Sales", "sales", "lead"),
    ("Customer Success", "customer-success", "lead.cs"),
    ("Engineering", "engineering", "lead.eng"),
    ("Operations", "operations", "lead.ops"),
    ("People", "people", "lead.people"),
    ("Finance", "finance", "cfo"),
]
PRIORITIES = [
    ("fin", "Grow recurring revenue profitably", Perspective.FINANCIAL, "cfo", 1),
    ("cust", "Win and keep delighted customers", Perspective.CUSTOMER, "ceo", 2),
    ("ops", "Ship reliably and run efficiently", Perspective.INTERNAL, "ceo", 3),
    ("people", "Build a high-performing, growing team", Perspective.LEARNING, "admin", 4),
]
# code, title, team, owner, priority, parent code, period kind
OBJECTIVES = [
    ("o1", "Reach €24M annual recurring revenue", "finance", "cfo", "fin", None, "year"),
    ("o2", "Build a predictable enterprise pipeline", "sales", "lead", "fin", "o1", "year"),
    (
        "o3",
        "Expand revenue in the installed base",
        "customer-success",
        "lead.cs",
        "fin",
        "o1",
        "quarter",
    ),
    ("o4", "Keep gross margin above 72%", "finance", "cfo", "fin", None, "year"),
    ("o5", "Make onboarding effortless", "customer-success", "lead.cs", "cust", None, "year"),
    (
        "o6",
        "Cut churn among mid-market customers",
        "customer-success",
        "lead.cs",
        "cust",
        "o5",
        "quarter",
    ),
    ("o7", "Win new logos in the DACH market", "sales", "lead", "cust", None, "quarter"),
    ("o8", "Ship weekly without breaking things", "engineering", "lead.eng", "ops", None, "year"),
    (
        "o9",
        "Resolve support tickets within a day",
        "operations",
        "lead.ops",
        "ops",
        None,
        "quarter",
    ),
    ("o10", "Lower cost to serve per customer", "operations", "lead.ops", "ops", "o9", "quarter"),
    ("o11", "Hire and ramp the 2026 plan on time", "people", "lead.people", "people", None, "year"),
    ("o12", "Grow skills and engagement", "people", "lead.people", "people", None, "year"),
]


@dataclass(frozen=True)
class KpiSpec:
    key: str
    name: str
    unit: str
    objective: str
    kind: str
    cadence: str
    start: float  # value two years ago
    growth: float  # relative change over the two years
    noise: float  # relative noise
    target_factor: float  # target relative to the trend (>1 for higher-better: harder)
    direction: str = "higher"
    is_key: bool = False
    drives: tuple[str, ...] = ()
    data_owner: str | None = None
    target: float | None = None  # the same round target every quarter, instead of the trend's


KPIS = [
    KpiSpec(
        "arr",
        "Annual recurring revenue",
        "€M",
        "o1",
        "lag",
        "monthly",
        14,
        0.55,
        0.01,
        1.06,
        is_key=True,
    ),
    KpiSpec(
        "net-new-arr",
        "Net new ARR",
        "€k",
        "o1",
        "lag",
        "monthly",
        280,
        0.35,
        0.12,
        1.1,
        is_key=True,
    ),
    KpiSpec(
        "pipeline-coverage",
        "Pipeline coverage",
        "x",
        "o2",
        "lead",
        "weekly",
        2.4,
        0.2,
        0.06,
        1.05,
        drives=("net-new-arr", "new-logos"),
    ),
    KpiSpec(
        "qualified-opps",
        "Sales-qualified opportunities",
        "",
        "o2",
        "lead",
        "weekly",
        18,
        0.3,
        0.15,
        1.0,
        drives=("net-new-arr",),
        data_owner="member",
    ),
    KpiSpec("win-rate", "Win rate", "%", "o2", "lag", "monthly", 21, 0.1, 0.06, 1.12),
    KpiSpec(
        "sales-cycle",
        "Sales cycle length",
        "days",
        "o2",
        "lag",
        "monthly",
        74,
        -0.12,
        0.05,
        0.95,
        direction="lower",
    ),
    KpiSpec(
        "expansion-arr",
        "Expansion ARR",
        "€k",
        "o3",
        "lag",
        "monthly",
        60,
        0.6,
        0.15,
        1.0,
        target=110,
    ),
    KpiSpec(
        "qbr-coverage",
        "Accounts with a business review in the last 90 days",
        "%",
        "o3",
        "lead",
        "monthly",
        45,
        0.4,
        0.05,
        1.0,
        drives=("expansion-arr", "nrr"),
        target=65,
    ),
    KpiSpec(
        "nrr",
        "Net revenue retention",
        "%",
        "o3",
        "lag",
        "quarterly",
        104,
        0.04,
        0.01,
        1.02,
        is_key=True,
    ),
    KpiSpec(
        "gross-margin",
        "Gross margin",
        "%",
        "o4",
        "lag",
        "monthly",
        70,
        0.03,
        0.01,
        1.0,
        is_key=True,
        target=72,
    ),
    KpiSpec(
        "cloud-cost-ratio",
        "Cloud cost as share of revenue",
        "%",
        "o4",
        "lead",
        "monthly",
        14,
        -0.1,
        0.04,
        0.95,
        direction="lower",
        drives=("gross-margin",),
    ),
    KpiSpec(
        "opex",
        "Operating expenses",
        "€k",
        "o4",
        "lag",
        "monthly",
        1500,
        0.18,
        0.03,
        0.98,
        direction="lower",
    ),
    KpiSpec(
        "time-to-value",
        "Time to first value",
        "days",
        "o5",
        "lead",
        "weekly",
        21,
        -0.35,
        0.08,
        1.0,
        direction="lower",
        drives=("csat", "logo-churn"),
    ),
    KpiSpec(
        "onboarding-complete",
        "Onboardings completed on plan",
        "%",
        "o5",
        "lead",
        "weekly",
        62,
        0.25,
        0.06,
        1.0,
    ),
    KpiSpec(
        "csat",
        "Customer satisfaction (CSAT)",
        "%",
        "o5",
        "lag",
        "monthly",
        84,
        0.04,
        0.02,
        1.02,
        is_key=True,
    ),
    KpiSpec("nps", "Net promoter score", "", "o5", "lag", "quarterly", 28, 0.3, 0.1, 1.15),
    KpiSpec(
        "logo-churn",
        "Logo churn (mid-market)",
        "%",
        "o6",
        "lag",
        "monthly",
        2.4,
        0.05,
        0.08,
        0.85,
        direction="lower",
        is_key=True,
    ),
    KpiSpec(
        "health-score-red",
        "Accounts with red health score",
        "",
        "o6",
        "lead",
        "weekly",
        40,
        -0.1,
        0.08,
        0.8,
        direction="lower",
        drives=("logo-churn",),
    ),
    KpiSpec("save-rate", "At-risk accounts saved", "%", "o6", "lag", "monthly", 35, 0.2, 0.1, 1.05),
    KpiSpec("new-logos", "New logos (DACH)", "", "o7", "lag", "monthly", 6, 0.4, 0.2, 1.0),
    KpiSpec(
        "dach-meetings",
        "First meetings booked (DACH)",
        "",
        "o7",
        "lead",
        "weekly",
        9,
        0.5,
        0.2,
        1.0,
        drives=("new-logos",),
        data_owner="member",
    ),
    KpiSpec(
        "deploy-frequency",
        "Deployments per week",
        "",
        "o8",
        "lead",
        "weekly",
        6,
        1.0,
        0.15,
        0.85,
        drives=("change-failure",),
    ),
    KpiSpec(
        "change-failure",
        "Change failure rate",
        "%",
        "o8",
        "lag",
        "monthly",
        18,
        -0.45,
        0.1,
        1.15,
        direction="lower",
    ),
    KpiSpec(
        "lead-time",
        "Lead time for changes",
        "hours",
        "o8",
        "lead",
        "weekly",
        70,
        -0.5,
        0.1,
        1.0,
        direction="lower",
    ),
    KpiSpec(
        "uptime",
        "Availability",
        "%",
        "o8",
        "lag",
        "monthly",
        99.8,
        0.0015,
        0.0003,
        1.0,
        is_key=True,
        target=99.9,
    ),
    KpiSpec(
        "p1-incidents",
        "P1 incidents",
        "",
        "o8",
        "lag",
        "monthly",
        5,
        -0.5,
        0.3,
        1.0,
        direction="lower",
    ),
    KpiSpec(
        "first-response",
        "First response time",
        "hours",
        "o9",
        "lead",
        "weekly",
        9,
        -0.5,
        0.1,
        0.9,
        direction="lower",
        drives=("resolution-24h",),
    ),
    KpiSpec(
        "resolution-24h",
        "Tickets resolved within 24h",
        "%",
        "o9",
        "lag",
        "weekly",
        61,
        0.2,
        0.04,
        1.08,
    ),
    KpiSpec(
        "backlog",
        "Open ticket backlog",
        "",
        "o9",
        "lead",
        "weekly",
        420,
        -0.3,
        0.08,
        0.9,
        direction="lower",
    ),
    KpiSpec(
        "cost-to-serve",
        "Cost to serve per customer",
        "€",
        "o10",
        "lag",
        "monthly",
        310,
        -0.15,
        0.03,
        0.95,
        direction="lower",
    ),
    KpiSpec(
        "self-service-rate",
        "Tickets solved by self-service",
        "%",
        "o10",
        "lead",
        "weekly",
        22,
        0.6,
        0.06,
        1.0,
        drives=("cost-to-serve",),
    ),
    KpiSpec(
        "hires-on-plan", "Hires against plan", "%", "o11", "lag", "monthly", 80, 0.1, 0.06, 1.1
    ),
    KpiSpec(
        "time-to-hire",
        "Time to hire",
        "days",
        "o11",
        "lead",
        "monthly",
        52,
        -0.15,
        0.06,
        0.95,
        direction="lower",
        drives=("hires-on-plan",),
    ),
    KpiSpec(
        "offer-acceptance",
        "Offer acceptance rate",
        "%",
        "o11",
        "lead",
        "monthly",
        78,
        0.08,
        0.04,
        1.0,
        drives=("hires-on-plan",),
    ),
    KpiSpec(
        "ramp-time",
        "Sales ramp time",
        "months",
        "o11",
        "lag",
        "quarterly",
        6.5,
        -0.2,
        0.05,
        0.9,
        direction="lower",
    ),
    KpiSpec(
        "engagement", "Employee engagement", "%", "o12", "lag", "quarterly", 71, 0.06, 0.02, 1.03
    ),
    KpiSpec(
        "regretted-attrition",
        "Regretted attrition",
        "%",
        "o12",
        "lag",
        "monthly",
        1.1,
        0.1,
        0.15,
        0.8,
        direction="lower",
    ),
    KpiSpec(
        "training-hours",
        "Training hours per person",
        "h",
        "o12",
        "lead",
        "monthly",
        3,
        0.8,
        0.12,
        1.0,
        drives=("engagement",),
    ),
    KpiSpec(
        "one-on-ones",
        "1:1s held on schedule",
        "%",
        "o12",
        "lead",
        "weekly",
        68,
        0.25,
        0.06,
        1.0,
        drives=("engagement", "regretted-attrition"),
    ),
    KpiSpec(
        "manager-coverage",
        "Managers trained in coaching",
        "%",
        "o12",
        "lead",
        "monthly",
        30,
        1.2,
        0.03,
        0.92,
        drives=("regretted-attrition",),
    ),
]


# The owners' words on last month's numbers (by KPI key; the others by their status).
COMMENTARY = {
    "arr": (
        "Two enterprise renewals moved to December; the base grew 0.4 % net of churn.",
        "Close both renewals before 15 December; weekly deal review with the CFO.",
    ),
    "net-new-arr": (
        "Mid-market bookings were 18 % short: three deals slipped, one was lost on price.",
        "Pricing exceptions desk for deals over €50k; pull two Q1 deals forward.",
    ),
    "logo-churn": (
        "Churn stayed above target: four mid-market logos left after the onboarding backlog.",
        "Customer Success calls every red-health account this month.",
    ),
    "pipeline-coverage": (
        "Coverage rose for the third month in a row as the new SDR team ramped up.",
        "Keep SDR capacity; report coverage by segment from January.",
    ),
    "uptime": (
        "One 40-minute database failover on 12 November; otherwise clean.",
        "Finish the read-replica rollout so failover stays under five minutes.",
    ),
}
COMMENTARY_BY_STATUS = {
    "green": ("On target; the drivers are holding.", "Keep the current plan."),
    "amber": (
        "Slightly behind target: the gap is timing, not demand.",
        "Review the gap weekly until it closes.",
    ),
    "red": (
        "Off target: the plan assumed capacity we did not have this month.",
        "Re-plan capacity with the team lead and report back at the next review.",
    ),
    "none": ("No value arrived for the month.", "Chase the data owner for the number."),
}


# This week's check-ins by objective code ("*": the rest): the churn objective wobbles, and
# Operations — slipping for ten weeks — says so.
THIS_WEEK: dict[str, dict[str, Any]] = {
    "*": {
        "status": "on_track",
        "progress": 60,
        "confidence": 7,
        "reason": "",
        "next_steps": "Keep going",
    },
    "o6": {
        "status": "at_risk",
        "progress": 45,
        "confidence": 3,
        "reason": "Two mid-market renewals are wobbling",
        "next_steps": "Executive sponsor calls on both accounts this week",
    },
    "o9": {
        "status": "at_risk",
        "progress": 35,
        "confidence": 4,
        "reason": "The backlog has grown for ten weeks: two agents on leave, a release that "
        "doubled how-to tickets",
        "next_steps": "Borrow two people from Customer Success; publish the top-10 how-to articles",
    },
    "o10": {
        "status": "at_risk",
        "progress": 40,
        "confidence": 4,
        "reason": "Slower resolution pushes cost to serve up",
        "next_steps": "Route how-to tickets to self-service first",
    },
}


def _history_dates(cadence: str, today: dt.date, years: int = 2) -> list[dt.date]:
    """Period starts of the last `years` years of completed periods, oldest first."""
    dates: list[dt.date] = []
    day = cadence_period_start(cadence, today) - dt.timedelta(days=1)
    while day > today - dt.timedelta(days=365 * years):
        start = cadence_period_start(cadence, day)
        dates.append(start)
        day = start - dt.timedelta(days=1)
    return dates[::-1]


def _as_measured(spec: KpiSpec, value: float) -> float:
    """Counts are whole numbers; everything else keeps the precision its unit is read at:
    millions and ratios to two places, small numbers to two, percentages and the rest to one,
    thousands whole."""
    if not spec.unit:
        return float(max(0, round(value)))
    if spec.unit in ("€M", "x") or abs(value) < 10:
        return round(value, 2)
    if spec.unit == "%" and abs(value) >= 99:
        return round(value, 2)  # availability: 99.95 % is not 100 %
    return round(value, 1) if abs(value) < 1000 else float(round(value))


def _round_target(value: float, spec: KpiSpec) -> float:
    """A target as a planner writes it: whole counts, round figures."""
    size = abs(value)
    if spec.unit == "%" and 99 <= size <= 100:
        return round(value, 1)  # 99.9 % availability, not 100 %
    if spec.unit and size < 10:
        return round(value, 1)
    if not spec.unit or size >= 10:
        step = 5 if size >= 100 else 1
        if size >= 1000:
            step = 10 ** (len(str(int(size))) - 2)
        return float(max(step if not spec.unit else 1, round(value / step) * step))
    return round(value, 1) if size >= 1 else round(value, 2)


def _tell_the_story(series: dict[str, list[float]], rng: random.Random) -> None:
    """What the demo's numbers say beyond trend and noise, so that its first screens show
    something true (each series is oldest first, one value per period):

    - a lead that turned before its lag: business-review coverage sat near 45 % until eight
      months ago, then climbed to about 72 %; expansion ARR follows it two months later, so the
      declared link is supported by the data and the lag is now a win;
    - a declared link the data do not bear out: manager coaching coverage is said to drive
      regretted attrition, but the two move independently;
    - a slow slide that will miss its quarter: gross margin loses 0.3 points a month and is
      still just on target last month;
    - one team slipping: Operations' backlog, first response and resolution within a day have
      worsened for ten weeks (its check-ins say so too).
    """
    qbr = series["qbr-coverage"]
    turn = len(qbr) - 8
    for i in range(len(qbr)):
        planned = 45 if i < turn else 45 + (72 - 45) * (i - turn + 1) / 8
        qbr[i] = planned + rng.gauss(0, 2.5)
    expansion = series["expansion-arr"]
    for i in range(len(expansion)):
        expansion[i] = 30 + 1.25 * qbr[max(0, i - 2)] + rng.gauss(0, 2)
    margin = series["gross-margin"]
    slide = len(margin) - 9
    for i in range(len(margin)):
        margin[i] = 74.6 - 0.3 * max(0, i - slide) + rng.gauss(0, 0.08 if i > slide else 0.3)
    # Engineering's win: availability above its 99.9 % target month after month.
    series["uptime"] = [min(99.99, 99.94 + rng.gauss(0, 0.025)) for _ in series["uptime"]]
    for key, per_week in (("backlog", 0.04), ("first-response", 0.05), ("resolution-24h", -0.02)):
        values = series[key]
        anchor = values[-11]
        for weeks, i in enumerate(range(len(values) - 10, len(values)), start=1):
            values[i] = anchor * (1 + per_week * weeks) * (1 + rng.gauss(0, 0.01))


def _trend(spec: KpiSpec, fraction: float) -> float:
    """The underlying value at `fraction` (0 = two years ago, 1 = now) of the history."""
    return spec.start * (1 + spec.growth * fraction)


class Command(BaseCommand):
    help = "Seed the demo organisations (Acme Corp, Globex). With --if-empty, only on first run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the demo already exists."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even with DEBUG off (every demo password is public: never in production).",
        )

    def handle(
        self, *args: Any, if_empty: bool = False, force: bool = False, **options: Any
    ) -> None:
        if not settings.DEBUG and not force:
            # The demo users' password is in the README: on a real site they are open doors.
            raise CommandError(
                "seed_demo refuses to run with DEBUG off: every demo user gets a published "
                "password. Use --force only on a throwaway site."
            )
        if Organization.objects.filter(slug="acme").exists():
            if if_empty:
                self.stdout.write("Demo data already present; not seeding again.")
                return
            self.stderr.write("The demo organisation 'acme' already exists.")
            raise SystemExit(1)
        with transaction.atomic():
            self._seed_acme()
            self._seed_globex()
        self.stdout.write(
            self.style.SUCCESS(f"Demo seeded. Every demo user's password: {DEMO_PASSWORD}")
        )

    def _user(self, username: str, first: str, last: str) -> User:
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        return user

    def _seed_acme(self) -> None:
        rng = random.Random(2026)
        today = timezone.localdate()
        org = organization_create(name="Acme Corp", slug="acme", timezone="Europe/Berlin")
        users = {u: self._user(u, f, last) for u, f, last, _, _ in ACME_PEOPLE}
        for username, *_rest in ACME_PEOPLE:
            membership_set(org=org, user=users[username], role=Role.MEMBER)
        teams = {
            slug: team_create(org=org, name=name, slug=slug, lead=users[lead])
            for name, slug, lead in ACME_TEAMS
        }
        memberships = {
            username: membership_set(
                org=org, user=users[username], role=role, team=teams[team] if team else None
            )
            for username, _, _, role, team in ACME_PEOPLE
        }
        actor = memberships["admin"]
        year = fiscal_year(today, org.fiscal_year_start_month)
        priorities = {
            code: priority_create(
                org=org,
                actor=actor,
                title=title,
                perspective=perspective,
                owner=users[owner],
                rank=rank,
                horizon_start=year.start,
                horizon_end=year.end.replace(year=year.end.year + 2),
                description="",
                is_active=True,
            )
            for code, title, perspective, owner, rank in PRIORITIES
        }
        objectives: dict[str, Objective] = {}
        for code, title, team, owner, priority, parent, kind in OBJECTIVES:
            objectives[code] = objective_create(
                org=org,
                actor=actor,
                title=title,
                team=teams[team],
                owner=users[owner],
                priority=priorities[priority],
                parent=objectives.get(parent) if parent else None,
                period_kind=kind,
                period_date=today,
            )
        kpis: dict[str, Kpi] = {}
        for spec in KPIS:
            objective = objectives[spec.objective]
            kpis[spec.key] = kpi_create(
                org=org,
                actor=actor,
                key=spec.key,
                name=spec.name,
                unit=spec.unit,
                direction=spec.direction,
                kind=spec.kind,
                cadence=spec.cadence,
                objective=objective,
                outcome_owner=objective.owner,
                data_owner=users[spec.data_owner] if spec.data_owner else objective.owner,
                is_key=spec.is_key,
            )
        for spec in KPIS:
            if spec.drives:
                drives = [kpis[key] for key in spec.drives]
                kpi_update(org=org, actor=actor, kpi=kpis[spec.key], drives=drives)
        self._seed_history(org, actor, kpis, rng, today)
        self._seed_reviews(org, memberships, objectives, kpis, rng)
        self._seed_pack(org, memberships, kpis)
        seed_people_demo(org)
        # Forecasts and the lead→lag evidence from the start: the worker would make them within
        # a minute (forecasts) or at the month's turn (links), and the first visit is now.
        org_forecasts_refresh(org=org)
        org_links_refresh(org=org)

    def _seed_history(
        self,
        org: Organization,
        actor: Membership,
        kpis: dict[str, Kpi],
        rng: random.Random,
        today: dt.date,
    ) -> None:
        span_start = today - dt.timedelta(days=730)
        rows: list[RawValue] = []
        dated: dict[str, list[dt.date]] = {}
        series: dict[str, list[float]] = {}
        for spec in KPIS:
            dated[spec.key] = dates = _history_dates(spec.cadence, today)
            # Trend and noise, no shared season: one yearly wave common to every KPI would make
            # any two of them "lead" each other by the months between their peaks.
            series[spec.key] = [
                _trend(spec, (day - span_start).days / 730) * (1 + rng.gauss(0, spec.noise))
                for day in dates
            ]
        _tell_the_story(series, rng)
        for spec in KPIS:
            dates = dated[spec.key]
            for index, (day, value) in enumerate(zip(dates, series[spec.key], strict=True)):
                age = len(dates) - index
                confidence = "audited" if age > 12 else "reconciled" if age > 3 else "preliminary"
                if age == 1 and rng.random() < 0.3:
                    confidence = "estimate"
                rows.append(
                    RawValue(
                        kpi=spec.key,
                        period_date=day,
                        value=_as_measured(spec, value),
                        confidence=confidence,
                    )
                )
        # A few KPIs went quiet: the demo shows staleness.
        quiet = {"save-rate", "training-hours"}
        rows = [
            row
            for row in rows
            if not (row.kpi in quiet and row.period_date > today - dt.timedelta(days=75))
        ]
        values_ingest(org=org, rows=rows, source=Source.IMPORT)
        # Quarterly targets, in round numbers: the past quarters' imported as history (as a
        # company moving its plans into perfmgmt would), this quarter's and the next set by
        # finance through the service, so their audit trail starts here.
        quarter = fiscal_quarter(span_start, org.fiscal_year_start_month)
        current = fiscal_quarter(today, org.fiscal_year_start_month)
        horizon = fiscal_quarter(today + dt.timedelta(days=92), org.fiscal_year_start_month)
        history: list[Target] = []
        while quarter.start <= horizon.start:
            middle = quarter.start + (quarter.end - quarter.start) / 2
            fraction = (middle - span_start).days / 730
            for spec in KPIS:
                planned = _trend(spec, fraction) * spec.target_factor
                value = spec.target if spec.target is not None else _round_target(planned, spec)
                green, amber = default_thresholds(value, spec.direction)
                if quarter.start < current.start:
                    history.append(
                        Target(
                            organization=org,
                            kpi=kpis[spec.key],
                            period_start=quarter.start,
                            period_end=quarter.end,
                            value=value,
                            green_threshold=green,
                            amber_threshold=_round_target(amber, spec),
                        )
                    )
                    continue
                target_set(
                    org=org,
                    actor=actor,
                    kpi=kpis[spec.key],
                    period_start=quarter.start,
                    period_end=quarter.end,
                    value=value,
                    amber_threshold=_round_target(amber, spec),
                )
            quarter = fiscal_quarter(
                quarter.end + dt.timedelta(days=1), org.fiscal_year_start_month
            )
        with org_scope(org):
            Target.objects.bulk_create(history)

    def _seed_reviews(
        self,
        org: Organization,
        memberships: dict[str, Membership],
        objectives: dict[str, Objective],
        kpis: dict[str, Kpi],
        rng: random.Random,
    ) -> None:
        """Eight weeks of check-ins, two past reviews with decisions and actions. The Sales
        objectives stay without this week's check-in, so the lead has something to do."""
        week = current_week(org)
        history = []
        for objective in objectives.values():
            confidence = rng.randint(5, 9)
            for weeks_ago in range(8, 0, -1):
                if week - dt.timedelta(weeks=weeks_ago) < objective.period_start:
                    continue
                confidence = max(1, min(10, confidence + rng.choice([-1, 0, 0, 1])))
                if objective.team.slug == "operations":  # the team that is slipping
                    confidence = 8 - (8 - weeks_ago) // 2
                status = (
                    "on_track" if confidence >= 7 else "at_risk" if confidence >= 4 else "off_track"
                )
                history.append(
                    CheckIn(
                        organization=org,
                        objective=objective,
                        week_start=week - dt.timedelta(weeks=weeks_ago),
                        author=objective.owner,
                        status=status,
                        progress=min(100, 10 * (9 - weeks_ago) + rng.randint(0, 10)),
                        confidence=confidence,
                        reason=""
                        if confidence > 4 and status != "off_track"
                        else "Pipeline slipped",
                        next_steps="Review the forecast with the team",
                    )
                )
        with org_scope(org):
            # Past weeks are closed (the service locks them), so history is imported as rows.
            CheckIn.objects.bulk_create(history)
        by_user = {m.user_id: m for m in memberships.values()}
        for code, objective in objectives.items():
            if objective.team.slug in ("sales", "finance"):
                continue
            checkin_submit(
                org=org,
                actor=by_user[objective.owner_id],
                objective=objective,
                week_start=week,
                **THIS_WEEK.get(code, THIS_WEEK["*"]),
            )
        ceo = memberships["ceo"]
        this_month = timezone.localdate().replace(day=1)
        for months_ago in (2, 1):
            # Each month's business review, held on its working day early in the month after.
            held_on = review_day(add_months(this_month, -months_ago - 1))
            meeting = meeting_create(org=org, actor=ceo, kind="monthly", held_on=held_on)
            decision_record(
                org=org, actor=ceo, meeting=meeting, text="Shift two engineers to onboarding."
            )
            action_create(
                org=org,
                actor=ceo,
                meeting=meeting,
                title="Review churn drivers with Customer Success",
                owner=memberships["lead.cs"].user,
                due_date=held_on + dt.timedelta(days=21),
                kpi=kpis["logo-churn"],
            )
        action_create(
            org=org,
            actor=ceo,
            title="Rebuild the DACH pipeline forecast",
            owner=memberships["lead"].user,
            due_date=week + dt.timedelta(days=4),
            objective=objectives["o7"],
        )

    def _seed_pack(
        self, org: Organization, memberships: dict[str, Membership], kpis: dict[str, Kpi]
    ) -> None:
        """What last month's pack shows: most owners wrote their commentary (a few did not, so
        the CFO has someone to chase), and finance moved one target while its quarter ran."""
        month = last_closed_month(org)
        by_user = {m.user_id: m for m in memberships.values()}
        due = commentary_due_kpis(org=org, month=month)
        for index, (found, _) in enumerate(due):
            if index % 4 == 3:
                continue  # left unwritten
            kpi = found.kpi
            analysis, next_step = COMMENTARY.get(kpi.key) or COMMENTARY_BY_STATUS[found.current.rag]
            commentary_save(
                org=org,
                actor=by_user[kpi.outcome_owner_id],
                kpi=kpi,
                month=month,
                analysis=analysis,
                next_step=next_step,
            )
        quarter = fiscal_quarter(timezone.localdate(), org.fiscal_year_start_month)
        with org_scope(org):
            target = kpis["sales-cycle"].targets.get(period_start=quarter.start)
        target_set(
            org=org,
            actor=memberships["cfo"],
            kpi=kpis["sales-cycle"],
            period_start=quarter.start,
            period_end=quarter.end,
            value=round(target.value * 1.1),
        )
        # And after the review of the month before, finance revised its revenue: two renewals
        # were booked late. The audit log's "values revised after the review" shows who.
        reviewed = add_months(month, -1)
        with org_scope(org):
            booked = kpis["arr"].values.get(period_date=reviewed)
        metric_value_record(
            org=org,
            actor=memberships["cfo"],
            kpi=kpis["arr"],
            period_date=reviewed,
            value=round(booked.value + 0.12, 2),
            confidence="reconciled",
            note="Two renewals booked late into the month",
        )

    def _seed_globex(self) -> None:
        org = organization_create(name="Globex", slug="globex", timezone="America/New_York")
        owner = self._user("globex", "Grace", "Globex")
        admin = membership_set(org=org, user=owner, role=Role.ADMIN)
        consultant = self._user("consultant", "Chris", "Consultant")
        membership_set(org=org, user=consultant, role=Role.VIEWER)
        acme = Organization.objects.get(slug="acme")
        membership_set(org=acme, user=consultant, role=Role.VIEWER)
        team = team_create(org=org, name="Whole company", slug="company", lead=owner)
        today = timezone.localdate()
        year = fiscal_year(today, org.fiscal_year_start_month)
        priority = priority_create(
            org=org,
            actor=admin,
            title="Become profitable",
            perspective=Perspective.FINANCIAL,
            owner=owner,
            rank=1,
            horizon_start=year.start,
            horizon_end=year.end,
            description="",
            is_active=True,
        )
        objective = objective_create(
            org=org,
            actor=admin,
            title="Break even by year end",
            team=team,
            owner=owner,
            priority=priority,
            period_kind="year",
            period_date=today,
        )
        kpi = kpi_create(
            org=org,
            actor=admin,
            key="ebitda",
            name="EBITDA",
            unit="$k",
            kind="lag",
            cadence="monthly",
            direction="higher",
            objective=objective,
            outcome_owner=owner,
            data_owner=owner,
            is_key=True,
        )
        values_ingest(
            org=org,
            source=Source.IMPORT,
            rows=[
                RawValue(kpi=kpi.key, period_date=day, value=-120 + 10 * i, confidence="reconciled")
                for i, day in enumerate(_history_dates("monthly", today, years=1))
            ],
        )
