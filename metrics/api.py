"""API for KPIs, targets and metric values, including the bulk ingestion endpoint."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from metrics import services
from metrics.ingestion import BatchRejected, IngestionBusy, values_from_objects, values_ingest
from metrics.models import Confidence, Kpi, KpiKind, MetricValue, Source, Target
from metrics.selectors import kpi_by_ref, kpi_get, kpi_list
from objectives.api import MemberField, ScopedPkField
from objectives.models import Objective, Perspective
from perfmgmt.api import FiniteFloatField, IdCursorPagination, OrgAPIView, idempotent


class KpiSerializer(serializers.ModelSerializer):
    objective = ScopedPkField(Objective, required=False, allow_null=True)
    outcome_owner = MemberField()
    data_owner = MemberField()
    drives = ScopedPkField(Kpi, many=True, required=False)

    class Meta:
        model = Kpi
        fields = ["id", *services.KPI_FIELDS, "drives", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators: list = []  # key uniqueness is the service's rule, per organisation


class KpiFilter(django_filters.FilterSet):
    team = django_filters.CharFilter(field_name="objective__team__slug")
    owner = django_filters.CharFilter(field_name="outcome_owner__username")
    kind = django_filters.ChoiceFilter(choices=KpiKind.choices)
    perspective = django_filters.ChoiceFilter(
        field_name="objective__priority__perspective", choices=Perspective.choices
    )
    is_key = django_filters.BooleanFilter()


def _filtered(filterset: django_filters.FilterSet) -> Any:
    if not filterset.is_valid():
        raise exceptions.ValidationError(filterset.errors)
    return filterset.qs


class KpiListAPI(OrgAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("team", str),
            OpenApiParameter("owner", str),
            OpenApiParameter("kind", str, enum=KpiKind.values),
            OpenApiParameter("perspective", str, enum=Perspective.values),
            OpenApiParameter("is_key", bool),
        ],
        responses=KpiSerializer(many=True),
    )
    def get(self, request: Request, org_slug: str) -> Response:
        kpis = _filtered(KpiFilter(request.query_params, queryset=kpi_list(org=self.org)))
        paginator = IdCursorPagination()
        page = paginator.paginate_queryset(kpis.prefetch_related("drives"), request, view=self)
        return paginator.get_paginated_response(KpiSerializer(page, many=True).data)

    @extend_schema(request=KpiSerializer, responses={201: KpiSerializer})
    @idempotent
    def post(self, request: Request, org_slug: str) -> Response:
        data = KpiSerializer(data=request.data, context={"org": self.org})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        drives = fields.pop("drives", [])
        kpi = services.kpi_create(org=self.org, actor=self.actor(), drives=drives, **fields)
        return Response(KpiSerializer(kpi).data, status=status.HTTP_201_CREATED)


class KpiDetailAPI(OrgAPIView):
    @extend_schema(responses=KpiSerializer)
    def get(self, request: Request, org_slug: str, kpi_id: str) -> Response:
        return Response(KpiSerializer(kpi_get(org=self.org, kpi_id=kpi_id)).data)

    @extend_schema(request=KpiSerializer, responses=KpiSerializer)
    def patch(self, request: Request, org_slug: str, kpi_id: str) -> Response:
        kpi = kpi_get(org=self.org, kpi_id=kpi_id)
        data = KpiSerializer(kpi, data=request.data, partial=True, context={"org": self.org})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        drives = fields.pop("drives", None)
        kpi = services.kpi_update(
            org=self.org, actor=self.actor(), kpi=kpi, drives=drives, **fields
        )
        return Response(KpiSerializer(kpi).data)


@extend_schema_field(OpenApiTypes.STR)
class KpiRefField(serializers.Field):
    """A KPI by id or by its org-unique key."""

    def to_internal_value(self, data: Any) -> Kpi:
        if not isinstance(data, str):
            raise serializers.ValidationError("Give the KPI's id or key as a string.")
        found = kpi_by_ref(org=self.context["org"], ref=data)
        if found is None:
            raise serializers.ValidationError(f"No KPI {data!r} in this organisation.")
        return found

    def to_representation(self, value: Kpi) -> str:
        return str(value.pk)


class TargetSerializer(serializers.ModelSerializer):
    kpi = KpiRefField()
    value = FiniteFloatField()
    green_threshold = FiniteFloatField(required=False, allow_null=True, default=None)
    amber_threshold = FiniteFloatField(required=False, allow_null=True, default=None)

    class Meta:
        model = Target
        fields = [
            "id",
            "kpi",
            "period_start",
            "period_end",
            "value",
            "green_threshold",
            "amber_threshold",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]
        validators: list = []


class TargetListAPI(OrgAPIView):
    @extend_schema(parameters=[OpenApiParameter("kpi", str)], responses=TargetSerializer(many=True))
    def get(self, request: Request, org_slug: str) -> Response:
        targets = Target.objects.all()
        if "kpi" in request.query_params:
            targets = targets.filter(kpi=_kpi_param(self, request))
        paginator = IdCursorPagination()
        page = paginator.paginate_queryset(targets, request, view=self)
        return paginator.get_paginated_response(TargetSerializer(page, many=True).data)

    @extend_schema(request=TargetSerializer, responses={201: TargetSerializer})
    @idempotent
    def post(self, request: Request, org_slug: str) -> Response:
        """Set the target of a KPI for a period (creating it, or moving it: audited)."""
        data = TargetSerializer(data=request.data, context={"org": self.org})
        data.is_valid(raise_exception=True)
        target = services.target_set(org=self.org, actor=self.actor(), **data.validated_data)
        return Response(TargetSerializer(target).data, status=status.HTTP_201_CREATED)


def _kpi_param(view: OrgAPIView, request: Request) -> Kpi:
    ref = request.query_params["kpi"]
    kpi = kpi_by_ref(org=view.org, ref=ref)
    if kpi is None:
        raise exceptions.ValidationError({"kpi": f"No KPI {ref!r} in this organisation."})
    return kpi


class ValueSerializer(serializers.ModelSerializer):
    kpi = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = MetricValue
        fields = [
            "kpi",
            "period_date",
            "value",
            "confidence",
            "source",
            "note",
            "measured_at",
            "updated_at",
        ]


class ValueInSerializer(serializers.Serializer):
    """One value. `period_date` may be any day of the KPI's cadence period."""

    kpi = serializers.CharField(help_text="The KPI's id or its org-unique key.")
    period_date = serializers.DateField()
    value = serializers.FloatField()
    confidence = serializers.ChoiceField(choices=Confidence.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    measured_at = serializers.DateTimeField(required=False, allow_null=True)


class ValueCursorPagination(IdCursorPagination):
    page_size = 500
    max_page_size = 5000
    ordering = ("-period_date", "-id")


def _date_param(request: Request, name: str) -> dt.date | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise exceptions.ValidationError({name: "Use a date in the form YYYY-MM-DD."}) from exc


INGEST_RESULT = inline_serializer(
    "IngestResult",
    {
        "received": serializers.IntegerField(),
        "inserted": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
    },
)


def _ingest(view: OrgAPIView, items: Any) -> Response:
    """The one ingestion service; a key writes as itself, a person as their membership."""
    if not isinstance(items, list):
        raise exceptions.ValidationError({"values": "Send a list of value objects."})
    if len(items) > settings.API_MAX_BATCH:
        raise exceptions.ValidationError(
            {"values": f"At most {settings.API_MAX_BATCH} values per request ({len(items)} sent)."}
        )
    actor = view.membership if view.api_key is None else None
    rows, errors = values_from_objects(items)
    try:
        result = values_ingest(
            org=view.org, rows=rows, source=Source.API, actor=actor, errors=errors
        )
    except BatchRejected as rejected:
        return Response(
            {
                "detail": str(rejected),
                "error_count": rejected.error_count,
                "truncated": rejected.truncated,
                "errors": [e.as_dict() for e in rejected.errors],
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    except IngestionBusy as busy:
        return Response(
            {
                "detail": "Other writes to the same values are in progress; nothing was written. "
                "Send the batch again."
            },
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(busy.retry_after)},
        )
    return Response(
        {
            "received": result.received,
            "inserted": result.inserted,
            "updated": result.updated,
            "unchanged": result.unchanged,
        }
    )


class ValueListAPI(OrgAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("kpi", str, description="KPI id or key"),
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
        ],
        responses=ValueSerializer(many=True),
    )
    def get(self, request: Request, org_slug: str) -> Response:
        values = MetricValue.objects.all()
        if "kpi" in request.query_params:
            values = values.filter(kpi=_kpi_param(self, request))
        if (start := _date_param(request, "from")) is not None:
            values = values.filter(period_date__gte=start)
        if (end := _date_param(request, "to")) is not None:
            values = values.filter(period_date__lte=end)
        paginator = ValueCursorPagination()
        page = paginator.paginate_queryset(values, request, view=self)
        return paginator.get_paginated_response(ValueSerializer(page, many=True).data)

    @extend_schema(request=ValueInSerializer, responses={200: INGEST_RESULT})
    @idempotent
    def post(self, request: Request, org_slug: str) -> Response:
        """Record one value (an upsert: the same value again changes nothing)."""
        return _ingest(self, [request.data])


class ValueBulkAPI(OrgAPIView):
    @extend_schema(
        request=inline_serializer("ValueBatch", {"values": ValueInSerializer(many=True)}),
        responses={200: INGEST_RESULT},
    )
    @idempotent
    def post(self, request: Request, org_slug: str) -> Response:
        """Up to 50,000 values in one all-or-nothing batch, by KPI id or key."""
        if not isinstance(request.data, dict) or "values" not in request.data:
            raise exceptions.ValidationError({"values": 'Send {"values": [...]}.'})
        return _ingest(self, request.data["values"])
