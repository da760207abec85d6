"""/api/v1/reports/: request a report (202), follow it, download it; for each persona, each
method and bad input, with another region's reports out of sight (404)."""

import pytest
from django.core.files.base import ContentFile
from rest_framework.authtoken.models import Token

import reports.progress  # noqa: F401  (registers the progress reports' generators)
from programs.models import Objective, Service
from reports.models import Report

URL = "/api/v1/reports/"


def detail(report):
    return f"{URL}{report.pk}/"


def download(report):
    return f"{URL}{report.pk}/download/"


def make_report(region, *, status=Report.Status.QUEUED, kind="regional_progress", format="pdf", **fields):
    parameters = fields.pop("parameters", {"year": 2025, "n": Report.objects.count()})
    report = Report.objects.create(
        kind=kind, format=format, region=region, parameters=parameters, status=status, **fields
    )
    if status == Report.Status.DONE:
        report.file.save(f"informe.{format}", ContentFile(b"%PDF-1.7 test"), save=False)
        report.progress, report.row_count = 100, 7
        report.save()
    return report


@pytest.fixture
def as_user(api):
    def login(user):
        if user is not None:
            api.force_authenticate(user)
        return api

    return login


class TestRequest:
    def test_a_coordinator_requests_a_report_of_their_region(self, as_user, coord_amazonas, amazonas, settings):
        # Links are built on SITE_URL, not on the Host the request came with (behind the proxy, an inner name).
        settings.SITE_URL = "https://prevenir.example.pe"
        response = as_user(coord_amazonas).post(
            URL, {"kind": "regional_progress", "format": "pdf", "region": "amazonas", "year": 2025}
        )
        assert response.status_code == 202, response.content
        report = Report.objects.get()
        body = response.json()
        assert body["id"] == report.pk
        assert body["url"] == f"https://prevenir.example.pe{detail(report)}"
        assert response["Location"] == body["url"]
        assert (body["status"], body["progress"], body["download_url"]) == ("queued", 0, None)
        assert body["region"] == {"id": amazonas.pk, "slug": "amazonas", "name": "Amazonas"}
        assert (report.region, report.requested_by) == (amazonas, coord_amazonas)
        assert report.parameters == {"date_from": "2025-01-01", "date_to": "2025-12-31"}

    def test_the_region_may_be_given_by_id(self, as_user, coord_amazonas, amazonas):
        response = as_user(coord_amazonas).post(URL, {"kind": "activities", "format": "csv", "region": amazonas.pk})
        assert response.status_code == 202
        assert Report.objects.get().parameters == {}

    def test_an_activities_export_keeps_its_filters_by_id_code_or_slug(self, as_user, coord_amazonas):
        service = Service.objects.get(slug="mujeres-acompanando-mujeres")
        data = {
            "kind": "activities",
            "format": "xlsx",
            "region": "amazonas",
            "objective": "oe1",
            "service": service.slug,
            "status": "submitted",
            "date_from": "2025-01-01",
            "date_to": "2025-03-31",
        }
        assert as_user(coord_amazonas).post(URL, data).status_code == 202
        assert Report.objects.get().parameters == {
            "objective": Objective.objects.get(code="OE1").pk,
            "service": service.pk,
            "status": "submitted",
            "date_from": "2025-01-01",
            "date_to": "2025-03-31",
        }

    def test_a_progress_report_without_a_year_is_for_the_current_one(self, as_user, coord_amazonas):
        from django.utils import timezone

        as_user(coord_amazonas).post(URL, {"kind": "regional_progress", "format": "xlsx", "region": "amazonas"})
        year = timezone.localdate().year
        assert Report.objects.get().parameters == {"date_from": f"{year}-01-01", "date_to": f"{year}-12-31"}

    def test_a_progress_report_may_cover_dates_and_one_objective(self, as_user, staff):
        data = {
            "kind": "national_summary",
            "format": "xlsx",
            "objective": "OE3",
            "date_from": "2025-03-01",
            "date_to": "2025-03-31",
        }
        assert as_user(staff).post(URL, data).status_code == 202
        assert Report.objects.get().parameters == {
            "objective": Objective.objects.get(code="OE3").pk,
            "date_from": "2025-03-01",
            "date_to": "2025-03-31",
        }

    def test_the_same_request_while_the_first_runs_answers_200_with_that_one(self, as_user, coord_amazonas):
        client = as_user(coord_amazonas)
        data = {"kind": "regional_progress", "format": "pdf", "region": "amazonas", "year": 2025}
        first = client.post(URL, data)
        second = client.post(URL, data)
        assert (first.status_code, second.status_code) == (202, 200)
        assert first.json()["id"] == second.json()["id"]
        assert Report.objects.count() == 1

    def test_the_language_of_the_request_is_the_reports(self, as_user, staff):
        as_user(staff).post(URL, {"kind": "national_summary", "format": "pdf"}, HTTP_ACCEPT_LANGUAGE="en")
        assert Report.objects.get().language == "en"

    def test_staff_request_a_national_report(self, as_user, staff):
        response = as_user(staff).post(URL, {"kind": "national_summary", "format": "xlsx", "region": None})
        assert response.status_code == 202
        assert response.json()["region"] is None

    def test_a_token_is_enough(self, api, coord_amazonas):
        token = Token.objects.create(user=coord_amazonas)
        api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        response = api.post(URL, {"kind": "activities", "format": "csv", "region": "amazonas"})
        assert response.status_code == 202

    def test_a_requested_report_runs_to_a_download(
        self, as_user, coord_amazonas, eager_tasks, django_capture_on_commit_callbacks
    ):
        client = as_user(coord_amazonas)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL, {"kind": "regional_progress", "format": "pdf", "region": "amazonas"})
        body = client.get(response.json()["url"]).json()
        assert body["status"] == "done", body["error"]
        assert body["progress"] == 100
        file = client.get(body["download_url"])
        assert file.status_code == 200
        assert b"".join(file.streaming_content).startswith(b"%PDF")


class TestRequestRefused:
    def test_anonymous_callers_must_authenticate(self, api, assert_error, amazonas):
        response = api.post(URL, {"kind": "activities", "format": "csv", "region": "amazonas"})
        assert_error(response, 401)
        assert Report.objects.count() == 0

    def test_another_regions_report_is_not_found(self, as_user, assert_error, coord_amazonas, puno):
        response = as_user(coord_amazonas).post(URL, {"kind": "activities", "format": "csv", "region": "puno"})
        assert_error(response, 404, "not_found")
        assert Report.objects.count() == 0

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"kind": "activities", "format": "pdf", "region": "amazonas"}, "format"),
            ({"kind": "everything", "format": "csv", "region": "amazonas"}, "kind"),
            ({"format": "csv", "region": "amazonas"}, "kind"),
            ({"kind": "activities", "region": "amazonas"}, "format"),
            ({"kind": "activities", "format": "csv"}, "region"),
            ({"kind": "national_summary", "format": "pdf"}, "region"),
            ({"kind": "activities", "format": "csv", "region": "atlantida"}, "region"),
            ({"kind": "activities", "format": "csv", "region": "amazonas", "objective": "OE9"}, "objective"),
            ({"kind": "activities", "format": "csv", "region": "amazonas", "service": "nada"}, "service"),
            ({"kind": "activities", "format": "csv", "region": "amazonas", "status": "lost"}, "status"),
            ({"kind": "activities", "format": "csv", "region": "amazonas", "date_from": "2025-02-30"}, "date_from"),
            (
                {
                    "kind": "activities",
                    "format": "csv",
                    "region": "amazonas",
                    "date_from": "2025-05-01",
                    "date_to": "2025-04-01",
                },
                "date_to",
            ),
            ({"kind": "regional_progress", "format": "pdf", "region": "amazonas", "year": 1999}, "year"),
            ({"kind": "regional_progress", "format": "pdf", "region": "amazonas", "year": "soon"}, "year"),
            ({"kind": "activities", "format": "csv", "region": "amazonas", "colour": "red"}, "colour"),
            ({"kind": "activities", "format": "csv", "region": "amazonas", "year": 2025}, "year"),
            ({"kind": "regional_progress", "format": "pdf", "region": "amazonas", "status": "approved"}, "status"),
            (
                {
                    "kind": "regional_progress",
                    "format": "pdf",
                    "region": "amazonas",
                    "year": 2025,
                    "date_to": "2025-06-30",
                },
                "year",
            ),
        ],
    )
    def test_bad_input_is_refused_by_field_in_the_error_shape(self, as_user, assert_error, coord_amazonas, data, field):
        response = as_user(coord_amazonas).post(URL, data, format="json")
        assert_error(response, 400, field=field)
        assert Report.objects.count() == 0

    def test_staff_must_name_the_region_of_a_regional_report(self, as_user, assert_error, staff):
        response = as_user(staff).post(URL, {"kind": "regional_progress", "format": "pdf"})
        assert_error(response, 400, field="region")

    def test_staff_leave_the_region_empty_for_the_national_summary(self, as_user, assert_error, staff):
        response = as_user(staff).post(URL, {"kind": "national_summary", "format": "pdf", "region": "puno"})
        assert_error(response, 400, field="region")

    def test_a_body_that_is_not_json_is_refused(self, as_user, assert_error, coord_amazonas):
        response = as_user(coord_amazonas).post(URL, "{", content_type="application/json")
        assert_error(response, 400)


class TestList:
    def test_a_coordinator_lists_their_regions_reports_only(self, as_user, coord_amazonas, amazonas, puno):
        mine = make_report(amazonas)
        make_report(puno)
        make_report(None, kind="national_summary")
        body = as_user(coord_amazonas).get(URL).json()
        assert body["count"] == 1
        assert [row["id"] for row in body["results"]] == [mine.pk]

    def test_staff_list_every_report_newest_first(self, as_user, staff, amazonas, puno):
        reports = [make_report(amazonas), make_report(puno), make_report(None, kind="national_summary")]
        body = as_user(staff).get(URL).json()
        assert [row["id"] for row in body["results"]] == [r.pk for r in reversed(reports)]

    def test_the_list_is_paginated(self, as_user, staff, amazonas):
        for _ in range(3):
            make_report(amazonas)
        body = as_user(staff).get(URL, {"page_size": 2}).json()
        assert (body["count"], len(body["results"])) == (3, 2)
        assert body["next"]

    def test_anonymous_callers_must_authenticate(self, api, assert_error):
        assert_error(api.get(URL), 401)

    def test_a_report_row_names_no_person(self, as_user, staff, coord_amazonas, amazonas):
        make_report(amazonas, requested_by=coord_amazonas)
        text = as_user(staff).get(URL).content.decode()
        assert "coord-amazonas" not in text and "example.org" not in text


class TestDetail:
    def test_a_running_report_shows_its_progress(self, as_user, coord_amazonas, amazonas):
        report = make_report(amazonas, status=Report.Status.RUNNING, progress=35)
        body = as_user(coord_amazonas).get(detail(report)).json()
        assert (body["status"], body["progress"], body["download_url"], body["error"]) == ("running", 35, None, "")

    def test_a_done_report_gives_its_download_url_and_rows(self, as_user, coord_amazonas, amazonas, settings):
        report = make_report(amazonas, status=Report.Status.DONE)
        body = as_user(coord_amazonas).get(detail(report)).json()
        assert (body["status"], body["row_count"]) == ("done", 7)
        assert body["download_url"] == f"{settings.SITE_URL}{download(report)}"

    def test_a_failed_report_gives_its_error(self, as_user, staff, amazonas):
        report = make_report(amazonas, status=Report.Status.FAILED, error="Se acabó el tiempo.")
        body = as_user(staff).get(detail(report)).json()
        assert (body["status"], body["error"], body["download_url"]) == ("failed", "Se acabó el tiempo.", None)

    @pytest.mark.parametrize("region", ["puno", None])
    def test_another_regions_or_a_national_report_is_not_found(
        self, as_user, assert_error, coord_amazonas, puno, region
    ):
        report = make_report(puno if region else None, kind="regional_progress" if region else "national_summary")
        assert_error(as_user(coord_amazonas).get(detail(report)), 404, "not_found")

    def test_staff_see_any_report(self, as_user, staff, puno):
        report = make_report(puno)
        assert as_user(staff).get(detail(report)).status_code == 200

    def test_a_missing_report_is_not_found(self, as_user, assert_error, staff):
        assert_error(as_user(staff).get(f"{URL}999999/"), 404)

    def test_anonymous_callers_must_authenticate(self, api, assert_error, amazonas):
        assert_error(api.get(detail(make_report(amazonas))), 401)


class TestDownload:
    def test_a_done_report_downloads_as_a_private_attachment(self, as_user, coord_amazonas, amazonas):
        report = make_report(amazonas, status=Report.Status.DONE)
        response = as_user(coord_amazonas).get(download(report), HTTP_ACCEPT="application/pdf")
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.7 test"
        # One type for every format, which generated clients read as bytes; the name says which format.
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["Content-Disposition"].endswith('.pdf"')
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "private, no-store"

    @pytest.mark.parametrize("status", ["queued", "running", "failed"])
    def test_a_report_without_its_file_is_a_conflict(self, as_user, assert_error, coord_amazonas, amazonas, status):
        report = make_report(amazonas, status=status)
        assert_error(as_user(coord_amazonas).get(download(report)), 409, "not_ready")

    def test_another_regions_report_is_not_found(self, as_user, assert_error, coord_amazonas, puno):
        report = make_report(puno, status=Report.Status.DONE)
        assert_error(as_user(coord_amazonas).get(download(report)), 404, "not_found")

    def test_another_regions_unfinished_report_is_not_found_either(self, as_user, assert_error, coord_amazonas, puno):
        # Not 409: that would tell the caller the report exists.
        report = make_report(puno, status=Report.Status.RUNNING)
        assert_error(as_user(coord_amazonas).get(download(report)), 404, "not_found")

    def test_anonymous_callers_must_authenticate(self, api, assert_error, amazonas):
        report = make_report(amazonas, status=Report.Status.DONE)
        assert_error(api.get(download(report)), 401)


class TestWrongMethods:
    @pytest.mark.parametrize("method", ["put", "patch", "delete"])
    def test_the_list_takes_get_and_post_only(self, as_user, assert_error, staff, method):
        assert_error(getattr(as_user(staff), method)(URL, {}), 405)

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_a_report_cannot_be_changed_or_deleted(self, as_user, assert_error, staff, amazonas, method):
        report = make_report(amazonas)
        assert_error(getattr(as_user(staff), method)(detail(report), {}), 405)
        assert Report.objects.filter(pk=report.pk).exists()

    @pytest.mark.parametrize("method", ["post", "delete"])
    def test_a_download_is_get_only(self, as_user, assert_error, staff, amazonas, method):
        report = make_report(amazonas, status=Report.Status.DONE)
        assert_error(getattr(as_user(staff), method)(download(report)), 405)


class TestSchema:
    def test_the_reports_endpoints_are_documented(self, client):
        schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
        assert {"/api/v1/reports/", "/api/v1/reports/{id}/", "/api/v1/reports/{id}/download/"} <= set(schema["paths"])
        post = schema["paths"]["/api/v1/reports/"]["post"]["responses"]
        assert {"200", "202", "400", "401", "404"} <= set(post)
        assert "409" in schema["paths"]["/api/v1/reports/{id}/download/"]["get"]["responses"]


@pytest.mark.parametrize("pk", ["abc", "1e3", "3.5", "-0.001", "99999999999999999999"])
def test_an_id_that_cannot_be_a_reports_is_not_found_in_the_error_shape(as_user, assert_error, staff, pk):
    assert_error(as_user(staff).get(f"{URL}{pk}/"), 404)
    assert_error(as_user(staff).get(f"{URL}{pk}/download/"), 404)
