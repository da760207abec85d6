"""The panel's Reports page: who may request what, the list of one's reports with their progress,
the status JSON the page polls, and the download, for each persona."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import reports.progress  # noqa: F401  (registers the progress reports' generators)
from programs.models import Objective
from reports.models import Report

LIST = "/es/panel/reports/"
LIST_EN = "/en/panel/reports/"


def make_report(region, *, status=Report.Status.QUEUED, by=None, kind="regional_progress", format="pdf", **fields):
    """A report row as the task leaves it; `done` ones get a small file."""
    parameters = fields.pop("parameters", {"year": 2025, "n": Report.objects.count()})
    report = Report.objects.create(
        kind=kind, format=format, region=region, parameters=parameters, status=status, requested_by=by, **fields
    )
    if status == Report.Status.DONE:
        report.file.save(f"informe.{format}", ContentFile(b"%PDF-1.7 test"), save=False)
        report.progress, report.row_count = 100, 3
        report.save()
    return report


def request_data(**overrides):
    data = {"kind": "regional_progress", "format": "pdf", "region": "", "year": "2025"}
    data.update(overrides)
    return data


@pytest.fixture
def eager(eager_tasks):
    return eager_tasks


class TestThePage:
    @pytest.mark.parametrize("url", [LIST, LIST_EN])
    def test_a_coordinator_sees_the_form_with_their_region_chosen(self, client, coord_amazonas, amazonas, url):
        client.force_login(coord_amazonas)
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        assert f'<option value="{amazonas.pk}" selected>Amazonas</option>' in html
        assert "Puno" not in html
        assert 'src="/static/js/reports.js"' in html

    @pytest.mark.parametrize("url", [LIST, LIST_EN])
    def test_staff_may_leave_the_region_empty_for_a_national_report(self, client, staff, url):
        client.force_login(staff)
        html = client.get(url).content.decode()
        assert "Puno" in html and "Amazonas" in html
        assert '<option value="" selected>' in html.split('id="id_region"')[1].split("</select>")[0]

    def test_the_kinds_name_their_formats_for_the_script(self, client, coord_amazonas):
        client.force_login(coord_amazonas)
        html = client.get(LIST).content.decode()
        assert 'value="activities" data-formats="csv xlsx"' in html
        assert 'value="regional_progress" data-formats="pdf xlsx"' in html

    def test_anonymous_visitors_are_sent_to_log_in(self, client):
        response = client.get(LIST)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]

    def test_the_panel_and_the_menu_link_to_the_page(self, client, coord_amazonas):
        client.force_login(coord_amazonas)
        html = client.get("/es/panel/").content.decode()
        assert html.count(f'href="{LIST}"') == 2


class TestRequesting:
    def test_a_coordinator_requests_a_report_for_their_region(self, client, coord_amazonas, amazonas):
        client.force_login(coord_amazonas)
        response = client.post(LIST, request_data(region=amazonas.pk), follow=True)
        assert response.redirect_chain == [(LIST, 302)]
        report = Report.objects.get()
        assert (report.kind, report.format, report.region) == ("regional_progress", "pdf", amazonas)
        assert report.parameters == {"date_from": "2025-01-01", "date_to": "2025-12-31"}
        assert (report.requested_by, report.language) == (coord_amazonas, "es")
        assert '<li class="success">' in response.content.decode()

    def test_an_activities_export_keeps_its_filters(self, client, coord_amazonas, amazonas):
        client.force_login(coord_amazonas)
        oe1 = Objective.objects.get(code="OE1")
        data = request_data(
            kind="activities",
            format="csv",
            region=amazonas.pk,
            objective=oe1.pk,
            status="approved",
            date_from="2025-01-01",
            date_to="2025-06-30",
        )
        client.post(LIST_EN, data)
        report = Report.objects.get()
        assert report.parameters == {
            "objective": oe1.pk,
            "status": "approved",
            "date_from": "2025-01-01",
            "date_to": "2025-06-30",
        }
        assert report.language == "en"

    def test_the_same_request_again_is_not_started_twice(self, client, coord_amazonas, amazonas):
        client.force_login(coord_amazonas)
        client.post(LIST_EN, request_data(region=amazonas.pk))
        response = client.post(LIST_EN, request_data(region=amazonas.pk), follow=True)
        assert Report.objects.count() == 1
        assert "already being prepared" in response.content.decode()

    def test_staff_request_the_national_summary(self, client, staff):
        client.force_login(staff)
        client.post(LIST, request_data(kind="national_summary", format="xlsx"))
        report = Report.objects.get()
        assert (report.kind, report.region) == ("national_summary", None)

    def test_a_requested_report_runs_and_can_be_downloaded(
        self, client, coord_amazonas, amazonas, eager, django_capture_on_commit_callbacks
    ):
        client.force_login(coord_amazonas)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(LIST, request_data(region=amazonas.pk, format="xlsx"))
        report = Report.objects.get()
        assert report.status == "done", report.error
        response = client.get(reverse("reports:download", args=[report.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"PK")


class TestRefusals:
    def refused(self, client, user, data, field, url=LIST_EN):
        client.force_login(user)
        response = client.post(url, data)
        assert response.status_code == 400
        html = response.content.decode()
        assert 'class="error-summary"' in html
        assert f'id="id_{field}_error"' in html
        assert Report.objects.count() == 0
        return html

    def test_a_coordinator_cannot_ask_for_another_region(self, client, coord_amazonas, puno):
        html = self.refused(client, coord_amazonas, request_data(region=puno.pk), "region")
        assert "Select a valid choice" in html

    def test_a_coordinator_must_choose_a_region(self, client, coord_amazonas):
        self.refused(client, coord_amazonas, request_data(kind="activities", format="csv"), "region")

    def test_a_coordinator_cannot_ask_for_the_national_summary(self, client, coord_amazonas, amazonas):
        html = self.refused(client, coord_amazonas, request_data(kind="national_summary", region=amazonas.pk), "region")
        assert "Only ministry staff" in html

    def test_a_regional_progress_report_needs_a_region(self, client, staff):
        self.refused(client, staff, request_data(), "region")

    def test_a_kind_in_a_format_it_is_not_offered_in_is_refused(self, client, staff, amazonas):
        html = self.refused(client, staff, request_data(region=amazonas.pk, format="csv"), "format")
        assert "offered as PDF, XLSX only" in html

    def test_an_unknown_kind_is_refused(self, client, staff, amazonas):
        self.refused(client, staff, request_data(kind="everything", region=amazonas.pk), "kind")

    @pytest.mark.parametrize("date_from", ["2025-02-30", "ayer"])
    def test_a_bad_date_is_refused(self, client, staff, date_from):
        self.refused(client, staff, request_data(kind="activities", format="csv", date_from=date_from), "date_from")

    def test_dates_in_the_wrong_order_are_refused(self, client, staff):
        data = request_data(kind="activities", format="csv", date_from="2025-05-01", date_to="2025-04-01")
        self.refused(client, staff, data, "date_to")

    @pytest.mark.parametrize("year", ["2019", "3000", "soon"])
    def test_a_year_outside_the_campaign_is_refused(self, client, staff, amazonas, year):
        self.refused(client, staff, request_data(region=amazonas.pk, year=year), "year")

    def test_the_refusal_is_in_spanish_on_spanish_pages(self, client, coord_amazonas, puno):
        html = self.refused(client, coord_amazonas, request_data(region=puno.pk), "region", url=LIST)
        assert "Escoja una opción válida" in html


class TestTheList:
    def test_a_coordinator_never_sees_punos_reports(self, client, coord_amazonas, amazonas, puno, staff):
        mine = make_report(amazonas)
        theirs = make_report(puno, status=Report.Status.DONE)
        national = make_report(None, kind="national_summary", by=staff)
        client.force_login(coord_amazonas)
        html = client.get(LIST).content.decode()
        assert f'id="report-{mine.pk}"' in html
        assert f'id="report-{theirs.pk}"' not in html and f'id="report-{national.pk}"' not in html

    def test_staff_see_every_report(self, client, staff, amazonas, puno):
        reports = [make_report(amazonas), make_report(puno), make_report(None, kind="national_summary")]
        client.force_login(staff)
        html = client.get(LIST).content.decode()
        assert all(f'id="report-{report.pk}"' in html for report in reports)

    def test_each_row_shows_its_status_and_progress(self, client, coord_amazonas, amazonas):
        running = make_report(amazonas, status=Report.Status.RUNNING, progress=40)
        failed = make_report(amazonas, status=Report.Status.FAILED, error="Se acabó el tiempo.")
        done = make_report(amazonas, status=Report.Status.DONE)
        client.force_login(coord_amazonas)
        html = client.get(LIST_EN).content.decode()
        assert 'max="100" value="40"' in html
        assert "Se acabó el tiempo." in html
        assert f'href="{reverse("reports:download", args=[done.pk])}"' in html
        assert f'href="{reverse("reports:download", args=[running.pk])}"' not in html
        assert f'href="{reverse("reports:download", args=[failed.pk])}"' not in html

    def test_a_page_with_reports_in_preparation_says_to_reload_without_javascript(
        self, client, coord_amazonas, amazonas
    ):
        client.force_login(coord_amazonas)
        make_report(amazonas, status=Report.Status.DONE)
        assert "<noscript>" not in client.get(LIST_EN).content.decode()
        make_report(amazonas, status=Report.Status.QUEUED)
        assert "<noscript>" in client.get(LIST_EN).content.decode()

    def test_newest_first(self, client, staff, amazonas):
        old = make_report(amazonas)
        Report.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=2))
        new = make_report(amazonas)
        client.force_login(staff)
        html = client.get(LIST).content.decode()
        assert html.index(f'id="report-{new.pk}"') < html.index(f'id="report-{old.pk}"')

    def test_the_page_takes_the_same_queries_for_30_reports_as_for_one(self, client, staff, amazonas, puno):
        client.force_login(staff)
        make_report(amazonas, kind="activities", format="csv", parameters={"objective": 1})
        client.get(LIST)  # the session and the user are cached from here on

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(LIST).status_code == 200
            return len(queries)

        one = count()
        for n in range(15):
            make_report(amazonas, kind="activities", format="csv", parameters={"objective": 1, "n": n})
            make_report(puno if n % 2 else None, kind="national_summary", status=Report.Status.DONE)
        assert count() == one


class TestStatus:
    def test_the_status_json_says_how_far_the_report_is(self, client, coord_amazonas, amazonas):
        report = make_report(amazonas, status=Report.Status.RUNNING, progress=60)
        client.force_login(coord_amazonas)
        response = client.get(reverse("reports:status", args=[report.pk]))
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"id", "status", "status_label", "progress", "error", "download_url"}
        assert (body["id"], body["status"], body["progress"]) == (report.pk, "running", 60)
        assert (body["error"], body["download_url"]) == ("", None)
        assert body["status_label"] == str(Report.Status.RUNNING.label)
        assert "no-store" in response["Cache-Control"]

    def test_a_done_report_gives_its_download_url(self, client, coord_amazonas, amazonas):
        report = make_report(amazonas, status=Report.Status.DONE)
        client.force_login(coord_amazonas)
        body = client.get(reverse("reports:status", args=[report.pk])).json()
        assert (body["status"], body["progress"]) == ("done", 100)
        assert body["download_url"] == reverse("reports:download", args=[report.pk])

    def test_a_failed_report_gives_its_error(self, client, staff, amazonas):
        report = make_report(amazonas, status=Report.Status.FAILED, error="Sin espacio.")
        client.force_login(staff)
        body = client.get(reverse("reports:status", args=[report.pk])).json()
        assert (body["status"], body["error"], body["download_url"]) == ("failed", "Sin espacio.", None)

    def test_another_regions_report_is_not_found(self, client, coord_amazonas, puno):
        report = make_report(puno, status=Report.Status.DONE)
        client.force_login(coord_amazonas)
        assert client.get(reverse("reports:status", args=[report.pk])).status_code == 404

    def test_anonymous_visitors_get_nothing(self, client, amazonas):
        report = make_report(amazonas)
        response = client.get(reverse("reports:status", args=[report.pk]))
        assert response.status_code == 302


class TestDownload:
    def test_a_done_report_downloads_as_a_private_attachment(self, client, coord_amazonas, amazonas):
        report = make_report(amazonas, status=Report.Status.DONE)
        client.force_login(coord_amazonas)
        response = client.get(f"/es/panel/reports/{report.pk}/download/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.7 test"
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'attachment; filename="avance-regional-amazonas-{report.pk}.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"

    def test_the_file_is_named_in_the_readers_language(self, client, staff, amazonas):
        regional = make_report(amazonas, status=Report.Status.DONE)
        national = make_report(None, kind=Report.Kind.NATIONAL_SUMMARY, status=Report.Status.DONE)
        client.force_login(staff)
        names = {
            (lang, report.pk): client.get(f"/{lang}/panel/reports/{report.pk}/download/")["Content-Disposition"]
            for lang in ("es", "en")
            for report in (regional, national)
        }
        assert names["en", regional.pk] == f'attachment; filename="regional-progress-amazonas-{regional.pk}.pdf"'
        assert names["es", national.pk] == f'attachment; filename="resumen-nacional-{national.pk}.pdf"'
        assert names["en", national.pk] == f'attachment; filename="national-summary-{national.pk}.pdf"'

    def test_another_regions_report_is_not_found(self, client, coord_amazonas, puno):
        report = make_report(puno, status=Report.Status.DONE)
        client.force_login(coord_amazonas)
        assert client.get(reverse("reports:download", args=[report.pk])).status_code == 404

    def test_a_national_report_is_not_found_for_a_coordinator(self, client, coord_amazonas):
        report = make_report(None, kind="national_summary", status=Report.Status.DONE)
        client.force_login(coord_amazonas)
        assert client.get(reverse("reports:download", args=[report.pk])).status_code == 404

    def test_staff_download_any_report(self, client, staff, puno):
        report = make_report(puno, status=Report.Status.DONE)
        client.force_login(staff)
        assert client.get(reverse("reports:download", args=[report.pk])).status_code == 200

    @pytest.mark.parametrize("status", ["queued", "running", "failed"])
    def test_a_report_without_its_file_yet_is_not_found(self, client, coord_amazonas, amazonas, status):
        report = make_report(amazonas, status=status)
        client.force_login(coord_amazonas)
        assert client.get(reverse("reports:download", args=[report.pk])).status_code == 404

    def test_only_get_is_allowed(self, client, coord_amazonas, amazonas):
        report = make_report(amazonas, status=Report.Status.DONE)
        client.force_login(coord_amazonas)
        assert client.post(reverse("reports:download", args=[report.pk])).status_code == 405


class TestDetail:
    def test_a_report_has_its_own_page(self, client, coord_amazonas, amazonas):
        report = make_report(amazonas, status=Report.Status.RUNNING, progress=20)
        client.force_login(coord_amazonas)
        response = client.get(reverse("reports:detail", args=[report.pk]))
        assert response.status_code == 200
        html = response.content.decode()
        assert f'id="report-{report.pk}"' in html and 'value="20"' in html
        assert "<noscript>" in html

    def test_another_regions_report_page_is_not_found(self, client, coord_amazonas, puno):
        report = make_report(puno)
        client.force_login(coord_amazonas)
        assert client.get(reverse("reports:detail", args=[report.pk])).status_code == 404
