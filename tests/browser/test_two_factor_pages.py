"""The two-step sign-in in a real browser: a staff member's first sign-in sets up the app (the QR code
is an inline image the Content-Security-Policy allows), the recovery codes page, then a later sign-in
with the code; axe-core finds nothing on any of these pages, in Spanish and in English."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.browser.conftest import LOGIN_TEXT, PASSWORD
from tests.factories import app_code

pytestmark = pytest.mark.browser


def password_step(page, username, lang):
    text = LOGIN_TEXT[lang]
    page.goto(f"/{lang}/accounts/login/")
    page.get_by_label(text["username"]).fill(username)
    page.get_by_label(text["password"]).fill(PASSWORD)
    page.get_by_role("button", name=text["submit"]).click()


def give_code(page, code):
    page.locator("main input[name=code]").fill(code)
    page.locator("main input[name=code]").press("Enter")


@pytest.mark.parametrize("lang", ["es", "en"])
def test_first_sign_in_sets_up_the_app_then_the_code_signs_in(new_context, audit, staff, lang, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the right code straight after a wrong one
    page = new_context().new_page()
    password_step(page, "staff", lang)
    page.wait_for_url(f"**/{lang}/accounts/two-factor/set-up/?next=/{lang}/panel/")
    qr = page.locator("img.qr-code")
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.locator("#setup-key").inner_text().replace(" ", "")
    audit(page, "set-up")

    give_code(page, "000000")
    assert page.locator(".error-summary").is_visible()
    audit(page, "set-up, wrong code")

    give_code(page, app_code(TOTPDevice.objects.get(user=staff)))
    page.wait_for_url(f"**/{lang}/accounts/two-factor/?next=/{lang}/panel/")
    assert page.locator("ol.recovery-codes li").count() == 10
    audit(page, "recovery codes")
    page.locator(f'main a[href="/{lang}/panel/"]').click()
    page.wait_for_url(f"**/{lang}/panel/")

    later = new_context().new_page()
    password_step(later, "staff", lang)
    later.wait_for_url(f"**/{lang}/accounts/two-factor/verify/?next=/{lang}/panel/")
    audit(later, "verify")
    give_code(later, app_code(TOTPDevice.objects.get(user=staff, confirmed=True)))
    later.wait_for_url(f"**/{lang}/panel/")
    audit.assert_clean()
