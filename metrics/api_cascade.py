"""API: the cascade as one document, priorities → objectives → KPIs with their status."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from metrics.cascade import ObjectiveNode, cascade_get
from metrics.selectors import KpiStatus
from perfmgmt.api import OrgAPIView


def _status_doc(status_: KpiStatus) -> dict:
    latest, target = status_.latest, status_.target
    return {
        "id": str(status_.kpi.pk),
        "key": status_.kpi.key,
        "name": status_.kpi.name,
        "kind": status_.kpi.kind,
        "unit": status_.kpi.unit,
        "is_key": status_.kpi.is_key,
        "latest": None
        if latest is None
        else {
            "period_date": latest.period_date.isoformat(),
            "value": latest.value,
            "confidence": latest.confidence,
        },
        "target": None if target is None else {"value": target.value},
        "rag": status_.rag,
        "stale": status_.stale,
    }


def _objective_doc(node: ObjectiveNode) -> dict:
    objective = node.objective
    return {
        "id": str(objective.pk),
        "title": objective.title,
        "team": objective.team.slug,
        "owner": objective.owner.username,
        "period_start": objective.period_start.isoformat(),
        "period_end": objective.period_end.isoformat(),
        "kpis": [_status_doc(s) for s in node.kpis],
        "children": [_objective_doc(child) for child in node.children],
    }


class CascadeAPI(OrgAPIView):
    """Priorities by perspective → objectives (any depth) → KPIs with status, in one document."""

    @extend_schema(responses={200: dict})
    def get(self, request: Request, org_slug: str) -> Response:
        cascade = cascade_get(org=self.org)
        return Response(
            {
                "organization": self.org.slug,
                "perspectives": [
                    {
                        "perspective": group.perspective.value,
                        "priorities": [
                            {
                                "id": str(node.priority.pk),
                                "title": node.priority.title,
                                "rank": node.priority.rank,
                                "owner": node.priority.owner.username,
                                "objectives": [_objective_doc(o) for o in node.objectives],
                            }
                            for node in group.priorities
                        ],
                    }
                    for group in cascade.perspectives
                ],
                "unaligned_kpis": [_status_doc(s) for s in cascade.unaligned_kpis],
                "too_many_priorities": cascade.too_many_priorities,
            }
        )
