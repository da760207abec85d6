"""Who reaches which panel page. Another region's activity does not exist for a coordinator
(404, never 403, so its existence is not revealed), whatever URL or filter they type; the
review pages are the ministry's; anonymous visitors are sent to log in; wrong methods are 405.
A refusal changes nothing."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from activities import urls as activities_urls
from activities.evidence import evidence_attach
from activities.models import Activity, ActivityTransition, Evidence, ImportJob

from .factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory
from .factories import activity_form_data as form_data


@pytest.fixture(autouse=True)
def _spanish():
    # reverse() builds the Spanish URLs (/es/panel/…), as a visitor's first request would.
    with translation.override("es"):
        yield


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(out, "JPEG")
    return out.getvalue()


def photo():
    return SimpleUploadedFile("taller.jpg", jpeg(), content_type="image/jpeg")


@pytest.fixture
def puno_draft(puno, coord_puno):
    return ActivityFactory(region=puno, created_by=coord_puno, title="Taller de Puno en Juliaca")


@pytest.fixture
def puno_evidence(puno_draft, coord_puno):
    evidence, _ = evidence_attach(activity=puno_draft, uploaded_file=photo(), caption="Foto de Puno", by=coord_puno)
    return evidence


def unchanged(activity):
    stored = Activity.objects.get(pk=activity.pk)
    return (stored.title, stored.status, stored.version) == (activity.title, activity.status, activity.version)


class TestAnotherRegionsActivityIsNotFound:
    def test_the_detail_page_is_not_found(self, amazonas_client, puno_draft):
        response = amazonas_client.get(reverse("activities:detail", args=[puno_draft.pk]))
        assert response.status_code == 404

    def test_the_edit_page_is_not_found(self, amazonas_client, puno_draft):
        response = amazonas_client.get(reverse("activities:edit", args=[puno_draft.pk]))
        assert response.status_code == 404

    def test_an_edit_posted_anyway_is_not_found_and_changes_nothing(self, amazonas_client, puno_draft, puno):
        data = form_data(puno, title="Cambiado desde Amazonas", version=puno_draft.version)
        response = amazonas_client.post(reverse("activities:edit", args=[puno_draft.pk]), data)
        assert response.status_code == 404
        assert unchanged(puno_draft)

    def test_submitting_it_is_not_found_and_changes_nothing(self, amazonas_client, puno_draft):
        response = amazonas_client.post(reverse("activities:submit", args=[puno_draft.pk]))
        assert response.status_code == 404
        assert unchanged(puno_draft)
        assert not ActivityTransition.objects.exists()

    def test_uploading_evidence_to_it_is_not_found_and_stores_nothing(self, amazonas_client, puno_draft):
        url = reverse("activities:evidence_upload", args=[puno_draft.pk])
        response = amazonas_client.post(url, {"file": photo(), "caption": ""})
        assert response.status_code == 404
        assert not Evidence.objects.exists()

    def test_downloading_its_evidence_is_not_found(self, amazonas_client, puno_evidence):
        response = amazonas_client.get(reverse("activities:evidence_download", args=[puno_evidence.pk]))
        assert response.status_code == 404

    def test_deleting_its_evidence_is_not_found_and_keeps_it(self, amazonas_client, puno_evidence):
        response = amazonas_client.post(reverse("activities:evidence_delete", args=[puno_evidence.pk]))
        assert response.status_code == 404
        assert Evidence.objects.filter(pk=puno_evidence.pk).exists()

    def test_it_is_not_in_the_list(self, amazonas_client, amazonas, puno_draft):
        own = ActivityFactory(region=amazonas, title="Taller de Amazonas en Bagua")
        response = amazonas_client.get(reverse("activities:list"))
        assert response.status_code == 200
        assert list(response.context["page"].object_list) == [own]
        assert puno_draft.title not in response.content.decode()

    def test_a_region_filter_cannot_reveal_it(self, amazonas_client, amazonas, puno, puno_draft):
        own = ActivityFactory(region=amazonas)
        response = amazonas_client.get(reverse("activities:list"), {"region": puno.pk})
        assert response.status_code == 200
        # The filter refuses a region the coordinator may not read instead of applying it.
        assert "region" in response.context["filter"].errors
        assert list(response.context["page"].object_list) == [own]
        assert puno_draft.title not in response.content.decode()


class TestAnotherRegionsPartnersCannotBeAttached:
    def test_an_activity_with_punos_institution_is_not_created(self, amazonas_client, amazonas, puno):
        foreign = InstitutionFactory(region=puno, name="UGEL Puno")
        data = form_data(amazonas, institutions=[foreign.pk])
        response = amazonas_client.post(reverse("activities:create"), data)
        assert response.status_code == 400
        assert list(response.context["form"].errors) == ["institutions"]
        assert not Activity.objects.exists()

    def test_an_activity_with_punos_support_network_is_not_created(self, amazonas_client, amazonas, puno):
        foreign = SupportNetworkFactory(region=puno, name="Red de Juliaca")
        data = form_data(amazonas, support_network=foreign.pk)
        response = amazonas_client.post(reverse("activities:create"), data)
        assert response.status_code == 400
        assert list(response.context["form"].errors) == ["support_network"]
        assert not Activity.objects.exists()

    def test_an_activity_cannot_be_created_in_puno(self, amazonas_client, puno):
        response = amazonas_client.post(reverse("activities:create"), form_data(puno))
        assert response.status_code == 400
        assert list(response.context["form"].errors) == ["region"]
        assert not Activity.objects.exists()

    def test_an_own_draft_cannot_be_moved_to_puno(self, amazonas_client, amazonas, coord_amazonas, puno):
        draft = ActivityFactory(region=amazonas, created_by=coord_amazonas)
        data = form_data(puno, title=draft.title, version=draft.version)
        response = amazonas_client.post(reverse("activities:edit", args=[draft.pk]), data)
        assert response.status_code == 400
        assert list(response.context["form"].errors) == ["region"]
        assert unchanged(draft)
        assert Activity.objects.get(pk=draft.pk).region == amazonas

    def test_the_form_offers_only_the_coordinators_own_partners(self, amazonas_client, amazonas, puno):
        InstitutionFactory(region=amazonas, name="UGEL Chachapoyas")
        InstitutionFactory(region=puno, name="UGEL Puno")
        SupportNetworkFactory(region=puno, name="Red de Juliaca")
        page = amazonas_client.get(reverse("activities:create")).content.decode()
        assert "UGEL Chachapoyas" in page
        assert "UGEL Puno" not in page
        assert "Red de Juliaca" not in page


# Every panel URL name, with the methods it answers to and the object its URL takes.
PANEL_URLS = [
    ("panel", "get", None),
    ("list", "get", None),
    ("create", "get", None),
    ("create", "post", None),
    ("detail", "get", "activity"),
    ("edit", "get", "activity"),
    ("edit", "post", "activity"),
    ("submit", "post", "activity"),
    ("submit_check", "get", "activity"),
    ("review", "post", "activity"),
    ("evidence_upload", "post", "activity"),
    ("evidence_download", "get", "evidence"),
    ("evidence_preview", "get", "evidence"),
    ("evidence_delete", "post", "evidence"),
    ("review_queue", "get", None),
    ("import", "get", None),
    ("import", "post", None),
    ("import_template", "get", None),
    ("import_job", "get", "job"),
    ("import_job_status", "get", "job"),
    ("import_confirm", "post", "job"),
    ("outbox", "get", None),
]
# What a phone fetches to install the panel, before or without a session: nothing in them is personal.
PANEL_APP_FILES = {"service_worker", "manifest"}


def test_the_list_of_panel_urls_below_covers_every_url_of_the_panel():
    names = {name for name, _, _ in PANEL_URLS} | PANEL_APP_FILES
    assert names == {pattern.name for pattern in activities_urls.urlpatterns}


class TestAnonymousVisitors:
    def test_every_panel_url_sends_them_to_log_in_and_back(self, client, puno_evidence, coord_puno, puno):
        activity = puno_evidence.activity
        job = ImportJob.objects.create(user=coord_puno, region=puno)
        objects = {"activity": activity, "evidence": puno_evidence, "job": job}
        for name, method, arg in PANEL_URLS:
            url = reverse(f"activities:{name}", args=[objects[arg].pk] if arg else [])
            response = getattr(client, method)(url)
            assert response.status_code == 302, (method, url)
            assert response.url == f"/es/accounts/login/?next={url}", (method, url)
        assert unchanged(activity)
        assert Evidence.objects.filter(pk=puno_evidence.pk).exists()
        assert not ActivityTransition.objects.exists()
        assert ImportJob.objects.get().status == ImportJob.Status.QUEUED


class TestReviewIsTheMinistrysWork:
    def test_a_coordinator_is_forbidden_the_review_queue(self, amazonas_client):
        assert amazonas_client.get(reverse("activities:review_queue")).status_code == 403

    @pytest.mark.parametrize("action", ["approve", "return"])
    def test_a_coordinator_cannot_review_even_their_own_regions_activity(
        self, amazonas_client, amazonas, coord_amazonas, action
    ):
        submitted = ActivityFactory(region=amazonas, status="submitted", created_by=coord_amazonas)
        url = reverse("activities:review", args=[submitted.pk])
        response = amazonas_client.post(url, {"action": action, "comment": "Todo bien."})
        assert response.status_code == 403
        assert unchanged(submitted)
        assert not ActivityTransition.objects.exists()


class TestWrongMethods:
    def test_get_on_submit_is_not_allowed(self, amazonas_client, amazonas):
        draft = ActivityFactory(region=amazonas)
        assert amazonas_client.get(reverse("activities:submit", args=[draft.pk])).status_code == 405
        assert unchanged(draft)

    def test_get_on_review_is_not_allowed(self, client, staff, amazonas):
        submitted = ActivityFactory(region=amazonas, status="submitted")
        client.force_login(staff)
        url = reverse("activities:review", args=[submitted.pk])
        assert client.get(url, {"action": "approve"}).status_code == 405
        assert unchanged(submitted)

    def test_get_on_evidence_upload_is_not_allowed(self, amazonas_client, amazonas):
        draft = ActivityFactory(region=amazonas)
        assert amazonas_client.get(reverse("activities:evidence_upload", args=[draft.pk])).status_code == 405

    def test_get_on_evidence_delete_is_not_allowed(self, client, puno_evidence, coord_puno):
        client.force_login(coord_puno)
        assert client.get(reverse("activities:evidence_delete", args=[puno_evidence.pk])).status_code == 405
        assert Evidence.objects.filter(pk=puno_evidence.pk).exists()
