from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from regions import access
from regions.models import RegionMembership

from .models import User


class MembershipInline(admin.TabularInline):
    model = RegionMembership
    extra = 0
    autocomplete_fields = ["region"]
    verbose_name = _("region this coordinator reports for")
    verbose_name_plural = _("regions this coordinator reports for")


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "memberships__region"]
    search_fields = ["username", "email", "first_name", "last_name"]
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "email"]}),
        (_("Role"), {"fields": ["role", "is_active"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["username", "email", "role", "password1", "password2"]})]
    readonly_fields = ["last_login", "date_joined"]

    # Staff need to find users in autocomplete fields; only administrators edit them.
    def has_module_permission(self, request):
        return access.is_national(request.user)

    def has_view_permission(self, request, obj=None):
        return access.is_national(request.user)

    def has_add_permission(self, request):
        return access.can_manage_users(request.user)

    def has_change_permission(self, request, obj=None):
        return access.can_manage_users(request.user)

    def has_delete_permission(self, request, obj=None):
        return access.can_manage_users(request.user)
