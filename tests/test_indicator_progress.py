"""Indicators against targets (reports.selectors.indicator_progress): each kind of computation,
only approved activities of the indicator's objective and period, the percentage, and a number
of queries that does not grow with the regions."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from activities.models import PARTICIPANT_FIELDS
from programs.models import Indicator, Objective, Target
from regions.models import Region
from reports.selectors import indicator_progress

from .factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory

NONE = dict.fromkeys((*PARTICIPANT_FIELDS, "families"), 0)


def approved(region, objective="OE1", day=(2025, 3, 10), **fields):
    return ActivityFactory(
        region=region,
        objective=Objective.objects.get(code=objective),
        start_date=datetime.date(*day),
        end_date=datetime.date(*day),
        status="approved",
        **{**NONE, **fields},
    )


def cell(rows, code, region):
    (row,) = [r for r in rows if r["indicator"]["code"] == code and r["region"]["slug"] == region.slug]
    return row


def target(code, region, value, year=2025, quarter=0):
    return Target.objects.create(
        indicator=Indicator.objects.get(code=code), region=region, year=year, quarter=quarter, value=value
    )


class TestComputations:
    def test_activities_count_the_indicators_own_objective_only(self, amazonas):
        approved(amazonas, "OE1")
        approved(amazonas, "OE1")
        approved(amazonas, "OE2")
        rows = indicator_progress(year=2025, regions=[amazonas])
        assert cell(rows, "oe1-awareness-activities", amazonas)["actual"] == 2
        assert cell(rows, "oe2-parenting-sessions", amazonas)["actual"] == 1
        assert cell(rows, "oe4-articulated-actions", amazonas)["actual"] == 0

    def test_participants_are_the_sum_of_the_six_counts(self, amazonas):
        approved(amazonas, girls=1, boys=2, adolescent_girls=3, adolescent_boys=4, women=5, men=6)
        approved(amazonas, women=10)
        rows = indicator_progress(year=2025, regions=[amazonas])
        assert cell(rows, "oe1-people-reached", amazonas)["actual"] == 31

    def test_families_are_summed(self, amazonas):
        approved(amazonas, "OE2", families=7)
        approved(amazonas, "OE2", families=5)
        approved(amazonas, "OE1", families=100)
        rows = indicator_progress(year=2025, regions=[amazonas])
        assert cell(rows, "oe2-families-reached", amazonas)["actual"] == 12

    def test_networks_and_their_leaders_count_each_network_once(self, amazonas):
        red_a = SupportNetworkFactory(region=amazonas, leaders=12)
        red_b = SupportNetworkFactory(region=amazonas, leaders=5)
        approved(amazonas, "OE3", support_network=red_a)
        approved(amazonas, "OE3", support_network=red_a)
        approved(amazonas, "OE3", support_network=red_b)
        approved(amazonas, "OE3")
        rows = indicator_progress(year=2025, regions=[amazonas])
        assert cell(rows, "oe3-support-networks", amazonas)["actual"] == 2
        assert cell(rows, "oe3-network-leaders", amazonas)["actual"] == 17

    def test_institutions_are_distinct_partners(self, amazonas):
        school, health_post, unused = InstitutionFactory.create_batch(3, region=amazonas)
        approved(amazonas, "OE4").institutions.set([school, health_post])
        approved(amazonas, "OE4").institutions.set([school])
        rows = indicator_progress(year=2025, regions=[amazonas])
        assert cell(rows, "oe4-institutions", amazonas)["actual"] == 2

    def test_each_region_gets_its_own_figures(self, amazonas, puno):
        approved(amazonas, women=3)
        approved(puno, women=40)
        rows = indicator_progress(year=2025, regions=[amazonas, puno])
        assert cell(rows, "oe1-people-reached", amazonas)["actual"] == 3
        assert cell(rows, "oe1-people-reached", puno)["actual"] == 40


class TestWhatCounts:
    def test_only_approved_activities_count(self, amazonas):
        for status in ("draft", "submitted", "returned"):
            ActivityFactory(region=amazonas, status=status, women=50)
        approved(amazonas, women=2)
        rows = indicator_progress(year=2025, regions=[amazonas])
        assert cell(rows, "oe1-awareness-activities", amazonas)["actual"] == 1
        assert cell(rows, "oe1-people-reached", amazonas)["actual"] == 2

    def test_a_reopened_activity_leaves_the_figures(self, amazonas, staff):
        activity = approved(amazonas, women=30)
        assert cell(indicator_progress(year=2025, regions=[amazonas]), "oe1-people-reached", amazonas)["actual"] == 30
        activity.transition("reopen", by=staff, comment="La fecha está mal.")
        assert cell(indicator_progress(year=2025, regions=[amazonas]), "oe1-people-reached", amazonas)["actual"] == 0

    def test_the_year_and_quarter_follow_the_start_date(self, amazonas):
        approved(amazonas, day=(2024, 12, 31))
        approved(amazonas, day=(2025, 1, 1))
        approved(amazonas, day=(2025, 3, 31))
        approved(amazonas, day=(2025, 4, 1))
        approved(amazonas, day=(2025, 12, 31))
        approved(amazonas, day=(2026, 1, 1))
        code = "oe1-awareness-activities"
        assert cell(indicator_progress(year=2025, regions=[amazonas]), code, amazonas)["actual"] == 4
        assert cell(indicator_progress(year=2025, quarter=1, regions=[amazonas]), code, amazonas)["actual"] == 2
        assert cell(indicator_progress(year=2025, quarter=2, regions=[amazonas]), code, amazonas)["actual"] == 1
        assert cell(indicator_progress(year=2025, quarter=4, regions=[amazonas]), code, amazonas)["actual"] == 1

    def test_until_gives_a_year_to_date_figure(self, amazonas):
        approved(amazonas, day=(2025, 2, 1))
        approved(amazonas, day=(2025, 6, 1))
        rows = indicator_progress(year=2025, regions=[amazonas], until=datetime.date(2025, 3, 31))
        assert cell(rows, "oe1-awareness-activities", amazonas)["actual"] == 1

    def test_an_unknown_quarter_is_refused(self, amazonas):
        with pytest.raises(ValueError):
            indicator_progress(year=2025, quarter=5, regions=[amazonas])


class TestTargets:
    def test_percent_is_actual_over_target(self, amazonas):
        approved(amazonas)
        target("oe1-awareness-activities", amazonas, 8)
        row = cell(indicator_progress(year=2025, regions=[amazonas]), "oe1-awareness-activities", amazonas)
        assert (row["actual"], row["target"], row["percent"]) == (1, 8, 12.5)

    def test_no_target_gives_no_percent(self, amazonas):
        approved(amazonas)
        row = cell(indicator_progress(year=2025, regions=[amazonas]), "oe1-awareness-activities", amazonas)
        assert (row["target"], row["percent"]) == (None, None)

    def test_a_zero_target_gives_no_percent(self, amazonas):
        approved(amazonas)
        target("oe1-awareness-activities", amazonas, 0)
        row = cell(indicator_progress(year=2025, regions=[amazonas]), "oe1-awareness-activities", amazonas)
        assert (row["actual"], row["target"], row["percent"]) == (1, 0, None)

    def test_targets_of_another_period_or_region_do_not_apply(self, amazonas, puno):
        target("oe1-awareness-activities", amazonas, 10, year=2026)
        target("oe1-awareness-activities", amazonas, 3, quarter=2)
        target("oe1-awareness-activities", puno, 7)
        row = cell(indicator_progress(year=2025, regions=[amazonas]), "oe1-awareness-activities", amazonas)
        assert row["target"] is None
        q2 = cell(indicator_progress(year=2025, quarter=2, regions=[amazonas]), "oe1-awareness-activities", amazonas)
        assert q2["target"] == 3

    def test_progress_above_the_target_is_shown_as_is(self, amazonas):
        for _ in range(3):
            approved(amazonas)
        target("oe1-awareness-activities", amazonas, 2)
        row = cell(indicator_progress(year=2025, regions=[amazonas]), "oe1-awareness-activities", amazonas)
        assert row["percent"] == 150.0


class TestShape:
    def test_one_row_per_indicator_and_region_in_order(self, amazonas, puno):
        rows = indicator_progress(year=2025, regions=Region.objects.filter(pk__in=[amazonas.pk, puno.pk]))
        indicators = list(Indicator.objects.values_list("code", flat=True))
        assert [(r["indicator"]["code"], r["region"]["slug"]) for r in rows] == [
            (code, slug) for code in indicators for slug in ("amazonas", "puno")
        ]
        assert set(rows[0]) == {"indicator", "region", "actual", "target", "percent"}
        assert set(rows[0]["indicator"]) == {"id", "code", "name", "unit"}
        assert set(rows[0]["region"]) == {"id", "name", "slug"}

    def test_no_regions_means_every_region(self, db):
        rows = indicator_progress(year=2025)
        assert len(rows) == Indicator.objects.count() * Region.objects.count()

    def test_an_objective_narrows_the_indicators(self, amazonas):
        rows = indicator_progress(year=2025, regions=[amazonas], objective=Objective.objects.get(code="OE3"))
        assert {r["indicator"]["code"] for r in rows} == {"oe3-support-networks", "oe3-network-leaders"}

    def test_names_and_units_follow_the_language(self, amazonas):
        with translation.override("en"):
            row = cell(indicator_progress(year=2025, regions=[amazonas]), "oe3-network-leaders", amazonas)
        assert (row["indicator"]["name"], row["indicator"]["unit"]) == ("Leaders in the support networks", "leaders")
        with translation.override("es"):
            row = cell(indicator_progress(year=2025, regions=[amazonas]), "oe3-network-leaders", amazonas)
        assert (row["indicator"]["name"], row["indicator"]["unit"]) == ("Líderes en las redes de soporte", "líderes")

    def test_no_names_of_people_or_activities_come_out(self, amazonas):
        approved(amazonas, title="Taller con la familia Quispe", description="Detalle privado")
        assert "Quispe" not in repr(indicator_progress(year=2025, regions=[amazonas]))


def queries_for(regions):
    with CaptureQueriesContext(connection) as captured:
        indicator_progress(year=2025, regions=regions)
    return len(captured.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_regions(amazonas, puno):
    for region in Region.objects.all():
        network = SupportNetworkFactory(region=region)
        activity = approved(region, "OE3", support_network=network, women=4)
        activity.institutions.set([InstitutionFactory(region=region)])
        target("oe1-people-reached", region, 10)
    one = queries_for([amazonas])
    every = queries_for(None)
    # Indicators, regions, targets, one grouped query per kind of computation, the networks' leaders.
    assert one == every <= 7
