"""axe-core on every panel page, the login and password pages and the public pages, in Spanish and in
English, on a phone-sized Chromium. Any violation fails, listed with the rule, its help and the nodes."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from activities.evidence import evidence_attach
from activities.services import activity_transition
from tests.factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory

pytestmark = pytest.mark.browser

AXE_SOURCE = Path(settings.BASE_DIR, "node_modules", "axe-core", "axe.min.js")
LANGUAGES = ["es", "en"]
SAVE_DRAFT = {"es": "Guardar borrador", "en": "Save draft"}
SUBMIT = {"es": "Enviar a revisión", "en": "Submit for review"}
BROKEN_REFERENCES = """() => {
  const broken = [];
  for (const attr of ["aria-describedby", "aria-labelledby", "aria-controls", "aria-errormessage"]) {
    for (const el of document.querySelectorAll(`[${attr}]`)) {
      for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) broken.push(`${el.tagName.toLowerCase()}#${el.id} ${attr}="${id}"`);
      }
    }
  }
  for (const label of document.querySelectorAll("label[for]")) {
    if (!document.getElementById(label.htmlFor)) broken.push(`label for="${label.htmlFor}"`);
  }
  return broken;
}"""


@pytest.fixture(scope="module")
def axe_source():
    if not AXE_SOURCE.exists():
        pytest.fail(f"{AXE_SOURCE} is missing: run `npm ci`")
    return AXE_SOURCE.read_text()


class Audit:
    """Runs axe on page after page and keeps what it finds, so one test reports every page at once."""

    def __init__(self, source):
        self.source = source
        self.found = []

    def __call__(self, page, what):
        # add_script_tag would be refused by the page's Content-Security-Policy; evaluate is not.
        page.evaluate(self.source)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        for violation in result["violations"]:
            nodes = "\n".join(
                f"    {node['target']}: {node['html'][:160]}\n      " + node["failureSummary"].replace("\n", "\n      ")
                for node in violation["nodes"]
            )
            self.found.append(
                f"{what} ({page.url}): {violation['id']} [{violation['impact']}] {violation['help']}\n{nodes}"
            )

        # axe only flags for review an aria-describedby or label that points at no element.
        for broken in page.evaluate(BROKEN_REFERENCES):
            self.found.append(f"{what} ({page.url}): broken id reference {broken}")

    def assert_clean(self):
        assert not self.found, f"{len(self.found)} axe violation(s):\n" + "\n".join(self.found)


@pytest.fixture
def audit(axe_source):
    return Audit(axe_source)


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
