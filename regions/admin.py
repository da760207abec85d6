from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from . import access
from .models import Region, RegionMembership


class ContentAdmin(admin.ModelAdmin):
    """Admin pages for what the ministry maintains: the access rule decides, not Django's per-model permissions."""

    def has_module_permission(self, request):
        return access.is_national(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_national(request.user)

    def has_add_permission(self, request):
        return access.can_edit_content(request.user)

    def has_change_permission(self, request, obj=None):
        return access.can_edit_content(request.user)

    def has_delete_permission(self, request, obj=None):
        return access.can_edit_content(request.user)


class AdminOnly(ContentAdmin):
    """Views for staff, changes for administrators only."""

    def has_add_permission(self, request):
        return access.is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return access.is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return access.is_admin(request.user)


@admin.register(Region)
class RegionAdmin(ContentAdmin):
    list_display = ["name", "inei_code", "capital", "in_campaign", "launched_on", "has_boundary"]
    list_filter = ["in_campaign"]
    search_fields = ["name", "inei_code", "capital"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["boundary"]

    @admin.display(boolean=True, description=_("boundary loaded"))
    def has_boundary(self, obj):
        return obj.boundary is not None

    def get_queryset(self, request):
        # The boundary is large JSON: the list never needs the polygon itself.
        qs = super().get_queryset(request)
        return qs.defer("boundary") if request.resolver_match.url_name.endswith("changelist") else qs


@admin.register(RegionMembership)
class RegionMembershipAdmin(AdminOnly):
    list_display = ["user", "region", "since"]
    list_filter = ["region"]
    list_select_related = ["user", "region"]
    search_fields = ["user__username", "user__email", "region__name"]
    autocomplete_fields = ["user", "region"]
