"""axe-core on every panel page, the login and password pages and the public pages, in Spanish and in
English, on a phone-sized Chromium. Any violation fails, listed with the rule, its help and the nodes."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from activities.evidence import evidence_attach
from activities.services import activity_transition
from tests.factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory

pytestmark = pytest.mark.browser

LANGUAGES = ["es", "en"]
SAVE_DRAFT = {"es": "Guardar borrador", "en": "Save draft"}
SUBMIT = {"es": "Enviar a revisión", "en": "Submit for review"}


def photo():
    content = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 200)).save(content, "JPEG")
    return SimpleUploadedFile("foto.jpg", content.getvalue(), content_type="image/jpeg")


@pytest.fixture
def draft_with_evidence(coord_amazonas):
    activity = ActivityFactory(title="Taller con familias", created_by=coord_amazonas, latitude=-6.23, longitude=-77.87)
    evidence_attach(activity=activity, uploaded_file=photo(), caption="Vista general del taller", by=coord_amazonas)
    return activity


@pytest.fixture
def partners(amazonas):
    """So the form shows its partner checkboxes and support networks, not empty lists."""
    return [InstitutionFactory(name="UGEL Chachapoyas"), InstitutionFactory(name="Centro de Salud Levanto")], [
        SupportNetworkFactory(name="Red de lideresas de Chachapoyas")
    ]


@pytest.fixture
def returned_activity(coord_amazonas, staff):
    activity = ActivityFactory(title="Feria de la campaña", created_by=coord_amazonas)
    # Only an activity with evidence can be submitted, and so returned.
    evidence_attach(activity=activity, uploaded_file=photo(), caption="Afiche de la feria", by=coord_amazonas)
    activity_transition(activity=activity, action="submit", by=coord_amazonas)
    activity_transition(activity=activity, action="return", by=staff, comment="Indique el número de familias.")
    return activity


@pytest.fixture
def submitted_activity(coord_amazonas):
    activity = ActivityFactory(title="Encuentro de la red de soporte", created_by=coord_amazonas)
    evidence_attach(activity=activity, uploaded_file=photo(), caption="Lista de asistencia", by=coord_amazonas)
    activity_transition(activity=activity, action="submit", by=coord_amazonas)
    return activity


@pytest.mark.parametrize("lang", LANGUAGES)
def test_public_and_login_pages(new_page, audit, lang):
    page = new_page()
    for what, url in [
        ("public home", f"/{lang}/"),
        ("help", f"/{lang}/ayuda/"),
        ("login", f"/{lang}/accounts/login/"),
        ("password reset", f"/{lang}/accounts/password/reset/"),
    ]:
        page.goto(url)
        audit(page, what)
    audit.assert_clean()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_coordinator_pages(new_page, login, audit, lang, draft_with_evidence, returned_activity, partners):
    page = login(new_page(), "coord-amazonas", lang=lang)
    audit(page, "coordinator panel")
    for what, url in [
        ("activity list", f"/{lang}/panel/activities/"),
        ("activity list, filtered", f"/{lang}/panel/activities/?status=draft"),
        ("draft with evidence", f"/{lang}/panel/activities/{draft_with_evidence.pk}/"),
        ("returned activity", f"/{lang}/panel/activities/{returned_activity.pk}/"),
        ("edit form", f"/{lang}/panel/activities/{returned_activity.pk}/edit/"),
        ("check your answers, with problems", f"/{lang}/panel/activities/{returned_activity.pk}/submit/check/"),
        ("check your answers, ready", f"/{lang}/panel/activities/{draft_with_evidence.pk}/submit/check/"),
        ("new activity form", f"/{lang}/panel/activities/new/"),
    ]:
        page.goto(url)
        audit(page, what)
    # The phone's own summary before sending, with what a reviewer would return it for.
    page.get_by_role("button", name=SUBMIT[lang]).click()
    page.locator("#check-answers").wait_for()
    audit(page, "check your answers on the phone, with problems")
    page.locator("#check-back").click()
    # A latitude without its minus sign: the server refuses it, and the form shows where.
    page.fill("#id_latitude", "6.23")
    page.fill("#id_longitude", "-77.87")
    page.get_by_role("button", name=SAVE_DRAFT[lang]).click()
    page.locator("#outbox-status .error-summary").wait_for()
    audit(page, "new activity form refused by the server")
    page.goto(f"/{lang}/panel/outbox/")
    page.locator(".outbox-item").wait_for()
    audit(page, "outbox with an item that needs attention")
    audit.assert_clean()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_staff_pages(new_page, login, audit, lang, staff, submitted_activity):
    page = login(new_page(), "staff", lang=lang)
    audit(page, "staff panel")
    for what, url in [
        ("review queue", f"/{lang}/panel/review/"),
        ("submitted activity with the review form", f"/{lang}/panel/activities/{submitted_activity.pk}/"),
    ]:
        page.goto(url)
        audit(page, what)
    audit.assert_clean()
