"""Signing in: the password (Django's LoginView, watched by django-axes), then, for staff,
administrators and coordinators who turned it on, the second factor: set it up on the first
sign-in, give a code on every later one."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from . import second_factor as factor
from .forms import EnrolmentForm, LoginForm, SecondFactorForm
from .models import RecoveryCodes


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm

    def form_valid(self, form):
        response = super().form_valid(form)
        if factor.second_factor_pending(self.request):
            return redirect_to_login(response.url, reverse("two_factor_verify"))
        return response


def _next_url(request):
    wanted = request.POST.get("next") or request.GET.get("next")
    if wanted and url_has_allowed_host_and_scheme(wanted, {request.get_host()}, require_https=request.is_secure()):
        return wanted
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name, request):
    return redirect_to_login(_next_url(request), reverse(name))


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@login_required
def verify(request):
    user = request.user
    if factor.is_verified(user) or not factor.needs_second_factor(request):
        return HttpResponseRedirect(_next_url(request))
    if not factor.has_second_factor(user):
        if user.requires_second_factor:
            return _with_next("two_factor_enrol", request)
        request.session.pop(factor.PENDING_SESSION_KEY, None)  # turned off since the password was given
        return HttpResponseRedirect(_next_url(request))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = factor.second_factor_check(user, form.cleaned_data["code"])
        if device is not None:
            factor.second_factor_passed(request, device)
            if isinstance(device, RecoveryCodes):
                left = device.codes.count()
                messages.warning(
                    request,
                    ngettext(
                        "You signed in with a recovery code, which now no longer works. %(left)d code is left.",
                        "You signed in with a recovery code, which now no longer works. %(left)d codes are left.",
                        left,
                    )
                    % {"left": left},
                )
            return HttpResponseRedirect(_next_url(request))
        form.add_error(
            "code",
            _(
                "That code was not accepted. Type the code the app shows now (a new one comes every 30 "
                "seconds), or an unused recovery code. After a wrong code, wait a few seconds before the next try."
            ),
        )
    return render(request, "accounts/two_factor/verify.html", {"form": form, "next": _next_url(request)})


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
@login_required
def enrol(request):
    user = request.user
    if factor.has_second_factor(user):
        # Replacing the app takes the present one first: a password alone must not swap it.
        if not factor.is_verified(user):
            return _with_next("two_factor_verify", request)
        return redirect("two_factor")
    device = factor.enrolment_device(user)
    form = EnrolmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = factor.enrolment_confirm(request, device=device, code=form.cleaned_data["code"])
        if codes is not None:
            request.session[factor.NEW_CODES_SESSION_KEY] = codes
            return _with_next("two_factor", request)
        form.add_error(
            "code",
            _(
                "That code does not match. Check that the app shows the account you just added, "
                "that the phone's clock is right, and type the code it shows now."
            ),
        )
    context = {
        "form": form,
        "next": _next_url(request),
        "qr_code": factor.qr_code_data_uri(device),
        "secret": factor.secret_for_people(device),
        "required": user.requires_second_factor,
    }
    return render(request, "accounts/two_factor/enrol.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
@login_required
def overview(request):
    """Whether the second factor is on, the recovery codes just made (shown this once), and new ones."""
    user = request.user
    enrolled = factor.has_second_factor(user)
    if request.method == "POST":
        if not (enrolled and factor.is_verified(user)):
            return _with_next("two_factor_verify", request)
        request.session[factor.NEW_CODES_SESSION_KEY] = factor.recovery_codes_replace(user=user)
        return _with_next("two_factor", request)
    context = {
        "enrolled": enrolled,
        "verified": factor.is_verified(user),
        "new_codes": request.session.pop(factor.NEW_CODES_SESSION_KEY, None),
        "codes_left": factor.recovery_codes_left(user) if enrolled else 0,
        "next": _next_url(request),
    }
    return render(request, "accounts/two_factor/overview.html", context)
