import hashlib
import logging
import unicodedata

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from .client_ip import client_ip

logger = logging.getLogger(__name__)

# Password reset: requests counted per hour, after which no email is sent until the hour is over.
RESET_WINDOW = 60 * 60  # seconds
RESET_LIMITS = {
    "address": 3,  # the address typed, whether or not an account has it
    "account": 3,  # emails to one account, whichever address reached it (addresses change)
    "client": 20,  # requests from one client address, whatever addresses it types
}


class LoginForm(AuthenticationForm):
    """The login form with autocomplete hints that phones' password managers use."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class SecondFactorForm(forms.Form):
    """The code after the password: from the authenticator app, or one of the recovery codes."""

    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        help_text=_("The 6-digit code your authenticator app shows now, or one of your recovery codes."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false", "autofocus": True}
        ),
    )


class EnrolmentForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=12,
        help_text=_("After adding the account, type the 6-digit code the app shows."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form with a limit: each address, each account and each client may ask a few
    times an hour, so nobody can fill a coordinator's mailbox with reset links. Over the limit no
    email goes out and the answer is the same "check your email" page: the limit tells no one
    whether an address has an account."""

    def save(self, *, request=None, **kwargs):
        # Both counted, whichever is over: a client spreading its requests over many addresses
        # still spends its own allowance.
        within = [_spend("address", _address_key(self.cleaned_data["email"]))]
        if request is not None:
            within.append(_spend("client", client_ip(request)))
        if all(within):
            super().save(request=request, **kwargs)

    def get_users(self, email):
        return (user for user in super().get_users(email) if _spend("account", user.pk))


def _address_key(email):
    # Compared as Django finds the account (NFKC, case folded); hashed so that no address sits
    # readable in the cache.
    folded = unicodedata.normalize("NFKC", email).casefold()
    return hashlib.sha256(folded.encode()).hexdigest()


def _spend(kind, who):
    """Count one more reset request of this kind by `who`; whether it is within the hour's limit."""
    key = f"password-reset:{kind}:{who}"
    if hasattr(cache, "count"):
        count = cache.count(key, RESET_WINDOW)  # Redis: one round trip; 0 while Redis is down
    else:
        cache.add(key, 0, RESET_WINDOW)
        count = cache.incr(key)
    if count > RESET_LIMITS[kind]:
        logger.warning("Password reset: the limit per %s was reached; no email sent.", kind)
        return False
    return True
