"""Two-factor sign-in: who must pass it, the devices that prove it, and what a sign-in does with them.

Ministry staff and administrators read every region's evidence, so after the password they give a
code from an authenticator app (TOTP, django-otp), or one of ten single-use recovery codes. A
coordinator may turn it on; then their sign-ins ask for it too. The panel, the admin and the API's
tokens are out of reach until a session has passed it (SecondFactorMiddleware, accounts/api.py).
"""

from base64 import b32encode

import segno
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import RecoveryCodes

# Set at sign-in for a user who turned the second factor on without being obliged to (a coordinator):
# the session then counts as half signed in, like a staff member's, until the code is given.
PENDING_SESSION_KEY = "second_factor_pending"
# The recovery codes just made, kept for the one page view that shows them.
NEW_CODES_SESSION_KEY = "second_factor_new_codes"

APP_DEVICE_NAME = "Authenticator app"


def confirmed_app_device(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def has_second_factor(user):
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def needs_second_factor(request, user=None):
    """Whether this session must pass the second factor before the panel, the admin or the API."""
    user = request.user if user is None else user
    if not user.is_authenticated:
        return False
    return user.requires_second_factor or bool(request.session.get(PENDING_SESSION_KEY))


def is_verified(user):
    # OTPMiddleware gives request.user `is_verified`; a user loaded elsewhere has not passed anything.
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def enrolment_device(user):
    """The app device being set up: the same one (and QR code) however often the page is reloaded."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def secret_for_people(device):
    """The key as an app's "enter a setup key" field wants it: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_data_uri(device):
    # An SVG drawn here, not by a remote service: the otpauth URL holds the secret.
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff")


def clean_code(code):
    return RecoveryCodes.normalise(code or "")


def enrolment_confirm(request, *, device, code):
    """Confirm the app device with a code it produced; returns the new recovery codes, or None.

    The session is then signed in with the second factor, and any older app device is replaced.
    """
    user = request.user
    with transaction.atomic():
        if device.user_id != user.pk or device.confirmed or not device.verify_token(clean_code(code)):
            return None
        TOTPDevice.objects.devices_for_user(user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = recovery_codes_replace(user=user)
    second_factor_passed(request, device)
    return codes


def recovery_codes_replace(*, user):
    device, _created = RecoveryCodes.objects.get_or_create(user=user, defaults={"name": "Recovery codes"})
    return device.replace_codes()


def recovery_codes_left(user):
    device = RecoveryCodes.objects.filter(user=user).first()
    return device.codes.count() if device else 0


def second_factor_check(user, code):
    """The device that accepts the code (the app's current code, or an unused recovery code), or None."""
    code = clean_code(code)
    if not code:
        return None
    with transaction.atomic():
        app = TOTPDevice.objects.devices_for_user(user, confirmed=True).select_for_update().first()
        # An app's code is six digits, a recovery code ten characters: each goes to its own device,
        # so a mistyped one counts against (and throttles) that device alone.
        if code.isdigit() and len(code) < RecoveryCodes.LENGTH:
            if app is not None and app.verify_token(code):
                return app
            return None
        recovery = RecoveryCodes.objects.filter(user=user).select_for_update().first()
        if recovery is not None and recovery.verify_token(code):
            return recovery
    return None


def second_factor_passed(request, device):
    # A new session key: the one that carried the half sign-in is not the one that carries the whole.
    request.session.cycle_key()
    otp_login(request, device)
    request.session.pop(PENDING_SESSION_KEY, None)


def second_factor_pending(request):
    """Called after the password: whether the next step is the code (or setting it up)."""
    user = request.user
    if user.requires_second_factor:
        return True
    if has_second_factor(user):
        request.session[PENDING_SESSION_KEY] = True
        return True
    return False


def second_factor_reset(*, user):
    """For a lost phone: the user sets up a new app at the next sign-in (administrators do this)."""
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCodes.objects.filter(user=user).delete()
