import datetime
from itertools import islice

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import EmptyPage
from django.db import connection
from django.db.models import DateField, Max, Min, Value
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from prevent_protect.counting import EstimatingPaginator
from programs.models import Service
from regions.admin import AdminOnly, ContentAdmin

from .models import Activity, ActivityQuerySet, ActivityTransition, Evidence, Institution, SupportNetwork


@admin.register(Institution)
class InstitutionAdmin(ContentAdmin):
    list_display = ["name", "sector", "region", "actuemos_ya_since"]
    list_filter = ["sector", "region"]
    list_select_related = ["region"]
    search_fields = ["name", "region__name"]
    autocomplete_fields = ["region"]


@admin.register(SupportNetwork)
class SupportNetworkAdmin(ContentAdmin):
    list_display = ["name", "region", "formed_on", "leaders"]
    list_filter = ["region"]
    list_select_related = ["region"]
    search_fields = ["name", "region__name"]
    autocomplete_fields = ["region"]


class ServiceListFilter(admin.RelatedFieldListFilter):
    # A service's name includes its program's: fetch them together, not one query per service.
    def field_choices(self, field, request, model_admin):
        return [(s.pk, str(s)) for s in Service.objects.select_related("program")]


class TransitionInline(admin.TabularInline):
    model = ActivityTransition
    extra = 0
    fields = ["at", "by", "from_status", "to_status", "comment"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class EvidenceInline(admin.TabularInline):
    # The file itself is private: it is never linked from here, only listed.
    model = Evidence
    extra = 0
    fields = ["caption", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ChangeListPaginator(EstimatingPaginator):
    """The changelist links the last page the estimate gives; past the real end, that link shows
    the real last page (one exact count) rather than the admin's "?e=1" error page."""

    def page(self, number):
        try:
            return super().page(number)
        except EmptyPage:
            if self.count_exact or int(number) < 1:
                raise
            self.count_exactly()
            return super().page(min(int(number), self.num_pages))


# Past this many periods one scan beats the probes (the drill-down asks for at most 31 days).
MAX_PROBES = 400


class DrillDownActivities(ActivityQuerySet):
    """The admin's activities. Its date drill-down (date_hierarchy) asks for the years, months or
    days that hold activities: Django answers with a DISTINCT over every row (170 ms of a 225 ms page
    at a million activities); this probes each candidate period for one row, through the date
    index, all in one query."""

    def dates(self, field_name, kind, order="ASC"):
        if connection.vendor != "postgresql" or kind not in ("year", "month", "day"):
            # SQLite, for development, allows no LIMIT inside a UNION; few rows there anyway.
            return super().dates(field_name, kind, order)
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        candidates = list(islice(periods(bounds["first"], bounds["last"], kind), MAX_PROBES + 1))
        if len(candidates) > MAX_PROBES:
            return super().dates(field_name, kind, order)
        probes = [
            self.filter(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
            .order_by()
            .annotate(period=Value(start, DateField()))
            .values_list("period", flat=True)[:1]
            for start, end in candidates
        ]
        found = sorted(probes[0].union(*probes[1:], all=True))
        return found if order == "ASC" else found[::-1]


def periods(first, last, kind):
    """(start, end) of each year, month or day from the one holding `first` to the one holding `last`."""
    start = {"year": first.replace(month=1, day=1), "month": first.replace(day=1), "day": first}[kind]
    while start <= last:
        if kind == "day":
            end = start + datetime.timedelta(days=1)
        elif kind == "month":
            end = (start + datetime.timedelta(days=32)).replace(day=1)
        else:
            end = start.replace(year=start.year + 1)
        yield start, end
        start = end


class ActivityChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        # Past the real end the paginator gave the real last page: number the links from it.
        self.page_num = max(1, min(self.page_num, self.paginator.num_pages))


@admin.register(Activity)
class ActivityAdmin(AdminOnly, SimpleHistoryAdmin):
    # Short columns, so that a 1366-px screen with the admin's navigation and filters still shows the
    # date, status and participants; the service is a filter and on the change page.
    list_display = ["name", "region", "objective_code", "start_date", "status", "participants"]
    list_filter = ["status", "region", "objective", ("service", ServiceListFilter), "modality", "start_date"]
    list_select_related = ["region", "objective", "service__program"]
    search_fields = ["title", "place_name", "district"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["region", "service", "support_network", "institutions", "created_by"]
    readonly_fields = ["status", "review_comment", "version", "client_uuid", "created_at", "updated_at"]
    inlines = [TransitionInline, EvidenceInline]
    list_per_page = 50
    # A COUNT(*) over a million rows on every page is not worth it: neither the full count nor the
    # filtered one is taken past a threshold (prevent_protect.counting); the page says "about".
    show_full_result_count = False
    paginator = ChangeListPaginator

    def get_changelist(self, request, **kwargs):
        return ActivityChangeList

    def get_queryset(self, request):
        found = super().get_queryset(request)
        return DrillDownActivities(model=found.model, query=found.query, using=found.db)

    @admin.display(description=_("participants"))
    def participants(self, obj):
        return obj.participants_total

    # An untitled draft still needs a name to click in the list; a long title is cut at a word.
    @admin.display(description=_("title"), ordering="title")
    def name(self, obj):
        return Truncator(str(obj)).words(8)

    @admin.display(description=_("objective"), ordering="objective__order")
    def objective_code(self, obj):
        return obj.objective.code if obj.objective else None


@admin.register(Evidence)
class EvidenceAdmin(AdminOnly):
    list_display = ["__str__", "activity", "content_type", "size", "uploaded_at"]
    list_filter = ["content_type", "activity__region"]
    list_select_related = ["activity"]
    raw_id_fields = ["activity"]
    search_fields = ["caption", "activity__title"]
    exclude = ["file"]
    readonly_fields = ["content_type", "size", "uploaded_by", "uploaded_at"]
