"""The activity form on a coordinator's phone (360 x 740): the heading and the save button in view at
once, counts as a sex-by-age grid with a running total, thumb-sized controls, objectives by name, and
a map of the coordinator's own region that can take the phone's position."""

import pytest
from playwright.sync_api import expect

from programs.models import Objective

pytestmark = pytest.mark.browser

NEW = "/es/panel/activities/new/"
SAVE = "Guardar borrador"
# A square around Chachapoyas: enough for the map to draw the region without any tile.
BOUNDARY = {
    "type": "Polygon",
    "coordinates": [[[-78.6, -7.0], [-77.2, -7.0], [-77.2, -5.4], [-78.6, -5.4], [-78.6, -7.0]]],
}
TOO_SMALL = """(form) => {
  const small = [];
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  for (const el of form.querySelectorAll("select, input, textarea, button, [role=button]")) {
    if (el.type === "hidden" || !visible(el)) continue;
    // A checkbox is tapped through its label, which is the target that must be large.
    const target = (el.type === "checkbox" || el.type === "radio") ? el.closest("label") : el;
    const height = target.getBoundingClientRect().height;
    if (height < 44) small.push(`${el.tagName.toLowerCase()}#${el.id || el.name || el.className}: ${height}px`);
  }
  return small;
}"""


@pytest.fixture
def form_page(new_page, login, coord_amazonas):
    page = login(new_page(), "coord-amazonas")
    page.goto(NEW)
    return page


def test_the_heading_of_panel_pages_is_within_the_first_200_px(form_page):
    form_page.screenshot(path="/tmp/activity-form-360-top.png")
    assert form_page.get_by_role("heading", level=1).bounding_box()["y"] < 200
    expect(form_page.locator("#quick-exit")).to_be_in_viewport()
    form_page.goto("/es/panel/")
    form_page.screenshot(path="/tmp/panel-360-top.png")
    assert form_page.get_by_role("heading", level=1).bounding_box()["y"] < 200


def test_the_menu_holds_the_rest_of_the_navigation(form_page):
    expect(form_page.get_by_role("button", name="Cerrar sesión")).to_be_hidden()
    form_page.locator(".panel-menu summary").click()
    form_page.screenshot(path="/tmp/panel-360-menu.png")
    expect(form_page.get_by_role("button", name="Cerrar sesión")).to_be_visible()


def test_the_save_button_is_in_view_without_scrolling_and_stays_there(form_page):
    save = form_page.get_by_role("button", name=SAVE)
    expect(save).to_be_in_viewport(ratio=1)
    form_page.locator("#id_families").scroll_into_view_if_needed()
    form_page.screenshot(path="/tmp/activity-form-360-counts.png")
    expect(save).to_be_in_viewport(ratio=1)
    form_page.screenshot(path="/tmp/activity-form-360-full.png", full_page=True)


def test_the_running_total_follows_the_counts_as_they_are_typed(form_page):
    total = form_page.locator("#participants-total")
    expect(total).to_have_text("0")
    form_page.get_by_label("Niñas (0–11)").fill("4")
    expect(total).to_have_text("4")
    form_page.get_by_label("Mujeres (18+)").fill("12")
    form_page.get_by_label("Hombres (18+)").fill("8")
    expect(total).to_have_text("24")
    form_page.get_by_label("Familias alcanzadas").fill("10")
    expect(total).to_have_text("24"), "families are not participants"
    form_page.get_by_label("Mujeres (18+)").fill("")
    expect(total).to_have_text("12")


def test_every_control_of_the_form_and_the_header_is_a_44_px_target(form_page):
    form_page.locator("#point-map .leaflet-control-zoom-in").wait_for()
    assert form_page.locator("form.activity-form").evaluate(TOO_SMALL) == []
    assert form_page.locator("header").evaluate(TOO_SMALL) == []
    zoom = form_page.locator("#point-map .leaflet-control-zoom-in").bounding_box()
    assert zoom["height"] >= 44 and zoom["width"] >= 44


def test_the_objective_select_shows_names(form_page):
    oe1 = Objective.objects.get(code="OE1")
    option = form_page.locator(f'#id_objective option[value="{oe1.pk}"]')
    expect(option).to_have_text(f"OE1 · {oe1.title}")
    form_page.get_by_label("Objetivo").select_option(label=f"OE1 · {oe1.title}")


def test_the_map_opens_on_the_region_and_draws_its_boundary_without_tiles(new_page, login, coord_amazonas, amazonas):
    amazonas.boundary = BOUNDARY
    amazonas.save(update_fields=["boundary"])
    page = login(new_page(), "coord-amazonas")
    page.goto(NEW)
    point_map = page.locator("#point-map")
    point_map.scroll_into_view_if_needed()
    expect(point_map.locator("path.leaflet-interactive, .leaflet-overlay-pane path")).to_have_count(1)
    expect(point_map.locator(".leaflet-tile")).to_have_count(0)
    page.screenshot(path="/tmp/activity-form-360-map.png")
    # A tap at the middle of the map lands in Amazonas, not in the middle of Peru.
    point_map.click()
    lat, lon = float(page.get_by_label("Latitud").input_value()), float(page.get_by_label("Longitud").input_value())
    assert -7.0 < lat < -5.4 and -78.6 < lon < -77.2, (lat, lon)


def test_use_my_location_fills_the_point_rounded_like_stored_points(new_context, login, coord_amazonas):
    context = new_context(geolocation={"latitude": -6.22941234, "longitude": -77.87284567}, permissions=["geolocation"])
    page = login(context.new_page(), "coord-amazonas")
    page.goto(NEW)
    button = page.locator("#use-location")
    expect(button).to_be_visible()
    button.click()
    expect(page.get_by_label("Latitud")).to_have_value("-6.229412")
    expect(page.get_by_label("Longitud")).to_have_value("-77.872846")
    expect(page.locator("#point-map .leaflet-marker-icon")).to_have_count(1)
    page.screenshot(path="/tmp/activity-form-360-located.png")
