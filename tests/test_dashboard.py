"""The dashboard (/<lang>/panel/dashboard/): approved figures only, live through the review
workflow, adding up, against targets with or without one; a coordinator's page never holds
another region's numbers; a fixed number of queries whatever the regions hold."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activities.models import PARTICIPANT_FIELDS
from activities.services import activity_transition
from programs.models import Indicator, Objective, Target
from regions.models import Region
from reports.models import Report

from .factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory, coordinator

URL = "/{lang}/panel/dashboard/"
NONE = dict.fromkeys((*PARTICIPANT_FIELDS, "families"), 0)
# A square around Chachapoyas, inside Peru.
AMAZONAS_BOUNDARY = {
    "type": "Polygon",
    "coordinates": [[[-78.5, -5.5], [-77.5, -5.5], [-77.5, -6.8], [-78.5, -6.8], [-78.5, -5.5]]],
}


def activity(region, status="approved", objective="OE1", day=(2025, 3, 10), **counts):
    return ActivityFactory(
        region=region,
        objective=Objective.objects.get(code=objective),
        status=status,
        start_date=datetime.date(*day),
        end_date=datetime.date(*day),
        **{**NONE, **counts},
    )


def target(code, region, value, year=2025, quarter=0):
    return Target.objects.create(
        indicator=Indicator.objects.get(code=code), region=region, year=year, quarter=quarter, value=value
    )


def page(client, lang="en", **query):
    query.setdefault("year", 2025)
    response = client.get(URL.format(lang=lang), query)
    return response, response.content.decode()


def entry(response, code):
    (found,) = [e for e in response.context["indicators"] if e["indicator"]["code"] == code]
    return found


def region_cell(response, code, region):
    (found,) = [row for row in entry(response, code)["regions"] if row["region"]["id"] == region.pk]
    return found


class TestApprovedOnly:
    def test_only_approved_activities_are_counted(self, staff_client, amazonas):
        activity(amazonas, "approved", women=10, families=3)
        for status in ("draft", "submitted", "returned"):
            activity(amazonas, status, women=100, families=50)
        response, html = page(staff_client)
        figures = response.context["figures"]
        assert (figures["activities"], figures["participants"], figures["families"]) == (1, 10, 3)
        assert "<li>Approved activities<strong>1</strong></li>" in html
        assert "<li>People reached<strong>10</strong></li>" in html

    def test_an_approval_shows_at_once_and_a_reopening_takes_it_away(
        self, staff_client, coord_amazonas, staff, amazonas
    ):
        target("oe1-awareness-activities", amazonas, 4)
        draft = activity(amazonas, "draft", women=6, men=2, created_by=coord_amazonas, with_evidence=True)
        activity_transition(activity=draft, action="submit", by=coord_amazonas)
        response, _ = page(staff_client)
        assert response.context["figures"]["activities"] == 0
        assert response.context["pending"] == 1

        activity_transition(activity=draft, action="approve", by=staff)
        response, html = page(staff_client)
        assert response.context["figures"]["participants"] == 8
        assert response.context["pending"] == 0
        assert region_cell(response, "oe1-awareness-activities", amazonas)["percent"] == 25.0

        activity_transition(activity=draft, action="reopen", by=staff, comment="Falta la lista de asistencia.")
        response, _ = page(staff_client)
        assert response.context["figures"]["activities"] == 0
        assert response.context["figures"]["participants"] == 0
        assert region_cell(response, "oe1-awareness-activities", amazonas)["actual"] == 0

    def test_a_returned_activity_is_never_counted(self, staff_client, coord_amazonas, staff, amazonas):
        submitted = activity(amazonas, "draft", women=5, created_by=coord_amazonas, with_evidence=True)
        activity_transition(activity=submitted, action="submit", by=coord_amazonas)
        activity_transition(activity=submitted, action="return", by=staff, comment="Indique las familias.")
        response, _ = page(staff_client)
        assert response.context["figures"]["activities"] == 0

    def test_the_period_and_objective_narrow_the_figures(self, staff_client, amazonas):
        activity(amazonas, objective="OE2", day=(2025, 5, 2), families=7)
        assert page(staff_client, quarter=1)[0].context["figures"]["activities"] == 0
        assert page(staff_client, quarter=2)[0].context["figures"]["families"] == 7
        oe1 = Objective.objects.get(code="OE1")
        assert page(staff_client, objective=oe1.pk)[0].context["figures"]["activities"] == 0
        assert page(staff_client, year=2026)[0].context["figures"]["activities"] == 0

    def test_a_quarter_shows_its_three_months(self, staff_client, amazonas):
        activity(amazonas, day=(2025, 5, 2))
        response, html = page(staff_client, quarter=2)
        assert [m["label"] for m in response.context["months"]] == ["April 2025", "May 2025", "June 2025"]
        assert [m["activities"] for m in response.context["months"]] == [0, 1, 0]

    def test_the_month_chart_is_followed_by_its_numbers(self, staff_client, amazonas):
        activity(amazonas, day=(2025, 3, 2))
        activity(amazonas, day=(2025, 3, 20))
        response, html = page(staff_client)
        assert 'role="img" aria-labelledby="chart-months-title chart-months-desc"' in html
        assert "Mar: 2;" in html  # the chart's own text alternative
        assert '<tr><th scope="row">March 2025</th><td class="n">2</td>' in html


class TestPeopleBySexAndAge:
    def test_the_six_counts_add_up_to_the_people_reached(self, staff_client, amazonas, puno):
        activity(amazonas, girls=1, boys=2, adolescent_girls=3, adolescent_boys=4, women=5, men=6)
        activity(puno, girls=10, boys=20, adolescent_girls=30, adolescent_boys=40, women=50, men=60)
        response, html = page(staff_client)
        table = response.context["sex_age"]
        assert [(r["female"], r["male"], r["total"]) for r in table["rows"]] == [
            (11, 22, 33),
            (33, 44, 77),
            (55, 66, 121),
        ]
        assert table["totals"] == {"female": 99, "male": 132, "total": 231}
        assert table["totals"]["total"] == response.context["figures"]["participants"] == 231
        assert '<td class="n" data-participants>231</td>' in html


class TestIndicatorsAgainstTargets:
    def test_the_percentage_of_the_target(self, staff_client, amazonas):
        target("oe1-awareness-activities", amazonas, 8)
        for _ in range(2):
            activity(amazonas)
        response, html = page(staff_client, region=amazonas.pk)
        cell = region_cell(response, "oe1-awareness-activities", amazonas)
        assert (cell["actual"], cell["target"], cell["percent"], cell["bar"]) == (2, 8, 25.0, 25)
        assert '<rect width="25" height="10" fill="#7a1f5c"/>' in html
        assert "25.0 %" in html

    def test_a_missing_or_zero_target_shows_no_target(self, staff_client, amazonas, puno):
        target("oe1-awareness-activities", amazonas, 0)
        activity(amazonas)
        activity(puno)
        response, html = page(staff_client)
        for region in (amazonas, puno):
            cell = region_cell(response, "oe1-awareness-activities", region)
            assert (cell["actual"], cell["percent"], cell["bar"]) == (1, None, 0)
        assert region_cell(response, "oe1-awareness-activities", amazonas)["target"] == 0
        assert region_cell(response, "oe1-awareness-activities", puno)["target"] is None
        total = entry(response, "oe1-awareness-activities")["total"]
        assert (total["actual"], total["target"], total["percent"]) == (2, 0, None)
        assert "No target" in html

    def test_a_target_passed_fills_the_bar_and_says_by_how_much(self, staff_client, amazonas):
        target("oe1-awareness-activities", amazonas, 1)
        activity(amazonas)
        activity(amazonas)
        response, html = page(staff_client)
        cell = region_cell(response, "oe1-awareness-activities", amazonas)
        assert (cell["percent"], cell["bar"]) == (200.0, 100)

    def test_the_total_adds_the_regions_up(self, staff_client, amazonas, puno):
        target("oe1-people-reached", amazonas, 100)
        target("oe1-people-reached", puno, 300)
        activity(amazonas, women=40)
        activity(puno, women=60)
        total = entry(page(staff_client)[0], "oe1-people-reached")["total"]
        assert (total["actual"], total["target"], total["percent"]) == (100, 400, 25.0)

    def test_every_indicator_shows_every_region(self, staff_client):
        response, html = page(staff_client)
        assert len(response.context["indicators"]) == Indicator.objects.count()
        for found in response.context["indicators"]:
            assert len(found["regions"]) == Region.objects.count()

    def test_the_matrix_has_a_row_per_region_and_a_cell_per_indicator(self, staff_client, amazonas):
        target("oe1-awareness-activities", amazonas, 8)
        activity(amazonas)
        activity(amazonas)
        response, html = page(staff_client)
        matrix = response.context["matrix"]
        assert [row["region"]["name"] for row in matrix] == [
            r["region"]["name"] for r in entry(response, "oe1-people-reached")["regions"]
        ]
        assert all(len(row["cells"]) == Indicator.objects.count() for row in matrix)
        (amazonas_row,) = [row for row in matrix if row["region"]["id"] == amazonas.pk]
        assert [cell["indicator"]["code"] for cell in amazonas_row["cells"]] == [
            e["indicator"]["code"] for e in response.context["indicators"]
        ]
        assert '<span class="cell-figure">2 of 8</span>' in html

    def test_one_region_needs_no_matrix(self, staff_client, amazonas):
        html = page(staff_client, region=amazonas.pk)[1]
        assert 'id="indicator-totals"' in html
        assert 'id="indicator-matrix"' not in html


class TestMap:
    def test_regions_with_a_boundary_are_drawn_shaded_and_every_region_is_in_the_table(self, staff_client, amazonas):
        Region.objects.filter(pk=amazonas.pk).update(boundary=AMAZONAS_BOUNDARY)
        target("oe1-awareness-activities", amazonas, 2)
        target("oe1-people-reached", amazonas, 100)
        activity(amazonas, women=100)
        response, html = page(staff_client)
        table = {row["region"].slug: row for row in response.context["map"]["table"]}
        assert len(table) == Region.objects.count()
        # 50 % of one indicator and 100 % of the other.
        assert table["amazonas"]["progress"] == 75.0
        assert table["puno"]["progress"] is None
        assert html.count("<path ") == 1
        assert 'fill="#7a1f5c"' not in html.split('class="progress-map"')[1].split("</svg>")[0]
        assert "<title>Amazonas: 75.0 %</title>" in html
        assert 'aria-labelledby="map-title map-desc"' in html
        assert "Puno <small>not on the map: no boundary loaded</small>" in html

    def test_without_any_boundary_the_table_stands_alone(self, staff_client):
        response, html = page(staff_client)
        assert response.context["map"]["svg"] == ""
        assert "the map cannot be drawn" in html
        assert 'id="region-progress"' in html


class TestCoordinators:
    # Puno's numbers, as the page would write them in either language, and its name.
    SECRETS = ("4321", "4,321", "4.321", "8765", "8,765", "8.765", "97531", "97,531", "97.531", "Puno")

    @pytest.fixture
    def puno_data(self, puno, coord_puno):
        activity(puno, women=4321, families=8765)
        activity(puno, "submitted", created_by=coord_puno)
        target("oe1-people-reached", puno, 97531)
        Report.objects.create(kind="regional_progress", format="pdf", region=puno, status="done")
        Report.objects.create(kind="national_summary", format="pdf", status="done")

    def test_a_coordinator_sees_their_region_only(self, amazonas_client, amazonas, puno_data):
        activity(amazonas, women=3)
        response, html = page(amazonas_client)
        assert response.status_code == 200
        assert response.context["figures"]["participants"] == 3
        assert [r.slug for r in response.context["scope"].regions] == ["amazonas"]
        for found in response.context["indicators"]:
            assert [row["region"]["name"] for row in found["regions"]] == ["Amazonas"]
        assert response.context["pending"] == 0
        assert list(response.context["reports"]) == []
        for secret in self.SECRETS:
            assert secret not in html

    @pytest.mark.parametrize("lang", ["es", "en"])
    def test_asking_for_another_region_is_refused(self, amazonas_client, puno, puno_data, lang):
        response, html = page(amazonas_client, lang=lang, region=puno.pk)
        assert response.status_code == 400
        assert "figures" not in response.context
        assert 'id="error-summary"' in html
        for secret in self.SECRETS:
            assert secret not in html

    def test_the_region_choices_are_the_coordinators_own(self, amazonas_client, amazonas):
        response, html = page(amazonas_client)
        assert response.context["form"].fields["region"].choices == [("", "All regions"), (amazonas.pk, "Amazonas")]

    def test_a_coordinator_of_two_regions_sees_both_and_no_third(self, client, amazonas, puno):
        client.force_login(coordinator("coord-sur", amazonas, puno))
        activity(amazonas, women=1)
        activity(puno, women=2)
        activity(Region.objects.get(slug="cusco"), women=400)
        response, html = page(client)
        assert response.context["figures"]["participants"] == 3
        assert "Cusco" not in html

    def test_the_waiting_activities_link_to_the_coordinators_own_list(self, amazonas_client, coord_amazonas, amazonas):
        activity(amazonas, "submitted", created_by=coord_amazonas)
        response, html = page(amazonas_client)
        assert response.context["pending"] == 1
        assert "1 activity is waiting for review." in html
        assert 'href="/en/panel/activities/?status=submitted"' in html
        assert "/en/panel/review/" not in html

    def test_a_coordinator_without_a_region_sees_no_figures(self, client, db):
        client.force_login(coordinator("coord-nowhere"))
        response, html = page(client)
        assert response.status_code == 200
        assert "figures" not in response.context
        assert "You are not assigned to any region yet" in html


class TestStaff:
    def test_staff_see_every_region(self, staff_client, amazonas, puno):
        activity(amazonas, women=3)
        activity(puno, women=4)
        response, html = page(staff_client)
        assert response.context["figures"]["participants"] == 7
        assert len(response.context["scope"].regions) == Region.objects.count()

    def test_a_region_narrows_every_figure(self, staff_client, amazonas, puno):
        activity(amazonas, women=3)
        activity(puno, women=4, families=2)
        response, html = page(staff_client, region=puno.pk)
        assert response.context["figures"]["participants"] == 4
        assert response.context["map"]["table"][0]["region"] == puno
        assert all(len(found["regions"]) == 1 for found in response.context["indicators"])

    def test_the_activities_waiting_for_review_link_to_the_queue(self, staff_client, amazonas, puno):
        activity(amazonas, "submitted")
        activity(puno, "submitted", day=(2024, 7, 1))  # waiting whatever its date
        activity(puno, "draft")
        response, html = page(staff_client)
        assert response.context["pending"] == 2
        assert "2 activities are waiting for review." in html
        assert 'href="/en/panel/review/"' in html
        response, html = page(staff_client, region=amazonas.pk)
        assert response.context["pending"] == 1
        assert f'href="/en/panel/review/?region={amazonas.pk}"' in html

    def test_the_five_most_recent_reports(self, staff_client, amazonas):
        reports = [
            Report.objects.create(kind="regional_progress", format="pdf", region=amazonas, status="done")
            for _ in range(6)
        ]
        response, html = page(staff_client)
        assert [r.pk for r in response.context["reports"]] == [r.pk for r in reversed(reports[1:])]
        assert f'href="/en/panel/reports/{reports[-1].pk}/download/"' in html
        assert 'href="/en/panel/reports/"' in html

    def test_staff_are_offered_the_targets_page(self, staff_client):
        html = page(staff_client, quarter=3)[1]
        assert 'href="/en/panel/targets/?year=2025&amp;quarter=3"' in html


class TestAccess:
    def test_visitors_are_sent_to_log_in(self, client):
        response = client.get(URL.format(lang="es"))
        assert response.status_code == 302
        assert response["Location"].startswith("/es/accounts/login/")

    @pytest.mark.parametrize("method", ["put", "patch", "delete"])
    def test_only_get_and_the_exports_post_are_answered(self, staff_client, method):
        assert getattr(staff_client, method)(URL.format(lang="en")).status_code == 405

    def test_the_page_is_never_cached(self, staff_client):
        response, _ = page(staff_client)
        assert "no-cache" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]

    @pytest.mark.parametrize("query", [{"year": 1990}, {"year": "abc"}, {"quarter": 9}, {"objective": 999}])
    def test_a_wrong_filter_is_refused(self, staff_client, query):
        response, html = page(staff_client, **query)
        assert response.status_code == 400
        assert "figures" not in response.context

    def test_without_a_year_the_current_one_is_shown(self, staff_client):
        response = staff_client.get(URL.format(lang="en"))
        assert response.context["scope"].year == datetime.date.today().year

    def test_the_panel_and_the_admin_link_to_the_dashboard(self, staff_client):
        assert 'href="/en/panel/dashboard/"' in staff_client.get("/en/panel/").content.decode()
        admin = staff_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert 'href="/en/panel/dashboard/"' in admin
        assert 'href="/en/panel/targets/"' in admin


class TestQueries:
    # Measured 17 for a whole year, for staff and for a coordinator alike, plus a margin of 2. The
    # page's own 14: the session, the user, staff's second-factor device or a coordinator's
    # memberships, the regions, the objectives, the period's cells by region and objective (sums,
    # networks, institutions: selectors.approved_cells), the indicators, their regions and
    # targets, the months, the waiting activities and the reports. Then each earlier period the
    # page is compared with (Scope.earlier()) reads its cells, 3 queries, from which both its
    # headline and its indicators' actuals are made: a year is compared with one period, a
    # quarter with two.
    MAX_QUERIES = 17 + 2
    PER_EARLIER_PERIOD = 3

    def fill(self, regions):
        """Activities of every kind in each region, with partners, networks and targets, in the
        year shown and in every period it is compared with (the year before, the quarter before
        the first one, the same quarter a year before)."""
        for region in regions:
            network = SupportNetworkFactory(region=region)
            for day in ((2025, 3, 10), (2024, 11, 10), (2024, 3, 10)):
                for code in ("OE1", "OE2", "OE3", "OE4"):
                    done = activity(region, objective=code, day=day, women=3, families=1, support_network=network)
                    done.institutions.set(InstitutionFactory.create_batch(2, region=region))
            activity(region, "submitted")
            for found in Indicator.objects.all():
                Target.objects.get_or_create(indicator=found, region=region, year=2025, quarter=0, value=5)
            Report.objects.create(kind="regional_progress", format="pdf", region=region, status="done")

    def count(self, client, **query):
        with CaptureQueriesContext(connection) as queries:
            response, _ = page(client, **query)
        assert response.status_code == 200
        return len(queries)

    @pytest.mark.parametrize("who", ["staff", "coord-sur"])
    @pytest.mark.parametrize("period", [{}, {"quarter": 1}], ids=["year", "quarter"])
    def test_the_same_queries_for_two_regions_data_as_for_fifteen(self, client, staff, amazonas, puno, who, period):
        user = staff if who == "staff" else coordinator("coord-sur", amazonas, puno)
        client.force_login(user)
        self.fill([amazonas, puno])
        with_two = self.count(client, **period)
        self.fill(Region.objects.exclude(pk__in=[amazonas.pk, puno.pk]))
        with_fifteen = self.count(client, **period)
        assert with_fifteen == with_two
        assert with_fifteen <= self.MAX_QUERIES + (self.PER_EARLIER_PERIOD if period else 0)

    def test_a_quarter_costs_one_earlier_period_more_than_a_year(self, staff_client, amazonas, puno):
        self.fill([amazonas, puno])
        assert self.count(staff_client, quarter=1) - self.count(staff_client) == self.PER_EARLIER_PERIOD

    def test_the_same_queries_whatever_the_number_of_activities(self, staff_client, amazonas, puno):
        # The page adds up tallies (reports.tally): more activities fill the same cells, never more queries.
        self.fill([amazonas, puno])
        few = self.count(staff_client), self.count(staff_client, quarter=1)
        for month in range(1, 13):
            for status in ("approved", "approved", "submitted", "returned"):
                done = activity(puno, status, objective="OE3", day=(2025, month, 5), women=2)
                done.institutions.set([InstitutionFactory(region=puno)])
        assert (self.count(staff_client), self.count(staff_client, quarter=1)) == few

    def test_the_same_queries_with_every_filter(self, staff_client, amazonas):
        self.fill([amazonas])
        oe1 = Objective.objects.get(code="OE1")
        query = {"region": amazonas.pk, "objective": oe1.pk, "quarter": 1}
        assert self.count(staff_client, **query) <= self.MAX_QUERIES + self.PER_EARLIER_PERIOD


class TestLanguages:
    @pytest.mark.parametrize(
        ("lang", "indicator_name", "month"),
        [
            ("es", "Personas sensibilizadas", "Marzo de 2025"),
            ("en", "People reached by awareness activities", "March 2025"),
        ],
    )
    def test_the_dashboard_speaks_the_language_of_its_address(
        self, staff_client, amazonas, lang, indicator_name, month
    ):
        activity(amazonas)
        response, html = page(staff_client, lang=lang)
        assert response["Content-Language"] == lang
        assert f'<html lang="{lang}">' in html
        assert indicator_name in html
        assert month in html
