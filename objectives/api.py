"""API for priorities and objectives."""

from __future__ import annotations

from django.contrib.auth.models import User
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from objectives import services
from objectives.models import Objective, PeriodKind, StrategicPriority
from objectives.selectors import objective_get, objective_list, priority_get, priority_list
from perfmgmt.api import (
    MemberField,
    OrgAPIView,
    OrgListAPIView,
    ScopedPkField,
    ScopedSlugField,
    WindowDateField,
    idempotent,
)
from perfmgmt.models import Team


class PrioritySerializer(serializers.ModelSerializer):
    owner = MemberField()
    horizon_start = WindowDateField()
    horizon_end = WindowDateField()

    class Meta:
        model = StrategicPriority
        fields = ["id", *services.PRIORITY_FIELDS, "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class ObjectiveOutSerializer(serializers.ModelSerializer):
    owner: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    team: serializers.SlugRelatedField[Team] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = Objective
        fields = [
            "id",
            "title",
            "description",
            "team",
            "owner",
            "priority",
            "parent",
            "period_kind",
            "period_start",
            "period_end",
            "created_at",
            "updated_at",
        ]
        # Ids as text, not UUID objects: @idempotent stores the answer as JSON to replay it.
        extra_kwargs = {
            "priority": {"pk_field": serializers.UUIDField()},
            "parent": {"pk_field": serializers.UUIDField()},
        }


class ObjectiveInSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    team = ScopedSlugField(Team)
    owner = MemberField()
    priority = ScopedPkField(StrategicPriority, required=False, allow_null=True, default=None)
    # The API's field is named `parent`. The stubs read it as overriding Field.parent (the
    # enclosing serializer), but SerializerMetaclass pops declared fields out of the class
    # namespace, so nothing is shadowed at runtime; mypy cannot see the metaclass do it.
    parent = ScopedPkField(  # type: ignore[assignment]
        Objective, required=False, allow_null=True, default=None
    )
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices)
    period_date = WindowDateField(help_text="Any day inside the fiscal quarter or year.")


class PriorityListAPI(OrgListAPIView):
    queryset = StrategicPriority.objects.with_scopes_disabled().none()

    @extend_schema(responses=PrioritySerializer(many=True))
    def get(self, request: Request, org_slug: str) -> Response:
        return self.paginated(priority_list(org=self.org), PrioritySerializer)

    @extend_schema(request=PrioritySerializer, responses={201: PrioritySerializer})
    @idempotent
    def post(self, request: Request, org_slug: str) -> Response:
        data = PrioritySerializer(data=request.data, context={"org": self.org})
        data.is_valid(raise_exception=True)
        priority = services.priority_create(org=self.org, actor=self.actor(), **data.validated_data)
        return Response(PrioritySerializer(priority).data, status=status.HTTP_201_CREATED)


class PriorityDetailAPI(OrgAPIView):
    @extend_schema(responses=PrioritySerializer)
    def get(self, request: Request, org_slug: str, priority_id: str) -> Response:
        return Response(
            PrioritySerializer(priority_get(org=self.org, priority_id=priority_id)).data
        )

    @extend_schema(request=PrioritySerializer, responses=PrioritySerializer)
    def patch(self, request: Request, org_slug: str, priority_id: str) -> Response:
        priority = priority_get(org=self.org, priority_id=priority_id)
        data = PrioritySerializer(
            priority, data=request.data, partial=True, context={"org": self.org}
        )
        data.is_valid(raise_exception=True)
        priority = services.priority_update(
            org=self.org, actor=self.actor(), priority=priority, **data.validated_data
        )
        return Response(PrioritySerializer(priority).data)


class ObjectiveListAPI(OrgListAPIView):
    queryset = Objective.objects.with_scopes_disabled().none()

    @extend_schema(responses=ObjectiveOutSerializer(many=True))
    def get(self, request: Request, org_slug: str) -> Response:
        return self.paginated(objective_list(org=self.org), ObjectiveOutSerializer)

    @extend_schema(request=ObjectiveInSerializer, responses={201: ObjectiveOutSerializer})
    @idempotent
    def post(self, request: Request, org_slug: str) -> Response:
        data = ObjectiveInSerializer(data=request.data, context={"org": self.org})
        data.is_valid(raise_exception=True)
        objective = services.objective_create(
            org=self.org, actor=self.actor(), **data.validated_data
        )
        return Response(ObjectiveOutSerializer(objective).data, status=status.HTTP_201_CREATED)


class ObjectiveDetailAPI(OrgAPIView):
    @extend_schema(responses=ObjectiveOutSerializer)
    def get(self, request: Request, org_slug: str, objective_id: str) -> Response:
        objective = objective_get(org=self.org, objective_id=objective_id)
        return Response(ObjectiveOutSerializer(objective).data)

    @extend_schema(request=ObjectiveInSerializer, responses=ObjectiveOutSerializer)
    def put(self, request: Request, org_slug: str, objective_id: str) -> Response:
        """Replace the objective whole: the body is a complete objective, and a field left out
        takes its default (no description, no priority, no parent). To change some fields and
        keep the rest, use PATCH."""
        objective = objective_get(org=self.org, objective_id=objective_id)
        data = ObjectiveInSerializer(data=request.data, context={"org": self.org})
        data.is_valid(raise_exception=True)
        objective = services.objective_update(
            org=self.org, actor=self.actor(), objective=objective, **data.validated_data
        )
        return Response(ObjectiveOutSerializer(objective).data)

    @extend_schema(request=ObjectiveInSerializer, responses=ObjectiveOutSerializer)
    def patch(self, request: Request, org_slug: str, objective_id: str) -> Response:
        """Change the fields sent; the others keep their values."""
        objective = objective_get(org=self.org, objective_id=objective_id)
        data = ObjectiveInSerializer(data=request.data, partial=True, context={"org": self.org})
        data.is_valid(raise_exception=True)
        objective = services.objective_patch(
            org=self.org, actor=self.actor(), objective=objective, **data.validated_data
        )
        return Response(ObjectiveOutSerializer(objective).data)
