"""The server-drawn region map is markup, not escaped text, and stays light whatever the number
of places: dots share a grid that coarsens past MAX_DOTS; a few places far apart keep a dot each."""

import random
from types import SimpleNamespace

from campaign.maps import MAX_DOTS, region_map

AMAZONAS = SimpleNamespace(latitude=-6.2294, longitude=-77.8714, boundary=None)


def dots(svg):
    return str(svg).count("<circle")


def test_places_far_apart_keep_a_dot_each():
    points = [(-6.0, -78.0), (-6.2, -77.8), (-5.9, -77.6)]
    assert dots(region_map(AMAZONAS, points)) == 3


def test_a_region_without_a_boundary_is_drawn_not_printed_as_text():
    svg = str(region_map(AMAZONAS, [(-6.0, -78.0)]))
    assert "&lt;" not in svg
    assert "<rect" in svg


def test_thousands_of_places_draw_at_most_max_dots():
    rng = random.Random(1)
    points = [(round(rng.uniform(-6.6, -5.8), 2), round(rng.uniform(-78.3, -77.4), 2)) for _ in range(20_000)]
    svg = str(region_map(AMAZONAS, points))
    assert 0 < dots(svg) <= MAX_DOTS
    assert len(svg) < 40_000
