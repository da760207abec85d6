"""The review queue and the review page in Chromium, at a staff laptop's 1366 x 768 and a phone's
360 x 740: no table cell, badge or date breaks inside a word; the evidence thumbnails (a photo and a
PDF's first page) load; the point map draws without tiles; axe-core finds nothing (in Spanish).
Screenshots go to /tmp for a person to see."""

import datetime
import io

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from activities.models import ActivityTransition, Evidence
from activities.services import activity_save
from regions.models import Region
from tests.factories import ActivityFactory, EvidenceFactory, InstitutionFactory, UserFactory

pytestmark = pytest.mark.browser

SIZES = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 360, "height": 740}}

# Every word of the page's table cells, badges and times: on how many lines it is drawn. A word on
# two lines was broken inside; a cell whose content is wider than the cell spills over its border.
BROKEN_WORDS = """() => {
  const found = [];
  const cells = document.querySelectorAll("main td, main th, main .status, main time, main .code");
  for (const cell of cells) {
    if (!cell.offsetParent || cell.closest(".visually-hidden")) continue;
    if (cell.scrollWidth > cell.clientWidth + 1) found.push(`${cell.tagName} overflows: ${cell.textContent.trim()}`);
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest(".visually-hidden")) continue;
      for (const match of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0);
        const lines = new Set(rects.map((r) => Math.round(r.top)));
        if (lines.size > 1) found.push(`${cell.tagName} breaks "${match[0]}"`);
      }
    }
  }
  return found;
}"""

# A wide table scrolls in its own box; the page itself never scrolls sideways.
PAGE_WIDER_THAN_SCREEN = """() => {
  if (document.documentElement.scrollWidth <= window.innerWidth) return [];
  return Array.from(document.querySelectorAll("body *"))
    .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
    .filter((el) => !el.closest(".table-wrap, .quick-exit, .leaflet-container"))
    .map((el) => `${el.tagName}.${el.className} ${el.textContent.trim().slice(0, 30)}`).slice(0, 10);
}"""


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (90, 140, 200)).save(out, "JPEG")
    return out.getvalue()


def pdf():
    out = io.BytesIO()
    Image.new("RGB", (595, 842), (230, 230, 230)).save(out, "PDF", resolution=72)
    return out.getvalue()


def staff_session(live_server_url):
    """A staff member signed in with the second factor passed: the session cookie for the browser."""
    staff = UserFactory(username="revisora", role="ministry")
    device = TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True)
    client = Client()
    client.force_login(staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return {"name": client.cookies["sessionid"].key, "value": client.cookies["sessionid"].value, "url": live_server_url}


@pytest.fixture
def waiting(server):
    amazonas = Region.objects.get(slug="amazonas")
    amazonas.boundary = {
        "type": "Polygon",
        "coordinates": [[[-78.7, -6.9], [-77.2, -6.9], [-77.2, -3.0], [-78.7, -3.0], [-78.7, -6.9]]],
    }
    amazonas.save(update_fields=["boundary"])
    activity = ActivityFactory(
        region=amazonas,
        title="Fortalecimiento de capacidades interinstitucionales en Chachapoyas",
        place_name="Municipalidad Provincial de Chachapoyas",
        latitude="-6.2294",
        longitude="-77.8728",
    )
    activity.institutions.set([InstitutionFactory(name="Centro de Emergencia Mujer Chachapoyas", region=amazonas)])
    activity.title = activity.title + " (segunda versión)"
    activity.modality = "virtual"
    activity_save(activity=activity, expected_version=1)
    type(activity).objects.filter(pk=activity.pk).update(status="submitted")
    step = ActivityTransition.objects.create(activity=activity, from_status="draft", to_status="submitted")
    ActivityTransition.objects.filter(pk=step.pk).update(at=timezone.now() - datetime.timedelta(days=3))
    type(activity).objects.filter(pk=activity.pk).times_from_steps()
    EvidenceFactory(activity=activity, file=ContentFile(jpeg(), name="f.jpg"), content_type=Evidence.Kind.JPEG, size=1)
    EvidenceFactory(activity=activity, file=ContentFile(pdf(), name="f.pdf"), content_type=Evidence.Kind.PDF, size=1)
    return activity


@pytest.mark.parametrize("size", SIZES)
def test_the_queue_and_the_review_page_break_no_word(new_context, server, waiting, audit, size):
    context = new_context(viewport=SIZES[size])
    context.add_cookies([staff_session(server)])
    page = context.new_page()

    page.goto("/es/panel/review/?q=Chachapoyas")
    audit(page, f"review queue, {size}")
    assert page.get_by_role("link", name=waiting.title).is_visible()
    page.screenshot(path=f"/tmp/review-queue-{size}.png", full_page=True)
    assert page.evaluate(BROKEN_WORDS) == []
    assert page.evaluate(PAGE_WIDER_THAN_SCREEN) == []

    page.get_by_role("link", name=waiting.title).click()
    page.wait_for_load_state("networkidle")
    thumbs = page.locator("img.evidence-thumb")
    assert thumbs.count() == 2
    for index in range(2):
        thumbs.nth(index).scroll_into_view_if_needed()  # loaded lazily, as they come into view
        thumbs.nth(index).element_handle().wait_for_element_state("stable")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbs.nth(index).element_handle())
    # Leaflet drew the region's outline and the point, with no tiles at all.
    assert page.locator("#review-map path.leaflet-interactive, #review-map path").count() >= 2
    audit(page, f"review page, {size}")
    page.screenshot(path=f"/tmp/review-page-{size}.png", full_page=True)
    assert page.evaluate(BROKEN_WORDS) == []
    assert page.evaluate(PAGE_WIDER_THAN_SCREEN) == []
    # The comment box takes the form's whole width.
    widths = page.evaluate(
        "() => { const t = document.querySelector('.review-form textarea');"
        " const f = t.closest('form'); const s = getComputedStyle(f);"
        " return [t.getBoundingClientRect().width,"
        " f.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight)]; }"
    )
    assert widths[0] >= widths[1] - 1
    assert page.locator('input[name="queue"]').get_attribute("value") == "q=Chachapoyas"
    audit.assert_clean()
