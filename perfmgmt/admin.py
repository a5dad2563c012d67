"""The operator's admin: superusers only, spanning organisations (AdminScopesDisabledMiddleware)."""

from django.contrib import admin

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
