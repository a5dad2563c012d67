"""API for KPIs, targets and metric values, including the bulk ingestion endpoint."""

from __future__ import annotations

from typing import Any

import django_filters
from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from metrics import services
from metrics.ingestion import (
    MAX_ABS_VALUE,
    MAX_DAYS_AHEAD,
    VALUE_FIELDS,
    BatchRejected,
    IngestionBusy,
    values_from_objects,
    values_ingest,
)
from metrics.models import Confidence, Kpi, KpiKind, MetricValue, Source, Target
from metrics.selectors import kpi_by_ref, kpi_get, kpi_list, target_list, value_list
from objectives.models import Objective, Perspective
from perfmgmt.api import (
    RETRY_AFTER,
    CreatedCursorPagination,
    FiniteFloatField,
    IsoDateFilter,
    MemberField,
    OrgAPIView,
    OrgFilterSet,
    OrgListAPIView,
    ScopedPkField,
    StrictBooleanFilter,
    TextFilter,
    WindowDateField,
    idempotent,
)


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


class KpiFilter(OrgFilterSet):
    team = TextFilter(field_name="objective__team__slug", help_text="A team's slug.")
    owner = TextFilter(field_name="outcome_owner__username", help_text="The outcome owner.")
    kind = django_filters.ChoiceFilter(choices=KpiKind.choices)
    perspective = django_filters.ChoiceFilter(
        field_name="objective__priority__perspective", choices=Perspective.choices
    )
    is_key = StrictBooleanFilter()

    class Meta:
        model = Kpi
        fields: list[str] = []


class KpiRefFilter(TextFilter):
    """A KPI by id or key; one that is not in the organisation is a 400 naming the parameter,
    not an empty page that looks like 'no values yet'."""

    def filter(self, qs: Any, value: str) -> Any:
        if not value:
            return qs
        kpi = kpi_by_ref(org=self.parent.org, ref=value)
        if kpi is None:
            raise exceptions.ValidationError(
                {self.field_name: [f"No KPI {value!r} in this organisation."]}
            )
        return qs.filter(kpi=kpi)


class TargetFilter(OrgFilterSet):
    kpi = KpiRefFilter(field_name="kpi", help_text="The KPI's id or key.")

    class Meta:
        model = Target
        fields: list[str] = []


class ValueFilter(OrgFilterSet):
    kpi = KpiRefFilter(field_name="kpi", help_text="The KPI's id or key.")
    to = IsoDateFilter(field_name="period_date", lookup_expr="lte", help_text="Last period date.")

    class Meta:
        model = MetricValue
        fields: list[str] = []


# `from` is a Python keyword, so it cannot be declared in the class body.
ValueFilter.base_filters["from"] = IsoDateFilter(
    field_name="period_date", lookup_expr="gte", help_text="First period date."
)


class KpiListAPI(OrgListAPIView):
    filterset_class = KpiFilter
    queryset = Kpi.objects.with_scopes_disabled().none()

    @extend_schema(responses=KpiSerializer(many=True))
    def get(self, request: Request, org_slug: str) -> Response:
        return self.paginated(kpi_list(org=self.org).prefetch_related("drives"), KpiSerializer)

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
    period_start = WindowDateField()
    period_end = WindowDateField()
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


class TargetListAPI(OrgListAPIView):
    filterset_class = TargetFilter
    queryset = Target.objects.with_scopes_disabled().none()

    @extend_schema(responses=TargetSerializer(many=True))
    def get(self, request: Request, org_slug: str) -> Response:
        return self.paginated(target_list(org=self.org), TargetSerializer)

    @extend_schema(request=TargetSerializer, responses={201: TargetSerializer})
    @idempotent
    def post(self, request: Request, org_slug: str) -> Response:
        """Set the target of a KPI for a period (creating it, or moving it: audited)."""
        data = TargetSerializer(data=request.data, context={"org": self.org})
        data.is_valid(raise_exception=True)
        target = services.target_set(org=self.org, actor=self.actor(), **data.validated_data)
        return Response(TargetSerializer(target).data, status=status.HTTP_201_CREATED)


class ValueSerializer(serializers.ModelSerializer):
    kpi: serializers.PrimaryKeyRelatedField[Kpi] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )

    class Meta:
        model = MetricValue
        fields = [*VALUE_FIELDS, "source", "updated_at"]


@extend_schema_serializer(component_name="ValueIn")  # the published name, kept for clients
class ValueInSchema(serializers.Serializer):
    """One value. `period_date` may be any day of the KPI's cadence period."""

    # Documentation only: the endpoints hand the raw JSON to metrics.ingestion, which
    # validates a whole batch at once and names every bad row; nothing validates with this.

    kpi = serializers.CharField(help_text="The KPI's id or its org-unique key.")
    period_date = WindowDateField(
        help_text=f"YYYY-MM-DD, from 1900-01-01 to at most {MAX_DAYS_AHEAD} days from today."
    )
    value = FiniteFloatField(min_value=-MAX_ABS_VALUE, max_value=MAX_ABS_VALUE)
    confidence = serializers.ChoiceField(choices=Confidence.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    measured_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="With a time zone offset; between 1900 and 2199 in UTC.",
    )


class ValueCursorPagination(CreatedCursorPagination):
    """Values page by period date, newest first; the id orders the KPIs of one period."""

    page_size = 500
    max_page_size = 5000
    ordering = ("-period_date", "-id")


INGEST_RESULT = inline_serializer(
    "IngestResult",
    {
        "received": serializers.IntegerField(),
        "inserted": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
    },
)


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Index of the value in the batch, from 0.")
    field = serializers.CharField()
    message = serializers.CharField()


class BatchRejectedSerializer(serializers.Serializer):
    """Every bad row of a batch, named at once; nothing of the batch was written."""

    detail = serializers.CharField()
    error_count = serializers.IntegerField()
    truncated = serializers.BooleanField(help_text="More errors were found than are listed.")
    # The published field name. SerializerMetaclass moves declared fields off the class, so
    # this does not replace Serializer.errors at run time; the stubs cannot express that.
    errors = RowErrorSerializer(many=True)  # type: ignore[assignment]


INGEST_RESPONSES = {
    200: INGEST_RESULT,
    400: BatchRejectedSerializer,
    503: OpenApiResponse(
        description="Other writes to the same values held their rows too long; nothing was "
        "written. Send the batch again after Retry-After seconds."
    ),
}
INGEST_HEADERS = [
    OpenApiParameter(
        name,
        OpenApiTypes.INT,
        location=OpenApiParameter.HEADER,
        response=[503],
        description=str(spec["description"]),  # RETRY_AFTER's values mix str and dict
    )
    for name, spec in RETRY_AFTER.items()
]


def _ingest(view: OrgAPIView, items: Any) -> Response:
    """The one ingestion service; a key writes as itself, a person as their membership."""
    if not isinstance(items, list):
        raise exceptions.ValidationError({"values": ["Send a list of value objects."]})
    if len(items) > settings.API_MAX_BATCH:
        raise exceptions.ValidationError(
            {"values": [f"At most {settings.API_MAX_BATCH} values a request ({len(items)} sent)."]}
        )
    actor = view.membership if view.api_key is None else None
    rows, errors = values_from_objects(items)
    try:
        result = values_ingest(
            org=view.org,
            rows=rows,
            source=Source.API,
            actor=actor,
            errors=errors,
            api_key=view.api_key,
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


class ValueListAPI(OrgListAPIView):
    filterset_class = ValueFilter
    pagination_class = ValueCursorPagination
    queryset = MetricValue.objects.with_scopes_disabled().none()

    @extend_schema(responses=ValueSerializer(many=True))
    def get(self, request: Request, org_slug: str) -> Response:
        return self.paginated(value_list(org=self.org), ValueSerializer)

    @extend_schema(request=ValueInSchema, responses=INGEST_RESPONSES, parameters=INGEST_HEADERS)
    @idempotent
    def post(self, request: Request, org_slug: str) -> Response:
        """Record one value (an upsert: the same value again changes nothing)."""
        return _ingest(self, [request.data])


class ValueBulkAPI(OrgAPIView):
    @extend_schema(
        request=inline_serializer(
            "ValueBatch",
            {
                # What ValueInSchema(many=True, max_length=...) builds, in a form the stubs know.
                "values": serializers.ListSerializer(
                    child=ValueInSchema(), max_length=settings.API_MAX_BATCH
                )
            },
        ),
        responses=INGEST_RESPONSES,
        parameters=INGEST_HEADERS,
    )
    @idempotent
    def post(self, request: Request, org_slug: str) -> Response:
        """Up to 50,000 values in one all-or-nothing batch, by KPI id or key."""
        if not isinstance(request.data, dict) or "values" not in request.data:
            raise exceptions.ValidationError({"values": ['Send {"values": [...]}.']})
        return _ingest(self, request.data["values"])
