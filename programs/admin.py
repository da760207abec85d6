from django.contrib import admin

from regions.admin import ContentAdmin

from .models import Indicator, Objective, Program, Service, Target


@admin.register(Objective)
class ObjectiveAdmin(ContentAdmin):
    list_display = ["code", "title", "order"]
    search_fields = ["code", "title", "title_en"]
    filter_horizontal = ["services"]


@admin.register(Program)
class ProgramAdmin(ContentAdmin):
    list_display = ["acronym", "name", "former_names"]
    search_fields = ["acronym", "name", "name_en", "former_names"]
    prepopulated_fields = {"slug": ["acronym"]}


@admin.register(Service)
class ServiceAdmin(ContentAdmin):
    list_display = ["name", "name_en", "program"]
    list_filter = ["program", "objectives"]
    list_select_related = ["program"]
    search_fields = ["name", "name_en", "program__acronym"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Indicator)
class IndicatorAdmin(ContentAdmin):
    list_display = ["code", "name", "objective", "computation", "unit"]
    list_filter = ["objective", "computation"]
    list_select_related = ["objective"]
    search_fields = ["code", "name", "name_en"]


@admin.register(Target)
class TargetAdmin(ContentAdmin):
    list_display = ["indicator", "region", "year", "quarter", "value"]
    list_filter = ["year", "quarter", "region", "indicator__objective"]
    list_select_related = ["indicator", "region"]
    search_fields = ["indicator__code", "indicator__name", "region__name"]
    autocomplete_fields = ["indicator", "region"]
