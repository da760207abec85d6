from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from regions import access
from regions.models import RegionMembership

from .models import User
from .second_factor import second_factor_reset


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
    actions = ["reset_second_factor"]

    @admin.action(
        description=_("Reset two-step sign-in (lost phone): set it up again at the next sign-in"),
        permissions=["change"],  # administrators only, as for every change to a user
    )
    def reset_second_factor(self, request, queryset):
        users = list(queryset)
        for user in users:
            second_factor_reset(user=user)
        self.message_user(
            request,
            _("Two-step sign-in reset for %(count)d users; they set it up again at their next sign-in.")
            % {"count": len(users)},
            messages.SUCCESS,
        )

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
