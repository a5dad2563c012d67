"""API for business-review packs: start one, follow its progress, download its files."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from objectives.models import Perspective
from perfmgmt.api import OrgAPIView, OrgListAPIView, idempotent
from perfmgmt.permissions import can_see_packs
from perfmgmt.validation import ensure_allowed
from reviews.health import strategy_health
from reviews.models import Pack, PackStatus
from reviews.packs.selectors import pack_get, packs_of
from reviews.packs.services import PACK_FILE_TYPES, pack_file_response, pack_request

ROLE_MESSAGE = "Packs are for finance, executives and admins (or a key one of them made)."


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-11"})
class MonthField(serializers.Field):
    """A month as "YYYY-MM"; stored as its first day."""

    default_error_messages = {"invalid": "Give a month as YYYY-MM, e.g. 2026-11."}

    def to_internal_value(self, data: Any) -> dt.date:
        if not isinstance(data, str) or len(data) != 7 or data[4] != "-":
            self.fail("invalid")
        try:
            return dt.date(int(data[:4]), int(data[5:]), 1)
        except ValueError:
            self.fail("invalid")
        raise AssertionError("unreachable")

    def to_representation(self, value: dt.date) -> str:
        return f"{value:%Y-%m}"


class PackInSerializer(serializers.Serializer):
    month = MonthField(help_text="The month to report, YYYY-MM.")
    teams = serializers.ListField(
        child=serializers.SlugField(), required=False, default=list, max_length=200
    )
    perspectives = serializers.ListField(
        child=serializers.ChoiceField(choices=Perspective.choices),
        required=False,
        default=list,
        max_length=4,
    )


class PackSerializer(serializers.ModelSerializer):
    month = MonthField()
    requested_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    files = serializers.SerializerMethodField()

    class Meta:
        model = Pack
        fields = [
            "id",
            "month",
            "version",
            "teams",
            "perspectives",
            "status",
            "progress",
            "step",
            "error",
            "requested_by",
            "automatic",
            "created_at",
            "started_at",
            "finished_at",
            "data_as_of",
            "pdf_pages",
            "presented_at",
            "files",
        ]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"pdf": {"type": "string"}, "xlsx": {"type": "string"}},
            "description": "Download links, once the pack is ready.",
        }
    )
    def get_files(self, pack: Pack) -> dict[str, str] | None:
        if pack.status != PackStatus.DONE:
            return None
        request, view = self.context["request"], self.context["view"]
        kwargs = {"org_slug": view.org.slug, "pack_id": pack.pk}
        return {
            ext: request.build_absolute_uri(reverse(f"api:pack-{ext}", kwargs=kwargs))
            for ext in ("pdf", "xlsx")
        }


def _context(view: OrgAPIView) -> dict[str, Any]:
    return {"request": view.request, "view": view}


class PackListAPI(OrgListAPIView):
    queryset = Pack.objects.with_scopes_disabled().none()

    @extend_schema(responses=PackSerializer(many=True))
    def get(self, request: Request, org_slug: str) -> Response:
        ensure_allowed(can_see_packs(self.actor()), ROLE_MESSAGE)
        return self.paginated(packs_of(org=self.org), PackSerializer)

    @extend_schema(
        request=PackInSerializer,
        responses={
            202: PackSerializer,
            200: OpenApiResponse(PackSerializer, "A job for this month is running: this one."),
        },
    )
    @idempotent
    def post(self, request: Request, org_slug: str) -> Response:
        """Start generating the pack of a month (202), or get the job already doing it (200).
        Poll the pack's URL for its progress; its `files` appear when it is ready."""
        data = PackInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pack, started = pack_request(org=self.org, actor=self.actor(), **data.validated_data)
        code = status.HTTP_202_ACCEPTED if started else status.HTTP_200_OK
        return Response(PackSerializer(pack, context=_context(self)).data, status=code)


class PackDetailAPI(OrgAPIView):
    @extend_schema(responses=PackSerializer)
    def get(self, request: Request, org_slug: str, pack_id: str) -> Response:
        ensure_allowed(can_see_packs(self.actor()), ROLE_MESSAGE)
        pack = pack_get(org=self.org, pack_id=pack_id)
        return Response(PackSerializer(pack, context=_context(self)).data)


class _PackFileAPI(OrgAPIView):
    ext = "pdf"

    def get(self, request: Request, org_slug: str, pack_id: str) -> FileResponse:
        ensure_allowed(can_see_packs(self.actor()), ROLE_MESSAGE)
        return pack_file_response(pack_get(org=self.org, pack_id=pack_id), self.ext)


class PackPdfAPI(_PackFileAPI):
    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request: Request, org_slug: str, pack_id: str) -> FileResponse:
        return super().get(request, org_slug, pack_id)


class PackXlsxAPI(_PackFileAPI):
    ext = "xlsx"

    @extend_schema(responses={(200, PACK_FILE_TYPES["xlsx"]): OpenApiTypes.BINARY})
    def get(self, request: Request, org_slug: str, pack_id: str) -> FileResponse:
        return super().get(request, org_slug, pack_id)


class FindingSerializer(serializers.Serializer):
    check = serializers.CharField(help_text="Which check found it (reviews.health.CHECKS).")
    title = serializers.CharField()
    detail = serializers.CharField()
    url = serializers.SerializerMethodField(help_text="The page where it is fixed.")
    fixers = serializers.ListField(child=serializers.CharField(), help_text="Who can fix it.")

    def get_url(self, finding: Any) -> str:
        return str(self.context["request"].build_absolute_uri(finding.url))


class HealthAPI(OrgAPIView):
    """The strategy health check: every finding, with where to fix it and who can."""

    @extend_schema(responses=FindingSerializer(many=True))
    def get(self, request: Request, org_slug: str) -> Response:
        findings = strategy_health(org=self.org).findings
        return Response(FindingSerializer(findings, many=True, context=_context(self)).data)
