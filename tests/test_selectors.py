"""The figures over approved activities (reports.selectors): what counts, how the
breakdowns add up, the filters, the distinct partners and networks, the public
suppression of small counts, and one query per call whatever the data."""

import datetime

import pytest
from django.utils import translation

from activities.models import PARTICIPANT_FIELDS
from programs.models import Objective, Service
from regions.models import Region
from reports.selectors import approved_breakdown, approved_figures, sex_age_rows

from .factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory

BREAKDOWN_COUNTS = ("activities", *PARTICIPANT_FIELDS, "participants", "families")
NONE = dict.fromkeys(PARTICIPANT_FIELDS, 0)


def approved(region, objective="OE1", day=(2025, 3, 10), **counts):
    return ActivityFactory(
        region=region,
        objective=Objective.objects.get(code=objective),
        start_date=datetime.date(*day),
        end_date=datetime.date(*day),
        status="approved",
        **{**NONE, **counts},
    )


@pytest.fixture
def campaign(amazonas, puno):
    """Three approved activities in two regions, two objectives and two months, and one of each
    other status that would change every figure if it counted."""
    approved(amazonas, "OE1", (2025, 3, 10), girls=1, boys=2, adolescent_girls=3, adolescent_boys=4, families=7)
    approved(amazonas, "OE2", (2025, 4, 5), women=10, men=20, families=3)
    approved(puno, "OE1", (2025, 4, 28), adolescent_girls=6, adolescent_boys=9, families=1)
    for status in ("draft", "submitted", "returned"):
        ActivityFactory(region=amazonas, status=status, girls=100, women=100, families=100)


class TestWhatCounts:
    def test_only_approved_activities_count(self, campaign):
        figures = approved_figures()
        assert figures["activities"] == 3
        assert (figures["girls"], figures["boys"]) == (1, 2)
        assert (figures["adolescent_girls"], figures["adolescent_boys"]) == (9, 13)
        assert (figures["women"], figures["men"]) == (10, 20)
        assert figures["families"] == 11

    def test_participants_are_the_sum_of_the_six_counts(self, campaign):
        figures = approved_figures()
        assert figures["participants"] == sum(figures[field] for field in PARTICIPANT_FIELDS) == 55

    def test_an_approved_activity_that_is_reopened_leaves_the_figures(self, amazonas, staff):
        activity = approved(amazonas, women=30)
        assert approved_figures()["women"] == 30
        activity.transition("reopen", by=staff, comment="La fecha está mal.")
        figures = approved_figures()
        assert (figures["activities"], figures["women"]) == (0, 0)

    def test_no_activity_gives_zeros_not_none(self, db):
        figures = approved_figures()
        assert set(figures.values()) == {0}
        assert set(figures) == {*BREAKDOWN_COUNTS, "networks", "institutions", "network_leaders"}
        assert approved_breakdown("region") == []

    def test_figures_hold_counts_and_reference_names_only(self, campaign):
        rows = [approved_figures(), *approved_breakdown("region"), *approved_breakdown("month")]
        text = repr(rows)
        assert "Taller" not in text
        assert "coord" not in text


class TestBreakdowns:
    @pytest.mark.parametrize("by", ["region", "objective", "service", "month"])
    def test_the_rows_add_up_to_the_totals(self, campaign, by):
        totals = approved_figures()
        rows = approved_breakdown(by)
        assert len(rows) == 2
        for field in BREAKDOWN_COUNTS:
            assert sum(row[field] for row in rows) == totals[field], field

    def test_by_region_names_each_region_in_name_order(self, campaign, amazonas, puno):
        rows = approved_breakdown("region")
        assert [row["region"] for row in rows] == [
            {"id": amazonas.pk, "name": "Amazonas", "slug": "amazonas"},
            {"id": puno.pk, "name": "Puno", "slug": "puno"},
        ]
        assert [row["activities"] for row in rows] == [2, 1]
        assert rows[0]["participants"] == 40

    def test_by_objective_follows_the_objectives_order(self, campaign):
        rows = approved_breakdown("objective")
        oe1, oe2 = Objective.objects.get(code="OE1"), Objective.objects.get(code="OE2")
        assert [row["objective"]["code"] for row in rows] == ["OE1", "OE2"]
        assert rows[0]["objective"] == {"id": oe1.pk, "code": "OE1", "title": oe1.title}
        assert rows[1]["objective"]["id"] == oe2.pk
        assert [row["families"] for row in rows] == [8, 3]

    def test_objective_titles_follow_the_language_and_service_names_stay_spanish(self, campaign):
        service = Service.objects.get(pk=approved_breakdown("service")[0]["service"]["id"])
        with translation.override("en"):
            assert approved_breakdown("service")[0]["service"]["name"] == service.name
            assert approved_breakdown("objective")[0]["objective"]["title"].startswith("Raise awareness")
        with translation.override("es"):
            assert approved_breakdown("service")[0]["service"]["name"] == service.name

    def test_by_service_names_each_service(self, campaign):
        rows = approved_breakdown("service")
        slugs = {row["service"]["slug"]: row["activities"] for row in rows}
        assert slugs == {"hombres-por-la-igualdad": 2, "acercandonos": 1}

    def test_by_month_gives_year_and_month_oldest_first(self, campaign, amazonas):
        approved(amazonas, day=(2024, 12, 31), women=5)
        rows = approved_breakdown("month")
        assert [(row["month"], row["activities"]) for row in rows] == [("2024-12", 1), ("2025-03", 1), ("2025-04", 2)]

    def test_an_unknown_breakdown_is_refused(self, db):
        with pytest.raises(ValueError, match="unknown|Unknown"):
            approved_breakdown("district")

    def test_sex_age_rows_are_the_six_counts_with_labels(self, campaign):
        with translation.override("en"):
            rows = sex_age_rows(approved_figures())
        assert [row["key"] for row in rows] == list(PARTICIPANT_FIELDS)
        assert rows[0] == {"key": "girls", "label": "girls (0–11)", "sex": "female", "age_group": "0-11", "count": 1}
        assert [(row["sex"], row["age_group"]) for row in rows[3:]] == [
            ("male", "12-17"),
            ("female", "18+"),
            ("male", "18+"),
        ]
        with translation.override("es"):
            assert sex_age_rows(approved_figures())[0]["label"] == "niñas (0–11)"


class TestFilters:
    def test_by_region(self, campaign, puno):
        assert approved_figures(region=puno)["activities"] == 1
        assert approved_figures(region=puno.pk)["participants"] == 15

    def test_by_objective_and_service(self, campaign):
        oe1 = Objective.objects.get(code="OE1")
        assert approved_figures(objective=oe1)["activities"] == 2
        service = Service.objects.get(slug="acercandonos")
        assert approved_figures(service=service.pk)["women"] == 10
        assert approved_figures(objective=oe1, service=service)["activities"] == 0

    def test_dates_bound_the_start_date_inclusively(self, campaign):
        assert approved_figures(date_from=datetime.date(2025, 4, 5))["activities"] == 2
        assert approved_figures(date_to=datetime.date(2025, 4, 5))["activities"] == 2
        april_5 = approved_figures(date_from=datetime.date(2025, 4, 5), date_to=datetime.date(2025, 4, 5))
        assert (april_5["activities"], april_5["men"]) == (1, 20)

    def test_the_breakdowns_take_the_same_filters(self, campaign, amazonas):
        rows = approved_breakdown("month", region=amazonas, date_from=datetime.date(2025, 4, 1))
        assert [(row["month"], row["activities"], row["participants"]) for row in rows] == [("2025-04", 1, 30)]

    def test_regions_restricts_to_the_given_regions(self, campaign, amazonas, puno):
        assert approved_figures(regions=[puno.pk])["activities"] == 1
        assert approved_figures(regions={amazonas.pk, puno.pk})["activities"] == 3
        assert approved_figures(regions=Region.objects.filter(slug="puno"))["activities"] == 1
        assert [row["region"]["slug"] for row in approved_breakdown("region", regions=[amazonas.pk])] == ["amazonas"]

    def test_an_empty_regions_list_matches_nothing(self, campaign):
        # A coordinator who belongs to no region sees no figures, not the nation's.
        assert approved_figures(regions=[])["activities"] == 0
        assert approved_breakdown("objective", regions=[]) == []


class TestPartnersAndNetworks:
    def test_institutions_and_networks_are_counted_once_each(self, amazonas, puno):
        shared, other = InstitutionFactory(), InstitutionFactory()
        in_puno = InstitutionFactory(region=puno)
        network = SupportNetworkFactory(leaders=12)
        first = approved(amazonas, women=10)
        second = approved(amazonas, women=10)
        third = approved(puno, women=10)
        first.institutions.set([shared, other])
        second.institutions.set([shared])
        third.institutions.set([in_puno])
        first.support_network = second.support_network = network
        first.save()
        second.save()
        figures = approved_figures()
        # Joining partners to activities would have counted the first activity's women twice.
        assert (figures["activities"], figures["women"]) == (3, 30)
        assert (figures["institutions"], figures["networks"], figures["network_leaders"]) == (3, 1, 12)
        assert approved_figures(region=puno)["institutions"] == 1

    def test_network_leaders_sum_over_the_distinct_networks(self, amazonas, puno):
        # Two networks with the same number of leaders are two networks, not one.
        a, b = SupportNetworkFactory(leaders=7), SupportNetworkFactory(leaders=7)
        c = SupportNetworkFactory(region=puno, leaders=5)
        for network in (a, a, b, c):
            ActivityFactory(region=network.region, support_network=network, status="approved")
        figures = approved_figures()
        assert (figures["networks"], figures["network_leaders"]) == (3, 19)
        assert approved_figures(regions=[puno.pk])["network_leaders"] == 5

    def test_partners_of_activities_that_are_not_approved_do_not_count(self, amazonas):
        network = SupportNetworkFactory(leaders=9)
        activity = ActivityFactory(status="submitted", support_network=network)
        activity.institutions.set([InstitutionFactory()])
        approved(amazonas, women=10)
        figures = approved_figures()
        assert (figures["networks"], figures["network_leaders"], figures["institutions"]) == (0, 0, 0)


class TestOneQueryPerCall:
    @pytest.fixture(params=[1, 15], ids=["one region", "fifteen regions"])
    def spread(self, request, db):
        """Approved activities in one region or all fifteen, across two objectives, months and networks."""
        for index, region in enumerate(Region.objects.all()[: request.param]):
            network = SupportNetworkFactory(region=region)
            for objective, month in (("OE1", 3), ("OE2", 7)):
                activity = approved(region, objective, (2025, month, 1 + index), women=6)
                activity.support_network = network
                activity.save()
                activity.institutions.set([InstitutionFactory(region=region)])
        return request.param

    def test_the_totals_are_one_query(self, spread, django_assert_num_queries):
        with django_assert_num_queries(1):
            figures = approved_figures(date_from=datetime.date(2025, 1, 1), regions=range(1, 10_000))
        assert (figures["activities"], figures["networks"], figures["institutions"]) == (2 * spread, spread, 2 * spread)

    @pytest.mark.parametrize("by", ["region", "objective", "service", "month"])
    def test_each_breakdown_is_one_query(self, spread, by, django_assert_num_queries):
        with django_assert_num_queries(1):
            rows = approved_breakdown(by, date_to=datetime.date(2025, 12, 31))
        assert sum(row["activities"] for row in rows) == 2 * spread
        assert len(rows) == {"region": spread, "objective": 2, "service": 2, "month": 2}[by]
