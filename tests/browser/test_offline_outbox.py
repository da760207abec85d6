"""The coordinator's phone without signal (360 x 740, Chromium): the installed panel loads offline,
activities and their photos wait in the outbox, and each reaches the server exactly once.

Every journey goes through the real service worker, IndexedDB and API against the live server;
the network is cut with Playwright's `set_offline`, and a cut in the middle of an upload with a
route that lets the request reach the server and then drops its answer.
"""

import datetime
import io
import time
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from activities.models import Activity, Evidence
from programs.models import Objective

pytestmark = pytest.mark.browser

NEW = "/es/panel/activities/new/"
OUTBOX = "/es/panel/outbox/"
EVIDENCE_API = "**/api/v1/activities/*/evidence/"


def photo(width=3000, height=2000):
    """A phone camera's photo: far larger than what the outbox sends."""
    image = Image.merge("RGB", [Image.effect_noise((width, height), sigma).convert("L") for sigma in (20, 40, 60)])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return {"name": "IMG_20261201_101010.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


@pytest.fixture(scope="module")
def camera_photo():
    return photo(2400, 1600)


@pytest.fixture
def installed(new_context, login, coord_amazonas, reference_data):
    """A coordinator's phone with the panel installed: the worker is in control and its caches filled."""
    new_context.problems.network_cut = True
    context = new_context()
    page = login(context.new_page(), "coord-amazonas")
    page.goto(NEW)
    page.evaluate("navigator.serviceWorker.ready")
    page.reload()
    expect(page.locator("#id_title")).to_be_visible()
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    return context, page


def choose_objective_and_service(page):
    objective = Objective.objects.order_by("code").first()
    page.select_option("#id_objective", str(objective.pk))
    # The services list narrows to the objective's; take the first that serves it.
    service = page.evaluate(
        "[...document.querySelectorAll('#id_service option')].find(o => o.value && !o.disabled).value"
    )
    page.select_option("#id_service", service)


def fill_complete(page, title, picture):
    choose_objective_and_service(page)
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    page.fill("#id_title", title)
    page.fill("#id_description", "Taller con madres y padres de familia sobre señales de alerta.")
    page.fill("#id_start_date", yesterday)
    page.fill("#id_end_date", yesterday)
    page.fill("#id_place_name", "I.E. 18001, Chachapoyas")
    page.fill("#id_women", "12")
    page.fill("#id_men", "5")
    page.fill("#id_adolescent_girls", "3")
    page.fill("#id_families", "9")
    page.set_input_files("#id_photos", picture)
    expect(page.locator("#photo-list li")).to_have_count(1)


def submit_through_the_summary(page):
    page.get_by_role("button", name="Enviar a revisión").first.click()
    check = page.locator("#check-answers")
    expect(check).to_be_visible()
    expect(page.locator("#check-problems")).to_be_hidden()
    check.get_by_role("button", name="Enviar a revisión").click()


def wait_until_the_outbox_is_empty(page, seconds=20):
    deadline = time.monotonic() + seconds
    while page.evaluate("ppOutbox.items().then(items => items.length)"):
        assert time.monotonic() < deadline, f"still waiting to be sent: {outbox_items(page)}"
        page.wait_for_timeout(200)


def outbox_items(page):
    return page.evaluate("ppOutbox.items()")


def test_three_activities_logged_offline_arrive_once_each_with_their_photo(installed, camera_photo, settings):
    context, page = installed
    context.set_offline(True)
    page.reload()  # served by the worker: no network at all
    expect(page.locator("#connection-status")).to_be_visible()
    for number in (1, 2, 3):
        fill_complete(page, f"Taller sin señal {number}", camera_photo)
        submit_through_the_summary(page)
        expect(page.locator("#outbox-status")).to_contain_text("guardada en este teléfono")
        expect(page.locator("#id_title")).to_have_value("")  # a clean form for the next one
    assert len(outbox_items(page)) == 3
    expect(page.locator("[data-outbox-count]")).to_have_text("3")
    page.screenshot(path="/tmp/outbox-form-offline-360.png")
    assert not Activity.objects.exists()

    context.set_offline(False)  # the browser's "online" event starts the sending
    wait_until_the_outbox_is_empty(page)

    activities = Activity.objects.order_by("title")
    assert [a.title for a in activities] == [f"Taller sin señal {n}" for n in (1, 2, 3)]
    assert {a.status for a in activities} == {Activity.Status.SUBMITTED}
    for activity in activities:
        files = list(activity.evidence.all())
        assert len(files) == 1
        with Image.open(files[0].file.path) as stored:
            assert max(stored.size) == 1600  # reduced on the phone before it travelled
    expect(page.locator("[data-outbox-count]")).to_be_hidden()


def test_a_connection_cut_during_an_evidence_upload_is_retried_into_one_file(installed, camera_photo, settings):
    context, page = installed
    cuts = []

    def reach_the_server_then_drop_the_answer(route):
        if not cuts:
            route.fetch()  # the server stores the file...
            cuts.append(route.request.url)
            route.abort("connectionreset")  # ...and the phone never hears back
        else:
            route.continue_()

    page.route(EVIDENCE_API, reach_the_server_then_drop_the_answer)
    fill_complete(page, "Feria en la plaza", camera_photo)
    submit_through_the_summary(page)
    expect(page.locator("#outbox-status")).to_contain_text("se enviará de nuevo")
    assert Evidence.objects.count() == 1 and cuts
    assert Activity.objects.get().status == Activity.Status.DRAFT

    page.goto(OUTBOX)
    expect(page.locator(".outbox-item")).to_have_count(1)
    page.get_by_role("button", name="Enviar ahora").click()
    expect(page.locator("#outbox-empty")).to_be_visible()
    activity = Activity.objects.get()
    assert activity.status == Activity.Status.SUBMITTED
    assert activity.evidence.count() == 1
    on_disk = [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]
    assert len(on_disk) == 1  # one file on disk, not one per attempt


def test_an_item_the_server_refuses_stays_with_its_message_on_the_field(installed):
    context, page = installed
    context.set_offline(True)
    page.fill("#id_title", "Charla con la latitud sin signo")
    # The minus sign forgotten: a point north of the equator, which the server refuses.
    page.fill("#id_latitude", "6.23")
    page.fill("#id_longitude", "-77.87")
    page.get_by_role("button", name="Guardar borrador").click()
    expect(page.locator("#outbox-status")).to_contain_text("guardada en este teléfono")

    context.set_offline(False)
    page.goto(OUTBOX)
    item = page.locator(".outbox-item")
    expect(item).to_contain_text("Necesita su atención")
    expect(item).to_contain_text("fuera del Perú")
    assert not Activity.objects.exists()
    page.screenshot(path="/tmp/outbox-page-attention-360.png")

    item.get_by_role("link", name="Editar").click()
    latitude = page.locator("#id_latitude").locator("xpath=ancestor::div[contains(@class, 'field')]")
    expect(latitude).to_contain_text("fuera del Perú")
    page.fill("#id_latitude", "-6.23")
    page.get_by_role("button", name="Guardar borrador").click()
    page.wait_for_url("**/es/panel/activities/*/")
    assert Activity.objects.get().title == "Charla con la latitud sin signo"
    assert outbox_items(page) == []


def test_a_new_service_worker_with_items_queued_loses_none(installed, settings):
    context, page = installed
    context.set_offline(True)
    for number in (1, 2):
        page.fill("#id_title", f"Visita pendiente {number}")
        page.get_by_role("button", name="Guardar borrador").click()
        expect(page.locator("#outbox-status")).to_contain_text("guardada en este teléfono")
    old_caches = page.evaluate("caches.keys()")

    # The API is out of reach while the new version arrives, so nothing is sent meanwhile.
    page.route("**/api/v1/**", lambda route: route.abort("connectionrefused"))
    context.set_offline(False)
    settings.PANEL_APP_VERSION = "next"
    page.goto(OUTBOX)
    page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
    update = page.locator("#app-update")
    expect(update).to_be_visible()
    expect(page.locator(".outbox-item")).to_have_count(2)
    with page.expect_navigation():
        update.get_by_role("button").click()
    new_caches = page.evaluate("caches.keys()")
    assert new_caches and not set(new_caches) & set(old_caches)
    expect(page.locator(".outbox-item")).to_have_count(2)

    page.unroute("**/api/v1/**")
    page.get_by_role("button", name="Enviar ahora").click()
    expect(page.locator("#outbox-empty")).to_be_visible()
    assert sorted(Activity.objects.values_list("title", flat=True)) == ["Visita pendiente 1", "Visita pendiente 2"]


# An outbox written by the first version of the panel: photos inside the item.
OLD_OUTBOX = """async ([user, region, photoBytes]) => {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open("pp-outbox", 1);
    request.onupgradeneeded = () => request.result.createObjectStore("items", { keyPath: "uuid" });
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const blob = new Blob([new Uint8Array(photoBytes)], { type: "image/jpeg" });
  await new Promise((resolve, reject) => {
    const transaction = db.transaction("items", "readwrite");
    transaction.objectStore("items").put({
      uuid: "0b9f5f0e-5c3e-4b8e-9d2a-1f1f3c3c0a01", user, lang: "es", intent: "draft",
      fields: { region, title: "Guardada con la versión anterior" },
      summary: { title: "Guardada con la versión anterior" },
      photos: [{ uuid: "0b9f5f0e-5c3e-4b8e-9d2a-1f1f3c3c0a02", blob, name: "foto-1.jpg", type: "image/jpeg" }],
      state: "saved", errors: {}, message: "", server: null, dirty: false,
      createdAt: "2026-12-01T10:00:00Z", updatedAt: "2026-12-01T10:00:00Z",
    });
    transaction.oncomplete = resolve;
    transaction.onerror = () => reject(transaction.error);
  });
  db.close();
}"""


def test_an_outbox_from_an_older_version_is_migrated_not_wiped(new_context, login, coord_amazonas, amazonas):
    new_context.problems.network_cut = True
    context = new_context()
    page = context.new_page()
    page.goto("/es/")  # the origin, without the panel's scripts
    small = photo(40, 30)["buffer"]
    page.evaluate(OLD_OUTBOX, [coord_amazonas.pk, amazonas.pk, list(small)])
    login(page, "coord-amazonas")
    wait_until_the_outbox_is_empty(page)  # migrated to the new schema, then sent
    activity = Activity.objects.get()
    assert activity.title == "Guardada con la versión anterior"
    assert activity.evidence.count() == 1


def test_a_connection_the_browser_closed_is_reopened(installed):
    context, page = installed
    page.evaluate("ppOutbox.open().then(db => db.close())")  # as iOS does under memory pressure
    context.set_offline(True)
    page.fill("#id_title", "Guardada tras reabrir")
    page.get_by_role("button", name="Guardar borrador").click()
    expect(page.locator("#outbox-status")).to_contain_text("guardada en este teléfono")
    assert [item["summary"]["title"] for item in outbox_items(page)] == ["Guardada tras reabrir"]


def test_without_indexeddb_the_form_says_so_and_saves_online(new_context, login, coord_amazonas):
    context = new_context()
    # A private window of some browsers: no IndexedDB at all.
    context.add_init_script("Object.defineProperty(window, 'indexedDB', { value: undefined })")
    page = login(context.new_page(), "coord-amazonas")
    page.goto(NEW)
    expect(page.locator("#outbox-unavailable")).to_be_visible()
    page.fill("#id_title", "Guardada sin almacenamiento local")
    page.get_by_role("button", name="Guardar borrador").click()
    page.wait_for_url("**/es/panel/activities/*/")
    assert Activity.objects.get().title == "Guardada sin almacenamiento local"


def test_closing_the_page_with_unsent_items_asks_first(installed):
    context, page = installed
    context.set_offline(True)
    page.fill("#id_title", "Sin enviar todavía")
    page.get_by_role("button", name="Guardar borrador").click()
    expect(page.locator("#outbox-status")).to_contain_text("guardada en este teléfono")
    # The header's count is read back from the outbox after the save, as the warning's is.
    expect(page.locator("[data-outbox-count]").first).to_have_text("1")
    with page.expect_event("dialog") as asked:
        page.close(run_before_unload=True)
    assert asked.value.type == "beforeunload"
    asked.value.dismiss()  # stay: the page is still there
    assert not page.is_closed()
