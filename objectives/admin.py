from django.contrib import admin

from objectives.models import Objective, StrategicPriority


@admin.register(StrategicPriority)
class StrategicPriorityAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "perspective", "owner", "rank", "is_active"]
    list_filter = ["organization", "perspective", "is_active"]
    list_select_related = ["organization", "owner"]
    search_fields = ["title"]
    raw_id_fields = ["owner"]


@admin.register(Objective)
class ObjectiveAdmin(admin.ModelAdmin):
    list_display = ["title", "organization", "team", "owner", "priority", "period_start"]
    list_filter = ["organization", "period_kind"]
    list_select_related = ["organization", "team", "owner", "priority"]
    search_fields = ["title"]
    raw_id_fields = ["team", "owner", "priority", "parent"]
