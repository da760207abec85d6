"""The activity map adds its points a slice at a time (static/js/map.js), so that a phone keeps
answering taps while two thousand of them are clustered: once the slices end, every approved
activity of the release is on the map, in a bubble or as a point of its own, and none twice."""

import pytest

from .test_maps import mapped_site  # noqa: F401 (the fixture: 200 approved activities in Lima, 20 in Puno)

pytestmark = pytest.mark.browser

# Activities on the map: the numbers in the bubbles plus the points drawn alone.
ON_MAP = """() => [...document.querySelectorAll("#activity-map .marker-cluster")]
  .reduce((sum, bubble) => sum + Number(bubble.textContent), 0)
  + document.querySelectorAll("#activity-map path.leaflet-interactive").length"""


def test_every_approved_activity_is_on_the_map_once_its_slices_are_drawn(new_page, mapped_site):  # noqa: F811
    page = new_page(viewport={"width": 360, "height": 800})
    page.goto("/es/mapa/")
    # 220 points are three slices: the count must reach them all.
    page.wait_for_function(f"() => ({ON_MAP})() >= 220")
    page.wait_for_timeout(300)  # any slice still due would add points twice
    assert page.evaluate(ON_MAP) == 220
