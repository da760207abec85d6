"""The dashboard's figures by region and objective (reports.selectors.approved_cells): one read of
a period gives both its headline figures and its indicators' actuals, so they must equal what
approved_figures and indicator_progress give over the same filters, for the page's own period
and for each earlier one it is compared with."""

import datetime

import pytest

from activities.models import PARTICIPANT_FIELDS
from programs.models import Objective
from regions.models import Region
from reports.selectors import approved_cells, approved_figures, indicator_progress
from tests.factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory

NONE = dict.fromkeys((*PARTICIPANT_FIELDS, "families"), 0)
# (objective, start day) of each region's approved activities: both years, every objective.
SPREAD = (
    ("OE1", (2025, 3, 10)),
    ("OE2", (2025, 3, 20)),
    ("OE3", (2025, 6, 5)),
    ("OE4", (2025, 6, 25)),
    ("OE3", (2024, 6, 5)),
    ("OE4", (2024, 11, 30)),
    ("OE1", (2025, 12, 31)),
)
YEAR_2025 = {"date_from": datetime.date(2025, 1, 1), "date_to": datetime.date(2025, 12, 31)}


def approved(region, objective, day, status="approved", **fields):
    return ActivityFactory(
        region=region,
        objective=Objective.objects.get(code=objective),
        start_date=datetime.date(*day),
        end_date=datetime.date(*day),
        status=status,
        **{**NONE, **fields},
    )


@pytest.fixture
def spread(amazonas, puno):
    """Both years, every objective, the same networks and institutions named in several cells
    and both years (so that counting them once matters), a month cut in two, and activities that
    must never count (not approved)."""
    for region in (amazonas, puno):
        networks = SupportNetworkFactory.create_batch(2, region=region, leaders=7)
        institutions = InstitutionFactory.create_batch(3, region=region)
        for n, (objective, day) in enumerate(SPREAD):
            done = approved(region, objective, day, women=3 + n, girls=n, families=1, support_network=networks[n % 2])
            done.institutions.set(institutions[: 1 + n % 3])
        approved(region, "OE4", (2025, 6, 25), status="submitted", women=100).institutions.set(institutions)
    return amazonas, puno


@pytest.mark.parametrize(
    "filters",
    [
        YEAR_2025,
        {"date_from": datetime.date(2024, 1, 1), "date_to": datetime.date(2024, 12, 31)},
        {"date_from": datetime.date(2025, 4, 1), "date_to": datetime.date(2025, 6, 30)},
        # Cut months: read partly from the activities themselves.
        {"date_from": datetime.date(2025, 3, 15), "date_to": datetime.date(2025, 6, 20)},
    ],
    ids=["2025", "2024", "Q2 2025", "cut months"],
)
def test_the_cells_figures_are_the_headline_figures(spread, filters):
    assert approved_cells(**filters).figures() == approved_figures(**filters)


def test_the_cells_figures_obey_the_objective_and_the_regions(spread):
    amazonas, _puno = spread
    oe4 = Objective.objects.get(code="OE4")
    narrowed = {**YEAR_2025, "objective": oe4, "regions": Region.objects.filter(pk=amazonas.pk)}
    figures = approved_cells(**narrowed).figures()
    assert figures == approved_figures(**narrowed)
    assert figures["activities"] == 1  # Amazonas's one approved OE4 activity of 2025


@pytest.mark.parametrize(("year", "quarter"), [(2024, 0), (2025, 0), (2025, 2), (2025, 1)])
def test_an_earlier_periods_actuals_are_those_of_its_own_progress(spread, year, quarter):
    dates = {0: ((1, 1), (12, 31)), 1: ((1, 1), (3, 31)), 2: ((4, 1), (6, 30))}[quarter]
    cells = approved_cells(date_from=datetime.date(year, *dates[0]), date_to=datetime.date(year, *dates[1]))
    compared = indicator_progress(year=2025, earlier=[cells])
    own = indicator_progress(year=year, quarter=quarter)
    assert [row["earlier"] for row in compared] == [[row["actual"]] for row in own]
    assert any(row["actual"] for row in own)


def test_given_cells_give_the_same_rows_as_reading_them(spread):
    amazonas, puno = spread
    regions = Region.objects.filter(pk__in=[amazonas.pk, puno.pk])
    cells = approved_cells(**YEAR_2025, regions=regions)
    assert indicator_progress(year=2025, regions=regions, cells=cells) == indicator_progress(year=2025, regions=regions)


def test_a_year_to_date_count_from_the_cells_of_a_cut_month(spread):
    until = datetime.date(2025, 6, 20)
    cells = approved_cells(date_from=datetime.date(2025, 1, 1), date_to=until)
    compared = indicator_progress(year=2025, earlier=[cells])
    year_to_date = indicator_progress(year=2025, until=until)
    assert [row["earlier"][0] for row in compared] == [row["actual"] for row in year_to_date]


def test_only_the_kinds_asked_for_are_read(spread, django_assert_num_queries):
    with django_assert_num_queries(1):
        cells = approved_cells(**YEAR_2025, kinds=("sums",))
    assert cells.sums and not cells.networks and not cells.institutions
