"""The pack as data: everything the PDF and the workbook show, read once, as plain JSON.

`pack_data` is what a pack stores as its snapshot: the files are drawn from it, a presented
pack keeps it unchanged, and the same data always gives the same snapshot (everything is
ordered, nothing depends on the clock but the month reported). Every sentence of the
narrative is built from numbers the same snapshot prints.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count, Max, Q

from metrics.forecasting.outlook import Outlook
from metrics.forecasting.selectors import kpi_outlooks
from metrics.formats import (
    day_label,
    fmt_share,
    fmt_value,
    fmt_variance,
    month_label,
)
from metrics.models import Confidence, Kpi, KpiLink, MetricValue, Rag
from metrics.rag import favourable, rollup
from metrics.selectors import target_moves
from metrics.windows import WindowValue, month_end
from objectives.models import Objective, Perspective, StrategicPriority
from objectives.selectors import running_q
from perfmgmt.history import ACTIONS
from perfmgmt.models import Membership, Organization
from perfmgmt.periods import (
    Cadence,
    fiscal_quarter,
    fiscal_year,
    working_days_after,
    working_days_before,
)
from perfmgmt.selectors import display_name
from perfmgmt.tenancy import org_scope
from reviews.learning import miss_split, missed_periods
from reviews.models import (
    ActionItem,
    ActionStatus,
    CheckIn,
    Decision,
    KpiCommentary,
    ReviewMeeting,
)
from reviews.packs.charts import trend_svg
from reviews.packs.numbers import KpiMonth, kpi_months, needs_commentary

RAG_KEYS = (Rag.GREEN, Rag.AMBER, Rag.RED, Rag.NONE)
RAG_SHAPES = {Rag.GREEN: "●", Rag.AMBER: "▲", Rag.RED: "■", Rag.NONE: "○"}
NOT_IN_CASCADE = "unaligned"
MOVERS = 5
MISSES_PER_PERSPECTIVE = 3


def scope_key(teams: Sequence[str], perspectives: Sequence[str]) -> str:
    """The filters, canonical: the same choice in any order is the same pack."""
    parts = [f"team:{t}" for t in sorted(set(teams))]
    parts += [f"perspective:{p}" for p in sorted(set(perspectives))]
    return ";".join(parts)


def scoped_kpis(
    *, org: Organization, teams: Sequence[str], perspectives: Sequence[str]
) -> list[Kpi]:
    with org_scope(org):
        kpis = Kpi.objects.select_related(
            "objective__team", "objective__priority", "outcome_owner", "data_owner"
        ).order_by("name", "pk")
        if teams:
            kpis = kpis.filter(objective__team__slug__in=teams)
        if perspectives:
            kpis = kpis.filter(objective__priority__perspective__in=perspectives)
        return list(kpis)


def _window(window: WindowValue, unit: str) -> dict[str, Any]:
    target = window.target
    return {
        "start": window.start.isoformat(),
        "end": window.end.isoformat(),
        "value": window.value,
        "value_text": fmt_value(window.value, unit),
        "target": target.value if target else None,
        "target_text": fmt_value(target.value if target else None, unit),
        "green": target.green if target else None,
        "amber": target.amber if target else None,
        "rag": str(window.rag),
        "rag_label": window.rag_label,
        "rag_shape": RAG_SHAPES[window.rag],
        "variance": window.variance,
        "variance_text": fmt_variance(window.variance, window.favourable),
        "favourable": window.favourable,
        "confidence": window.confidence,
        "confidence_label": Confidence(window.confidence).label if window.confidence else "—",
        "periods": window.periods,
        "expected": window.expected,
    }


def _period_labels(kpi: Kpi, found: KpiMonth, fy_start_month: int) -> list[str]:
    if kpi.cadence == Cadence.QUARTERLY:
        return [fiscal_quarter(w.start, fy_start_month).label for w in found.periods]
    return [f"{w.start:%b %Y}" for w in found.periods]


def _kpi_row(
    found: KpiMonth,
    *,
    commentary: KpiCommentary | None,
    leads: list[str],
    lags: list[str],
    fy_start_month: int,
) -> dict[str, Any]:
    kpi, unit = found.kpi, found.kpi.unit
    labels = _period_labels(kpi, found, fy_start_month)
    outlook = found.outlook
    return {
        "id": str(kpi.pk),
        "key": kpi.key,
        "name": kpi.name,
        "unit": unit,
        "direction": kpi.direction,
        "direction_label": kpi.get_direction_display(),
        "kind": kpi.kind,
        "kind_label": kpi.get_kind_display(),
        "cadence": kpi.cadence,
        "aggregation": kpi.aggregation,
        "aggregation_label": kpi.get_aggregation_display(),
        "is_key": kpi.is_key,
        "owner": display_name(kpi.outcome_owner),
        "owner_id": kpi.outcome_owner_id,
        "data_owner": display_name(kpi.data_owner),
        "team": kpi.objective.team.name if kpi.objective else "",
        "objective": kpi.objective.title if kpi.objective else "",
        "period_label": labels[-1],
        "month": _window(found.current, unit),
        "prior": _window(found.prior, unit),
        "prior_label": labels[-2],
        "last_year": _window(found.last_year, unit),
        "last_year_label": labels[0],
        "ytd": _window(found.ytd, unit),
        "outlook": {
            "value": outlook.value,
            "value_text": fmt_value(outlook.value, unit),
            "target": outlook.target,
            "target_text": fmt_value(outlook.target, unit),
            "favourable": outlook.favourable,
            "method": outlook.method,
        }
        if outlook
        else None,
        "trend": found.trend,
        "off_run": found.off_run,
        "kinds": [str(kind) for kind in found.kinds],
        "kind_labels": [kind.label for kind in found.kinds],
        "values": [
            [r.period_date.isoformat(), r.value, Confidence(r.confidence).label]
            for r in found.readings
        ],
        "history": [
            {"label": label, "value": w.value, "target": w.target.value if w.target else None}
            for label, w in zip(labels, found.periods, strict=True)
        ],
        "chart": trend_svg(kpi.name, unit, found.periods, labels) if kpi.is_key else "",
        "leads": leads,
        "lags": lags,
        "needs_commentary": needs_commentary(found),
        "commentary": {
            "analysis": commentary.analysis,
            "next_step": commentary.next_step,
            "author": display_name(commentary.author),
            "updated_at": commentary.updated_at.isoformat(),
        }
        if commentary
        else None,
    }


def _status(rows: Sequence[dict]) -> dict[str, Any]:
    """The group's status by the roll-up rule (metrics.rag.rollup), as the pages show it."""
    found = rollup((row["month"]["rag"], row["is_key"]) for row in rows)
    return {
        "rag": str(found.rag),
        "label": found.rag_label,
        "shape": RAG_SHAPES[found.rag],
        "on_target": found.on_target,
        "worst_label": found.worst_label,
    }


def _unexplained(rows: Sequence[dict]) -> list[dict]:
    """The rows whose owner owes commentary and has not written it."""
    return [
        {"name": row["name"], "owner": row["owner"]}
        for row in rows
        if row["needs_commentary"] and row["commentary"] is None
    ]


def _counts(rows: Sequence[dict]) -> dict[str, int]:
    counted = Counter(row["month"]["rag"] for row in rows)
    return {str(key): counted.get(str(key), 0) for key in RAG_KEYS}


def _lead_sentence(lead: dict) -> str:
    history = [h["value"] for h in lead["history"] if h["value"] is not None][-3:]
    if len(history) < 2:
        return f"Its lead indicator {lead['name']} has too few values to show a trend."
    change = f"{fmt_value(history[0], lead['unit'])} → {fmt_value(history[-1], lead['unit'])}"
    if lead["trend"] in ("improving", "worsening"):
        return (
            f"Its lead indicator {lead['name']} is {lead['trend']} ({change} over the last "
            f"{len(history)} periods)."
        )
    return f"Its lead indicator {lead['name']} shows no steady trend ({change})."


def perspective_narrative(label: str, rows: Sequence[dict], by_name: dict[str, dict]) -> list[str]:
    """Sentences about one perspective, each made of numbers the pack prints."""
    if not rows:
        return [f"{label}: no KPIs in this pack."]
    counts = _counts(rows)
    sentence = (
        f"{label}: {counts['green']} of {len(rows)} KPIs on target, {counts['amber']} at risk, "
        f"{counts['red']} off target"
    )
    sentences = [sentence + (f", {counts['none']} without data." if counts["none"] else ".")]
    misses = sorted(
        (r for r in rows if r["month"]["rag"] == Rag.RED),
        key=lambda r: (-abs(r["month"]["variance"] or 0), r["name"]),
    )
    for row in misses[:MISSES_PER_PERSPECTIVE]:
        month = row["month"]
        text = f"{row['name']} was {month['value_text']} against a target of {month['target_text']}"
        if month["variance"] is not None:
            text += f" ({month['variance_text']})"
        if row["off_run"] > 1:
            text += f", off target for {row['off_run']} periods running"
        sentences.append(text + ".")
        for lead_name in row["leads"][:2]:
            if lead_name in by_name:
                sentences.append(_lead_sentence(by_name[lead_name]))
    beats = [
        r
        for r in rows
        if r["month"]["rag"] == Rag.GREEN and r["month"]["favourable"] and r["month"]["variance"]
    ]
    if beats:
        best = max(beats, key=lambda r: (abs(r["month"]["variance"]), r["name"]))
        sentences.append(
            f"{best['name']} beat its target of {best['month']['target_text']} by "
            f"{fmt_share(abs(best['month']['variance']))[1:]}."
        )
    return sentences


def _movers(rows: Sequence[dict]) -> list[dict]:
    moved = []
    for row in rows:
        now, before = row["month"]["value"], row["prior"]["value"]
        if now is None or before is None or before == 0 or now == before:
            continue
        change = (now - before) / abs(before)
        better = bool(favourable(now, before, row["direction"]))
        moved.append(
            {
                "id": row["id"],
                "name": row["name"],
                "from": row["prior"]["value_text"],
                "to": row["month"]["value_text"],
                "change": change,
                "text": f"{fmt_share(change)}, {'better' if better else 'worse'}",
                "better": better,
            }
        )
    moved.sort(key=lambda m: (-abs(m["change"]), m["name"]))
    return moved[:MOVERS]


def _why(row: dict) -> str:
    month = row["month"]
    if month["value"] is None:
        return f"No value for {row['period_label']}."
    text = f"{month['value_text']} against {month['target_text']}"
    if row["off_run"] > 1:
        text += f"; off target {row['off_run']} periods running"
    if "deteriorating" in row["kinds"]:
        text += "; worse three periods in a row"
    return text + "."


def _checkins(org: Organization, objective_ids: list, end: dt.date) -> dict[uuid.UUID, CheckIn]:
    with org_scope(org):
        return {
            c.objective_id: c
            for c in CheckIn.objects.filter(objective_id__in=objective_ids, week_start__lte=end)
            .order_by("objective_id", "-week_start")
            .distinct("objective_id")
        }


def _links(org: Organization, ids: list) -> tuple[dict, dict]:
    leads: dict[uuid.UUID, list[str]] = defaultdict(list)
    lags: dict[uuid.UUID, list[str]] = defaultdict(list)
    with org_scope(org):
        links = KpiLink.objects.filter(Q(lead_id__in=ids) | Q(lag_id__in=ids)).select_related(
            "lead", "lag"
        )
        for link in links.order_by("lead__name", "lag__name"):
            leads[link.lag_id].append(link.lead.name)
            lags[link.lead_id].append(link.lag.name)
    return leads, lags


def _meetings(org: Organization, month: dt.date, teams: Sequence[str]) -> list[dict]:
    with org_scope(org):
        held = ReviewMeeting.objects.filter(
            held_on__gte=month, held_on__lte=month_end(month)
        ).select_related("team")
        if teams:
            held = held.filter(Q(team__slug__in=teams) | Q(team=None))
        meetings = list(held.order_by("held_on", "created_at"))
        decisions = defaultdict(list)
        for decision in Decision.objects.filter(meeting__in=meetings).order_by("created_at"):
            decisions[decision.meeting_id].append(decision.text)
        actions = defaultdict(list)
        for action in (
            ActionItem.objects.filter(meeting__in=meetings, status=ActionStatus.OPEN)
            .select_related("owner", "kpi")
            .order_by("due_date", "title")
        ):
            actions[action.meeting_id].append(
                {
                    "title": action.title,
                    "owner": display_name(action.owner),
                    "due": action.due_date.isoformat(),
                    "due_text": day_label(action.due_date),
                    "kpi": action.kpi.name if action.kpi else "",
                }
            )
    return [
        {
            "title": meeting.get_kind_display()
            + (f" — {meeting.team.name}" if meeting.team else ""),
            "held_on": meeting.held_on.isoformat(),
            "held_on_text": day_label(meeting.held_on),
            "decisions": decisions[meeting.pk],
            "actions": actions[meeting.pk],
        }
        for meeting in meetings
    ]


def _outlooks(org: Organization, kpis: list[Kpi]) -> list[dict[str, Any]]:
    """The early warning as the pack is made: each KPI whose target running today is at risk
    or will be missed by its period's end, by the forecast, least likely to meet it first."""
    by_id = {k.pk: k for k in kpis}
    found = [
        (by_id[pk], outlook)
        for pk, outlook in kpi_outlooks(org=org, kpis=kpis).items()
        if not outlook.observed
        and outlook.probability is not None
        and outlook.outlook in (Outlook.AT_RISK, Outlook.WILL_MISS)
    ]
    found.sort(key=lambda item: (item[1].probability or 0.0, item[0].name))
    return [
        {
            "kpi": kpi.name,
            "outlook": outlook.outlook_label,
            "probability": round(outlook.probability or 0.0, 3),
            "probability_text": f"{outlook.probability or 0.0:.0%}",
            "projected": fmt_value(outlook.projected, kpi.unit),
            "period": month_label(outlook.period_date),
        }
        for kpi, outlook in found
    ]


def _misses(org: Organization, kpis: list[Kpi], month: dt.date) -> dict[str, Any]:
    """The learning loop as of the month's end: period targets missed, why, and the split."""
    misses = missed_periods(org=org, kpis=kpis, today=month_end(month) + dt.timedelta(days=1))
    return {
        "split": miss_split(misses),
        "items": [
            {
                "kpi": m.kpi.name,
                "period": f"{day_label(m.target.period_start)} – {day_label(m.target.period_end)}",
                "target": fmt_value(m.target.value, m.kpi.unit),
                "actual": fmt_value(m.actual, m.kpi.unit),
                "cause": m.reason.get_cause_display() if m.reason else "Not explained yet",
                "next_step": m.reason.next_step if m.reason else "",
            }
            for m in misses
        ],
    }


def _moved_targets(org: Organization, kpis: dict, month: dt.date) -> list[dict]:
    """Targets of the month moved while their period ran, oldest first: from the audit trail."""
    moves = target_moves(
        org=org,
        kpi_ids=list(kpis),
        overlapping=(month, month_end(month)),
        mid_period_only=True,
    )
    moved = []
    for move in reversed(moves):
        kpi = kpis[move.kpi_id]
        moved.append(
            {
                "kpi": kpi.name,
                "period": f"{day_label(move.period_start)} – {day_label(move.period_end)}",
                "who": move.change.actor,
                "when": move.change.at.isoformat(),
                "when_text": day_label(move.change.at),
                "action": ACTIONS[move.change.action],
                "from": fmt_value(move.old_value, kpi.unit),
                "to": fmt_value(move.new_value, kpi.unit)
                if move.new_value is not None
                else "deleted",
            }
        )
    return moved


def _data_quality(org: Organization, kpis: list[Kpi], month: dt.date, rows: list[dict]) -> dict:
    ids = [k.pk for k in kpis]
    with org_scope(org):
        grades = dict(
            MetricValue.objects.filter(
                kpi_id__in=ids, period_date__gte=month, period_date__lte=month_end(month)
            )
            .values_list("confidence")
            .annotate(n=Count("id"))
            .values_list("confidence", "n")
        )
        active = set(
            Membership.objects.filter(user__is_active=True).values_list("user_id", flat=True)
        )
    total = sum(grades.values())
    return {
        "total": total,
        "by_confidence": [
            {
                "grade": grade,
                "label": label,
                "count": grades.get(grade, 0),
                "share": grades.get(grade, 0) / total if total else 0.0,
            }
            for grade, label in Confidence.choices
        ],
        "stale": [row["name"] for row in rows if row["month"]["value"] is None],
        "no_data_owner": [k.name for k in kpis if k.data_owner_id not in active],
    }


def data_as_of(*, org: Organization, kpis: Sequence[Kpi], month: dt.date) -> dt.datetime | None:
    """The newest change among the values and commentary the pack reads."""
    ids = [k.pk for k in kpis]
    with org_scope(org):
        values = MetricValue.objects.filter(
            kpi_id__in=ids, period_date__lte=month_end(month)
        ).aggregate(at=Max("updated_at"))["at"]
        words = KpiCommentary.objects.filter(kpi_id__in=ids, month=month).aggregate(
            at=Max("updated_at")
        )["at"]
    moments = [m for m in (values, words) if m is not None]
    return max(moments) if moments else None


def pack_data(
    *,
    org: Organization,
    month: dt.date,
    teams: Sequence[str] = (),
    perspectives: Sequence[str] = (),
) -> dict[str, Any]:
    """The whole pack for `month` (its first day), narrowed to some teams or perspectives."""
    kpis = scoped_kpis(org=org, teams=teams, perspectives=perspectives)
    ids = [k.pk for k in kpis]
    found = kpi_months(org=org, kpis=kpis, month=month)
    leads, lags = _links(org, ids)
    with org_scope(org):
        commentary = {
            c.kpi_id: c
            for c in KpiCommentary.objects.filter(kpi_id__in=ids, month=month).select_related(
                "author"
            )
        }
        chosen = StrategicPriority.objects.select_related("owner").filter(
            Q(is_active=True) | Q(objectives__kpis__in=ids)
        )
        if perspectives:
            chosen = chosen.filter(perspective__in=perspectives)
        priorities = list(chosen.distinct().order_by("rank", "title", "pk"))
        running = Objective.objects.filter(
            running_q(month, month_end(month)), priority__in=priorities
        ).select_related("team", "owner")
        if teams:
            running = running.filter(team__slug__in=teams)
        objectives = list(running.order_by("title", "pk"))
    fy_start = org.fiscal_year_start_month
    rows = {
        kpi.pk: _kpi_row(
            found[kpi.pk],
            commentary=commentary.get(kpi.pk),
            leads=leads.get(kpi.pk, []),
            lags=lags.get(kpi.pk, []),
            fy_start_month=fy_start,
        )
        for kpi in kpis
    }
    checkins = _checkins(org, [o.pk for o in objectives], month_end(month))
    order = {value: i for i, value in enumerate(Perspective.values)}
    priorities.sort(key=lambda p: (order.get(p.perspective, 99), p.rank, p.title, str(p.pk)))
    sections = []
    for priority in priorities:
        section_kpis = [
            rows[k.pk] for k in kpis if k.objective and k.objective.priority_id == priority.pk
        ]
        section_objectives = [o for o in objectives if o.priority_id == priority.pk]
        if not section_kpis and not section_objectives:
            continue
        sections.append(
            {
                "id": str(priority.pk),
                "title": priority.title,
                "perspective": priority.perspective,
                "perspective_label": priority.get_perspective_display(),
                "owner": display_name(priority.owner),
                "objectives": [_objective(o, checkins.get(o.pk)) for o in section_objectives],
                "kpis": section_kpis,
                "counts": _counts(section_kpis),
                "status": _status(section_kpis),
                "missing_commentary": _unexplained(section_kpis),
            }
        )
    unaligned = [rows[k.pk] for k in kpis if k.objective is None]
    by_perspective: dict[str, list[dict]] = defaultdict(list)
    for kpi in kpis:
        key = kpi.objective.priority.perspective if kpi.objective else NOT_IN_CASCADE
        by_perspective[key].append(rows[kpi.pk])
    by_name = {row["name"]: row for row in rows.values()}
    labels = dict(Perspective.choices) | {NOT_IN_CASCADE: "Not in the cascade"}
    summary = [
        {
            "key": key,
            "label": labels[key],
            "counts": _counts(by_perspective[key]),
            "status": _status(by_perspective[key]),
            "total": len(by_perspective[key]),
            "narrative": perspective_narrative(labels[key], by_perspective[key], by_name),
        }
        for key in [*Perspective.values, NOT_IN_CASCADE]
        if by_perspective[key] or (key != NOT_IN_CASCADE and not perspectives)
    ]
    all_rows = [rows[k.pk] for k in kpis]
    with org_scope(org):
        acted_on = set(
            ActionItem.objects.filter(status=ActionStatus.OPEN, kpi_id__in=ids).values_list(
                "kpi_id", flat=True
            )
        )
    year = fiscal_year(month, fy_start)
    return {
        "org": {"name": org.name, "slug": org.slug},
        "month": month.isoformat(),
        "month_label": month_label(month),
        "fiscal_year": {
            "label": year.label,
            "start": year.start.isoformat(),
            "end": year.end.isoformat(),
        },
        "filters": {
            "teams": sorted(set(teams)),
            "perspectives": [labels[p] for p in sorted(set(perspectives))],
        },
        "totals": _counts(all_rows),
        "kpi_count": len(all_rows),
        "summary": summary,
        "movers": _movers(all_rows),
        "exceptions": [
            {"id": row["id"], "name": row["name"], "kinds": row["kind_labels"], "why": _why(row)}
            for row in all_rows
            if row["kinds"]
        ],
        "sections": sections,
        "unaligned": unaligned,
        "unaligned_missing": _unexplained(unaligned),
        "missing_commentary": _unexplained(all_rows),
        "moved_targets": _moved_targets(org, {k.pk: k for k in kpis}, month),
        "misses": _misses(org, kpis, month),
        "outlooks": _outlooks(org, kpis),
        "meetings": _meetings(org, month, teams),
        "red_without_action": [
            row["name"]
            for kpi, row in zip(kpis, all_rows, strict=True)
            if row["month"]["rag"] == Rag.RED and kpi.pk not in acted_on
        ],
        "data_quality": _data_quality(org, kpis, month, all_rows),
    }


def _objective(objective: Objective, checkin: CheckIn | None) -> dict[str, Any]:
    return {
        "title": objective.title,
        "team": objective.team.name,
        "owner": display_name(objective.owner),
        "checkin": {
            "status": checkin.status,
            "status_label": checkin.get_status_display(),
            "confidence": checkin.confidence,
            "progress": checkin.progress,
            "week": checkin.week_start.isoformat(),
            "week_text": day_label(checkin.week_start),
        }
        if checkin
        else None,
    }


def commentary_due_kpis(
    *, org: Organization, month: dt.date, user: User | None = None
) -> list[tuple[KpiMonth, KpiCommentary | None]]:
    """The KPIs whose owner explains `month` (key, amber or red), with what was written;
    only those `user` owns when given."""
    with org_scope(org):
        owned = Kpi.objects.select_related("objective__team", "outcome_owner", "data_owner")
        if user is not None:
            owned = owned.filter(outcome_owner=user)
        kpis = list(owned.order_by("name", "pk"))
    found = kpi_months(org=org, kpis=kpis, month=month)
    with org_scope(org):
        written = {
            c.kpi_id: c
            for c in KpiCommentary.objects.filter(kpi__in=kpis, month=month).select_related(
                "author"
            )
        }
    return [(found[k.pk], written.get(k.pk)) for k in kpis if needs_commentary(found[k.pk])]


def review_day(month: dt.date) -> dt.date:
    """The monthly business review of `month`: PACK_REVIEW_WORKING_DAY working days into the
    next month."""
    return working_days_after(month_end(month), settings.PACK_REVIEW_WORKING_DAY)


def commentary_due_date(month: dt.date) -> dt.date:
    """Owners' commentary on `month` is due PACK_COMMENTARY_DUE_WORKING_DAYS working days
    before the review."""
    return working_days_before(review_day(month), settings.PACK_COMMENTARY_DUE_WORKING_DAYS)
