from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import EmptyPage
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from prevent_protect.counting import EstimatingPaginator
from programs.models import Service
from regions.admin import AdminOnly, ContentAdmin

from .models import Activity, ActivityTransition, Evidence, Institution, SupportNetwork


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
