"""The operator's admin: superusers only, spanning organisations (AdminScopesDisabledMiddleware)."""

import pghistory.core
from django.contrib import admin
from django.http import HttpRequest

from perfmgmt.models import Membership, Organization, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user", "team"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "fiscal_year_start_month", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "parent", "lead"]
    list_filter = ["organization"]
    list_select_related = ["organization", "parent", "lead"]
    search_fields = ["name"]
    raw_id_fields = ["parent", "lead"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "team"]
    list_filter = ["organization", "role"]
    list_select_related = ["user", "organization", "team"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user", "team"]


class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail in the admin: to read, never to add, change or delete (the tables
    refuse UPDATE and DELETE themselves too)."""

    list_display = ["pgh_created_at", "pgh_label", "pgh_obj", "pgh_context"]
    list_filter = ["pgh_label"]
    date_hierarchy = "pgh_created_at"
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# Every event model, whichever app tracks it: registered here by the registry, so this floor
# imports no higher one.
for event_model in pghistory.core.event_models():
    admin.site.register(event_model, AuditEventAdmin)
