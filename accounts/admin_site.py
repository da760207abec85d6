from django.contrib.admin import AdminSite
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse


class PortalAdminSite(AdminSite):
    """The admin, for staff who passed the second factor. Its sign-in is the portal's own, so there
    is one login form (with the lockout and the second step), not two."""

    def has_permission(self, request):
        from .second_factor import is_verified

        return super().has_permission(request) and is_verified(request.user)

    def login(self, request, extra_context=None):
        wanted = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index", current_app=self.name)
        return redirect_to_login(wanted, reverse("login"))
