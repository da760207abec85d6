"""The dashboard's period comparison and its "Export this view".

Each headline figure and each indicator is compared with the previous period (the quarter before,
the first quarter's being the year before's fourth; or the year before) and with the same period a
year before, given once when the two coincide (a whole year). The earlier figures obey the same
filters and the same regions as the page's own. "Export this view" queues the progress report of
the page's filters and opens its page."""

import datetime
import io
import re

import pytest
from django.test import Client
from openpyxl import load_workbook

import reports.progress  # noqa: F401  (registers the progress reports' generators)
from activities.models import PARTICIPANT_FIELDS
from programs.models import Indicator, Objective
from regions.models import Region
from reports.models import Report
from reports.services import report_open
from tests.factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory, coordinator

URL = "/{lang}/panel/dashboard/"
NONE = dict.fromkeys((*PARTICIPANT_FIELDS, "families"), 0)
NBSP = "\u00a0"
MINUS = "\u2212"


def approved(region, day, objective="OE1", status="approved", **counts):
    return ActivityFactory(
        region=region,
        objective=Objective.objects.get(code=objective),
        status=status,
        start_date=datetime.date(*day),
        end_date=datetime.date(*day),
        **{**NONE, **counts},
    )


def page(client, lang="en", **query):
    response = client.get(URL.format(lang=lang), query)
    assert response.status_code == 200, response.content.decode()[:500]
    return response, response.content.decode()


def changes(response, key):
    """[(period, base, difference, percent), ...] of one headline figure."""
    (row,) = [row for row in response.context["headline"] if row["key"] == key]
    return [(c.period, c.base, c.difference, c.percent) for c in row["changes"]]


def indicator(response, code):
    (entry,) = [e for e in response.context["indicators"] if e["indicator"]["code"] == code]
    return entry


def cell_change(response, code, region):
    (row,) = [row for row in indicator(response, code)["regions"] if row["region"]["id"] == region.pk]
    change = row["change"]
    return (change.period, change.base, change.difference, change.percent)


class TestPeriods:
    def test_a_quarter_is_compared_with_the_quarter_before_and_the_same_quarter_a_year_before(
        self, staff_client, amazonas
    ):
        for _ in range(3):
            approved(amazonas, (2026, 8, 3), women=10, families=2)  # Q3 2026: 3 activities, 30 people
        for _ in range(4):
            approved(amazonas, (2026, 5, 20), women=10, families=1)  # Q2 2026: 4, 40
        for _ in range(2):
            approved(amazonas, (2025, 9, 30), women=12, families=2)  # Q3 2025: 2, 24
        approved(amazonas, (2026, 9, 30), status="submitted", women=500)  # not approved: never counted
        approved(amazonas, (2024, 8, 3), women=500)  # two years before: in no period shown

        response, html = page(staff_client, year=2026, quarter=3)

        assert response.context["earlier"] == ["Q2 2026", "Q3 2025"]
        assert changes(response, "activities") == [("Q2 2026", 4, -1, -25.0), ("Q3 2025", 2, 1, 50.0)]
        assert changes(response, "participants") == [("Q2 2026", 40, -10, -25.0), ("Q3 2025", 24, 6, 25.0)]
        assert changes(response, "families") == [("Q2 2026", 4, 2, 50.0), ("Q3 2025", 4, 2, 50.0)]
        # What a person reads: the earlier value, the change with its sign, and a sentence that says
        # the direction in words.
        row = html.split('data-figure="activities"')[1].split("</tr>")[0]
        assert re.findall(r'<td class="n">(\d+)</td>', row) == ["3", "4", "2"]
        assert f"▼{NBSP}{MINUS}1 · {MINUS}25{NBSP}%" in row
        assert f"▲{NBSP}+1 · +50{NBSP}%" in row
        assert f"Down 1 (25{NBSP}%) from 4 in Q2 2026." in row
        assert f"Up 1 (50{NBSP}%) from 2 in Q3 2025." in row

    def test_the_first_quarter_is_compared_with_the_fourth_of_the_year_before(self, staff_client, amazonas):
        approved(amazonas, (2026, 1, 1), women=5)  # the first day of Q1 2026
        approved(amazonas, (2025, 12, 31), women=5)  # the last day of Q4 2025
        approved(amazonas, (2025, 12, 1), women=5)
        approved(amazonas, (2025, 10, 1), women=5)
        approved(amazonas, (2025, 3, 31), women=5)  # Q1 2025
        approved(amazonas, (2025, 9, 30), women=5)  # Q3 2025: in neither

        response, _ = page(staff_client, year=2026, quarter=1)

        assert response.context["figures"]["activities"] == 1
        assert changes(response, "activities") == [("Q4 2025", 3, -2, -66.7), ("Q1 2025", 1, 0, 0.0)]

    def test_a_whole_year_is_compared_with_the_year_before_once(self, staff_client, amazonas):
        for day in ((2026, 1, 5), (2026, 12, 31), (2026, 6, 1), (2026, 7, 1)):
            approved(amazonas, day, women=3)
        for day in ((2025, 1, 1), (2025, 12, 31)):
            approved(amazonas, day, women=2)

        response, html = page(staff_client, year=2026)

        assert response.context["earlier"] == ["2025"]
        assert changes(response, "activities") == [("2025", 2, 2, 100.0)]
        assert changes(response, "participants") == [("2025", 4, 8, 200.0)]
        assert "Compared with the year before (2025)" in html
        assert html.count("Change from 2025") == 2  # the headline table's column and the indicators'

    def test_a_zero_base_has_no_percentage(self, staff_client, amazonas):
        approved(amazonas, (2026, 5, 4), women=7)

        response, html = page(staff_client, year=2026, quarter=2)

        assert changes(response, "activities") == [("Q1 2026", 0, 1, None), ("Q2 2025", 0, 1, None)]
        assert changes(response, "networks") == [("Q1 2026", 0, 0, None), ("Q2 2025", 0, 0, None)]
        row = html.split('data-figure="participants"')[1].split("</tr>")[0]
        assert f"▲{NBSP}+7 · —" in row
        assert "Up 7 from none in Q1 2026." in row
        row = html.split('data-figure="networks"')[1].split("</tr>")[0]
        assert f"={NBSP}0 · —" in row
        assert "No change from Q1 2026 (0)." in row

    def test_networks_leaders_and_institutions_are_compared_too(self, staff_client, amazonas):
        network = SupportNetworkFactory(region=amazonas, leaders=9)
        partners = InstitutionFactory.create_batch(3, region=amazonas)
        approved(amazonas, (2026, 2, 2), support_network=network).institutions.set(partners[:1])
        earlier = approved(amazonas, (2025, 11, 2), support_network=network)
        earlier.institutions.set(partners)
        approved(amazonas, (2025, 11, 3), support_network=network)  # the same network counts once

        response, _ = page(staff_client, year=2026, quarter=1)

        assert changes(response, "networks")[0] == ("Q4 2025", 1, 0, 0.0)
        assert changes(response, "network_leaders")[0] == ("Q4 2025", 9, 0, 0.0)
        assert changes(response, "institutions")[0] == ("Q4 2025", 3, -2, -66.7)

    def test_the_year_before_the_campaign_compares_with_nothing(self, staff_client, amazonas):
        approved(amazonas, (2024, 2, 1))
        response, _ = page(staff_client, year=2024, quarter=1)
        assert changes(response, "activities") == [("Q4 2023", 0, 1, None), ("Q1 2023", 0, 1, None)]

    def test_the_spanish_page_says_it_in_spanish(self, staff_client, amazonas):
        approved(amazonas, (2026, 8, 3), women=1)
        response, html = page(staff_client, lang="es", year=2026, quarter=3)
        assert response.context["earlier"] == ["T2 2026", "T3 2025"]
        assert 'lang="es"' in html


class TestIndicators:
    def test_each_total_is_compared_with_both_periods_and_each_region_with_the_previous_one(
        self, staff_client, amazonas, puno
    ):
        approved(amazonas, (2026, 8, 1), women=20)
        approved(amazonas, (2026, 8, 2), women=20)
        approved(puno, (2026, 8, 3), women=10)
        approved(amazonas, (2026, 4, 1), women=30)  # Q2 2026
        approved(puno, (2026, 4, 2), women=5)
        approved(puno, (2026, 4, 3), women=5)
        approved(puno, (2025, 7, 9), women=8)  # Q3 2025

        response, html = page(staff_client, year=2026, quarter=3)

        activities = indicator(response, "oe1-awareness-activities")
        assert [(c.period, c.base, c.difference, c.percent) for c in activities["total"]["changes"]] == [
            ("Q2 2026", 3, 0, 0.0),
            ("Q3 2025", 1, 2, 200.0),
        ]
        people = indicator(response, "oe1-people-reached")
        assert [(c.period, c.base, c.difference, c.percent) for c in people["total"]["changes"]] == [
            ("Q2 2026", 40, 10, 25.0),
            ("Q3 2025", 8, 42, 525.0),
        ]
        assert cell_change(response, "oe1-people-reached", amazonas) == ("Q2 2026", 30, 10, 33.3)
        assert cell_change(response, "oe1-people-reached", puno) == ("Q2 2026", 10, 0, 0.0)
        assert cell_change(response, "oe1-awareness-activities", amazonas) == ("Q2 2026", 1, 1, 100.0)
        assert cell_change(response, "oe1-awareness-activities", puno) == ("Q2 2026", 2, -1, -50.0)
        # Every region's cell of the matrix says its change, in signs and in words.
        matrix = html.split('id="indicator-matrix"')[1].split("</table>")[0]
        assert f"Up 10 (33{NBSP}%) from 30 in Q2 2026." in matrix
        assert f"Down 1 (50{NBSP}%) from 2 in Q2 2026." in matrix
        assert matrix.count('class="change change-') == Indicator.objects.count() * len(response.context["matrix"])
        totals = html.split('id="indicator-totals"')[1].split("</table>")[0]
        assert "Achieved in Q2 2026" in totals and "Change from Q3 2025" in totals

    def test_an_indicator_of_another_objective_counts_its_own_activities_only(self, staff_client, amazonas):
        approved(amazonas, (2026, 5, 1), objective="OE2", families=4)
        approved(amazonas, (2026, 2, 1), objective="OE2", families=6)
        approved(amazonas, (2026, 2, 1), objective="OE1", families=100)
        response, _ = page(staff_client, year=2026, quarter=2, region=amazonas.pk)
        families = indicator(response, "oe2-families-reached")
        assert [(c.base, c.difference) for c in families["total"]["changes"]] == [(6, -2), (0, 4)]


class TestFilters:
    def test_the_objective_narrows_the_earlier_periods_too(self, staff_client, amazonas):
        oe2 = Objective.objects.get(code="OE2")
        approved(amazonas, (2026, 8, 1), objective="OE2", women=4)
        approved(amazonas, (2026, 5, 1), objective="OE2", women=2)
        approved(amazonas, (2026, 5, 1), objective="OE1", women=100)
        approved(amazonas, (2025, 8, 1), objective="OE3", women=100)

        response, _ = page(staff_client, year=2026, quarter=3, objective=oe2.pk)

        assert changes(response, "activities") == [("Q2 2026", 1, 0, 0.0), ("Q3 2025", 0, 1, None)]
        assert changes(response, "participants") == [("Q2 2026", 2, 2, 100.0), ("Q3 2025", 0, 4, None)]
        assert {e["indicator"]["code"][:3] for e in response.context["indicators"]} == {"oe2"}

    def test_the_region_narrows_the_earlier_periods_too(self, staff_client, amazonas, puno):
        approved(amazonas, (2026, 8, 1), women=4)
        approved(amazonas, (2026, 5, 1), women=3)
        approved(puno, (2026, 5, 1), women=300)
        approved(puno, (2025, 8, 1), women=300)

        response, html = page(staff_client, year=2026, quarter=3, region=amazonas.pk)

        assert changes(response, "participants") == [("Q2 2026", 3, 1, 33.3), ("Q3 2025", 0, 4, None)]
        assert cell_change(response, "oe1-people-reached", amazonas) == ("Q2 2026", 3, 1, 33.3)
        assert "300" not in html


class TestCoordinators:
    def test_another_regions_activities_never_reach_the_comparison(self, amazonas_client, amazonas, puno):
        approved(amazonas, (2026, 8, 1), women=4)
        approved(amazonas, (2026, 5, 1), women=2)
        approved(puno, (2026, 5, 1), women=4321)
        approved(puno, (2025, 8, 1), women=8765)

        response, html = page(amazonas_client, year=2026, quarter=3)

        assert changes(response, "participants") == [("Q2 2026", 2, 2, 100.0), ("Q3 2025", 0, 4, None)]
        for entry in response.context["indicators"]:
            assert [row["region"]["name"] for row in entry["regions"]] == ["Amazonas"]
        for secret in ("4321", "4,321", "8765", "8,765", "Puno"):
            assert secret not in html

    def test_a_coordinator_of_two_regions_compares_both_and_no_third(self, client, amazonas, puno):
        client.force_login(coordinator("coord-sur", amazonas, puno))
        approved(amazonas, (2026, 2, 1), women=1)
        approved(puno, (2025, 11, 1), women=2)
        approved(amazonas, (2025, 11, 1), women=3)
        approved(Region.objects.get(slug="cusco"), (2025, 11, 1), women=400)

        response, _ = page(client, year=2026, quarter=1)

        assert changes(response, "participants")[0] == ("Q4 2025", 5, -4, -80.0)


# --- Export this view ------------------------------------------------------------------------


def export(client, lang="en", **data):
    data.setdefault("format", "pdf")
    return client.post(URL.format(lang=lang), data)


def export_form(html):
    """The hidden fields of the page's export form, as the browser would post them back."""
    form = html.split('class="card dashboard-export')[1].split("</form>")[0]
    return dict(re.findall(r'<input type="hidden" name="(year|quarter|region|objective)" value="([^"]*)">', form))


class TestExport:
    def test_staff_export_all_regions_as_the_national_summary_of_the_period(self, staff_client):
        oe3 = Objective.objects.get(code="OE3")
        html = page(staff_client, year=2026, quarter=2, objective=oe3.pk)[1]
        posted = export_form(html)
        assert posted == {"year": "2026", "quarter": "2", "region": "", "objective": str(oe3.pk)}

        response = export(staff_client, format="xlsx", **posted)

        report = Report.objects.get()
        assert (report.kind, report.format, report.region, report.language) == ("national_summary", "xlsx", None, "en")
        assert report.parameters == {"date_from": "2026-04-01", "date_to": "2026-06-30", "objective": oe3.pk}
        assert response.status_code == 302
        assert response["Location"] == f"/en/panel/reports/{report.pk}/"

    def test_a_chosen_region_exports_its_progress_report(self, staff_client, puno):
        posted = export_form(page(staff_client, year=2025, region=puno.pk)[1])
        export(staff_client, lang="es", **posted)
        report = Report.objects.get()
        assert (report.kind, report.format, report.region, report.language) == ("regional_progress", "pdf", puno, "es")
        assert report.parameters == {"date_from": "2025-01-01", "date_to": "2025-12-31"}

    def test_a_coordinator_of_one_region_exports_that_regions_report(self, amazonas_client, amazonas):
        html = page(amazonas_client, year=2026, quarter=4)[1]
        assert "Regional progress report · Amazonas · Q4 2026" in html
        response = export(amazonas_client, **export_form(html))
        report = Report.objects.get()
        assert (report.kind, report.region) == ("regional_progress", amazonas)
        assert report.parameters == {"date_from": "2026-10-01", "date_to": "2026-12-31"}
        assert response["Location"] == f"/en/panel/reports/{report.pk}/"

    def test_the_report_page_follows_the_new_report(self, amazonas_client, amazonas):
        response = export(amazonas_client, year=2026, quarter=4)
        html = amazonas_client.get(response["Location"]).content.decode()
        assert "Your report is being prepared." in html
        assert 'src="/static/js/reports.js"' in html

    def test_the_same_request_while_one_is_prepared_gets_that_one(self, amazonas_client, amazonas):
        first = export(amazonas_client, year=2026, quarter=4)
        second = export(amazonas_client, year=2026, quarter=4)
        report = Report.objects.get()
        assert first["Location"] == second["Location"] == f"/en/panel/reports/{report.pk}/"
        html = amazonas_client.get(second["Location"]).content.decode()
        assert "The same report is already being prepared: here it is." in html
        # Once it is done, the same request is a new report: the figures may have moved since.
        Report.objects.update(status=Report.Status.DONE)
        export(amazonas_client, year=2026, quarter=4)
        assert Report.objects.count() == 2

    def test_a_coordinator_cannot_export_another_region(self, amazonas_client, puno):
        response = export(amazonas_client, year=2026, region=puno.pk)
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()
        assert not Report.objects.exists()

    def test_a_coordinator_of_several_regions_is_asked_to_choose_one(self, client, amazonas, puno):
        client.force_login(coordinator("coord-sur", amazonas, puno))
        html = page(client, year=2026)[1]
        assert 'class="card dashboard-export' not in html
        assert "To export this view, choose one of your regions above" in html

        response = export(client, year=2026)

        assert response.status_code == 400
        assert "A report covers one region, or for the ministry the whole country: choose a region." in (
            response.content.decode()
        )
        assert not Report.objects.exists()
        export(client, year=2026, region=puno.pk)
        assert Report.objects.get().region == puno

    def test_a_coordinator_never_gets_the_national_summary(self, amazonas_client, amazonas):
        export(amazonas_client, year=2026)
        assert list(Report.objects.values_list("kind", "region")) == [("regional_progress", amazonas.pk)]

    def test_a_coordinator_without_a_region_exports_nothing(self, client, db):
        client.force_login(coordinator("coord-nowhere"))
        assert export(client, year=2026).status_code == 400
        assert not Report.objects.exists()

    @pytest.mark.parametrize(
        "data",
        [
            {"year": "1990"},
            {"year": "abc"},
            {"quarter": "9"},
            {"objective": "999999"},
            {"region": "abc"},
            {"format": "csv"},
            {"format": ""},
            {"format": "pdf", "region": "99999999999999999999"},
        ],
    )
    def test_bad_filters_are_refused_and_nothing_is_queued(self, staff_client, data):
        response = export(staff_client, **{"year": "2026", **data})
        assert response.status_code == 400
        assert 'id="error-summary"' in response.content.decode()
        assert not Report.objects.exists()

    def test_visitors_are_sent_to_log_in_and_nothing_is_queued(self, client, db):
        response = export(client, year=2026)
        assert response.status_code == 302
        assert response["Location"].startswith("/en/accounts/login/")
        assert not Report.objects.exists()

    def test_the_export_needs_the_forms_token(self, staff):
        client = Client(enforce_csrf_checks=True)
        client.force_login(staff)
        assert export(client, year=2026).status_code == 403
        assert not Report.objects.exists()

    def test_the_exported_workbook_holds_the_dashboards_figures(
        self, celery_eager, django_capture_on_commit_callbacks, amazonas_client, coord_amazonas, amazonas
    ):
        oe1 = Objective.objects.get(code="OE1")
        approved(amazonas, (2026, 8, 1), women=10)
        approved(amazonas, (2026, 9, 30), women=5)
        approved(amazonas, (2026, 7, 1), objective="OE2", women=100)  # another objective
        approved(amazonas, (2026, 10, 1), women=100)  # another quarter
        response, html = page(amazonas_client, year=2026, quarter=3, objective=oe1.pk)
        assert (response.context["figures"]["activities"], response.context["figures"]["participants"]) == (2, 15)

        with django_capture_on_commit_callbacks(execute=True):
            export(amazonas_client, format="xlsx", **export_form(html))

        report = Report.objects.get()
        report.refresh_from_db()
        assert report.status == Report.Status.DONE, report.error
        with report_open(report, coord_amazonas) as handle:
            figures = load_workbook(io.BytesIO(handle.read()))["Figures"]
        values = {row[0]: row[1] for row in figures.iter_rows(values_only=True) if row and row[0]}
        assert (values["Approved activities"], values["Participants"]) == (2, 15)
