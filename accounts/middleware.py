import re

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from .second_factor import is_verified, needs_second_factor


def _unverified_as_anonymous(request, user):
    if user.is_authenticated and needs_second_factor(request, user) and not is_verified(user):
        anonymous = AnonymousUser()
        anonymous.otp_device = None
        anonymous.is_verified = lambda: False
        return anonymous
    return user


class SecondFactorMiddleware:
    """Until a session has passed the second factor (where the user needs one), the panel and the
    admin send it to the code, and the API takes it for no sign-in at all: a staff member's session
    with the password alone reads nothing a visitor cannot.

    Only those paths touch the session here, so public pages keep no `Vary: Cookie` for it.
    Installed after OTPMiddleware, whose `request.user.is_verified()` it reads.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        languages = "|".join(re.escape(code) for code, _name in settings.LANGUAGES)
        self.guarded = re.compile(rf"^/(?:admin/|(?:{languages})/panel/)")

    def __call__(self, request):
        path = request.path_info
        if path.startswith("/api/"):
            user = request.user
            request.user = SimpleLazyObject(lambda: _unverified_as_anonymous(request, user))
        elif self.guarded.match(path):
            user = request.user
            if user.is_authenticated and needs_second_factor(request) and not is_verified(user):
                return redirect_to_login(request.get_full_path(), reverse("two_factor_verify"))
        return self.get_response(request)
