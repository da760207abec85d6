"""How the dashboard writes what it shows, now that it writes it in Python rather than per-cell
templates: numbers exactly as floatformat writes them, a matrix cell exactly as the template wrote
it, and the map's outlines kept drawn once per process (reports.charts.outlines) but never its
figures, and drawn again when a boundary changes."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.template.defaultfilters import floatformat
from django.test import override_settings
from django.utils import translation
from django.utils.formats import number_format

from activities.models import PARTICIPANT_FIELDS
from programs.models import Indicator, Objective, Target
from regions.models import Region
from reports import charts
from reports.dashboard import Change, Numbers, _matrix_cell
from tests.factories import ActivityFactory

URL = "/{lang}/panel/dashboard/"
NONE = dict.fromkeys((*PARTICIPANT_FIELDS, "families"), 0)
NBSP = "\u00a0"


def square(west, north, side=1.0):
    """A closed GeoJSON square inside Peru, its outer ring counter-clockwise."""
    east, south = west + side, north - side
    ring = [[west, north], [west, south], [east, south], [east, north], [west, north]]
    return {"type": "Polygon", "coordinates": [ring]}


AMAZONAS_SQUARE = square(-78.5, -5.5)
PUNO_SQUARE = square(-70.5, -14.5, 1.5)


def approved(region, **counts):
    day = datetime.date(2025, 3, 10)
    return ActivityFactory(
        region=region,
        objective=Objective.objects.get(code="OE1"),
        status="approved",
        start_date=day,
        end_date=day,
        **{**NONE, **counts},
    )


def map_of(client, lang="en"):
    html = client.get(URL.format(lang=lang), {"year": 2025}).content.decode()
    return html.split('class="progress-map"')[1].split("</svg>")[0]


# --- Numbers -----------------------------------------------------------------------------------

COUNTS = (0, 7, 999, 1000, 4321, 12345, 999999, 1000000, 123456789, -5, -1234)
# Percentages as round(x, 1) makes them, and values it never makes, which go to floatformat.
TENTHS = (0.0, 0.1, 2.5, 12.3, 33.3, 66.7, 99.9, 100.0, 250.0, 1234.5, 98765.4, 1e16, 12.25, -0.0, -3.5)
ROUNDED = (0, 3, 1000, 123456, 0.4, 0.5, 1.5, 2.5, 12.45, 66.7, 99.5, 1234.5, 250.0)


def old_whole(number):
    """How the page wrote a change's figures before Numbers (kept here to compare with)."""
    rounded = Decimal(str(number)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return number_format(rounded, decimal_pos=0, force_grouping=True)


@pytest.mark.parametrize("lang", ["es", "en"])
class TestNumbers:
    def test_a_count_is_written_as_floatformat_writes_it(self, lang):
        with translation.override(lang):
            numbers = Numbers()
            assert [numbers.whole(n) for n in COUNTS] == [floatformat(n, "0g") for n in COUNTS]

    def test_a_percentage_is_written_as_floatformat_writes_it(self, lang):
        with translation.override(lang):
            numbers = Numbers()
            assert [numbers.tenth(x) for x in TENTHS] == [floatformat(x, 1) for x in TENTHS]

    def test_a_change_is_rounded_half_up_as_before(self, lang):
        with translation.override(lang):
            numbers = Numbers()
            assert [numbers.rounded(x) for x in ROUNDED] == [old_whole(x) for x in ROUNDED]

    @override_settings(USE_THOUSAND_SEPARATOR=True)
    def test_grouped_decimals_are_left_to_floatformat(self, lang):
        with translation.override(lang):
            numbers = Numbers()
            assert [numbers.tenth(x) for x in TENTHS] == [floatformat(x, 1) for x in TENTHS]


def test_spanish_groups_with_a_non_breaking_space():
    with translation.override("es"):
        numbers = Numbers()
        assert (numbers.whole(1234567), numbers.tenth(12.5)) == (f"1{NBSP}234{NBSP}567", "12,5")


# --- The matrix's cells ----------------------------------------------------------------------------


def test_a_matrix_cell_is_written_as_the_template_wrote_it():
    """The markup the included templates (_dashboard_cell.html and _dashboard_change.html) wrote
    for one cell, byte for byte."""
    with translation.override("en"):
        numbers = Numbers()
        cell = {"actual": 1250, "target": 5000, "percent": 25.0, "bar": 25}
        cell["change"] = Change(1250, 1000, "2024", numbers)
        words = {"no_target": "<small>No target</small>", "of": "%(actual)s of %(target)s"}
        assert _matrix_cell(cell, numbers, words) == (
            '<td><span class="cell-figure">1,250 of 5,000</span>\n'
            '<span class="progress-cell"><svg width="60" height="8" viewBox="0 0 100 10" preserveAspectRatio="none" '
            'aria-hidden="true" focusable="false"><rect width="100" height="10" fill="#eeeeee"/>'
            '<rect width="25" height="10" fill="#7a1f5c"/></svg>\n25.0 %</span>\n'
            f'<span class="change change-up"><span aria-hidden="true">▲{NBSP}+250 · +25{NBSP}%</span>'
            f'<span class="visually-hidden">Up 250 (25{NBSP}%) from 1,000 in 2024.</span></span>\n</td>'
        )


def test_a_cell_without_a_target_says_so():
    with translation.override("en"):
        numbers = Numbers()
        cell = {"actual": 3, "target": None, "percent": None, "bar": 0, "change": Change(3, 3, "2024", numbers)}
        words = {"no_target": "<small>No target</small>", "of": "%(actual)s of %(target)s"}
        written = _matrix_cell(cell, numbers, words)
        assert written.startswith('<td><span class="cell-figure">3</span>\n')
        assert '<rect width="0" height="10" fill="#7a1f5c"/></svg>\n<small>No target</small></span>\n' in written
        assert f'<span class="change change-same"><span aria-hidden="true">={NBSP}0 · 0{NBSP}%</span>' in written


# --- The map's outlines ----------------------------------------------------------------------------


def test_the_kept_outlines_are_the_same_bytes_as_a_fresh_drawing():
    areas = (charts.Area(1, "a", AMAZONAS_SQUARE), charts.Area(2, "b", PUNO_SQUARE))
    charts.outlines.cache_clear()
    first = charts.outlines(areas)
    again = charts.outlines((charts.Area(1, "a", AMAZONAS_SQUARE), charts.Area(2, "b", PUNO_SQUARE)))
    assert charts.outlines.cache_info().hits == 1
    assert again == first == charts.draw_outlines([AMAZONAS_SQUARE, PUNO_SQUARE])


def test_a_new_version_of_a_boundary_is_drawn_again():
    charts.outlines.cache_clear()
    before = charts.outlines((charts.Area(1, "a", AMAZONAS_SQUARE),))
    # A region alone fills the map's width: only another shape, not another place, changes it.
    moved = {
        "type": "Polygon",
        "coordinates": [[[-78.0, -6.0], [-78.0, -6.5], [-77.0, -6.5], [-77.0, -6.0], [-78.0, -6.0]]],
    }
    after = charts.outlines((charts.Area(1, "b", moved),))
    assert after == charts.draw_outlines([moved]) != before


class TestTheMapOnThePage:
    def test_an_edited_boundary_shows_at_the_next_load(self, staff_client, amazonas, puno):
        Region.objects.filter(pk=amazonas.pk).update(boundary=AMAZONAS_SQUARE)
        Region.objects.filter(pk=puno.pk).update(boundary=PUNO_SQUARE)
        before = map_of(staff_client)
        narrower = {"type": "Polygon", "coordinates": [[[-78.5, -5.5], [-78.5, -6.5], [-78.2, -6.5], [-78.5, -5.5]]]}
        Region.objects.filter(pk=amazonas.pk).update(boundary=narrower)
        after = map_of(staff_client)
        assert after != before
        height, (amazonas_path, puno_path) = charts.draw_outlines([narrower, PUNO_SQUARE])
        assert f'viewBox="0 0 {charts.MAP_WIDTH} {height}"' in after
        assert f'<path d="{amazonas_path}"' in after
        assert f'<path d="{puno_path}"' in after

    def test_a_boundary_loaded_for_another_region_redraws_them_all(self, staff_client, amazonas, puno):
        Region.objects.filter(pk=amazonas.pk).update(boundary=AMAZONAS_SQUARE)
        alone = map_of(staff_client)
        Region.objects.filter(pk=puno.pk).update(boundary=PUNO_SQUARE)
        both = map_of(staff_client)
        assert both.count("<path ") == alone.count("<path ") + 1 == 2
        # The map now spans both regions: Amazonas's outline is smaller than when it stood alone.
        assert charts.draw_outlines([AMAZONAS_SQUARE])[1][0] in alone
        assert charts.draw_outlines([AMAZONAS_SQUARE, PUNO_SQUARE])[1][0] in both

    def test_the_figures_on_the_map_are_never_kept(self, staff_client, amazonas):
        Region.objects.filter(pk=amazonas.pk).update(boundary=AMAZONAS_SQUARE)
        Target.objects.create(
            indicator=Indicator.objects.get(code="oe1-awareness-activities"), region=amazonas, year=2025, value=4
        )
        before = map_of(staff_client)
        approved(amazonas)
        after = map_of(staff_client)
        assert "<title>Amazonas: 0.0 %</title>" in before
        assert "<title>Amazonas: 25.0 %</title>" in after
        assert 'fill="#f6e9f1"' in before.split("<title>Amazonas: 0.0")[0].rsplit("<path ", 1)[1]
        assert 'fill="#e2bcd5"' in after.split("<title>Amazonas: 25.0")[0].rsplit("<path ", 1)[1]
