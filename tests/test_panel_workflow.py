"""The review loop through the panel's pages: a coordinator submits, staff find it in the
review queue, return it with a comment (the coordinator is emailed and sees the comment),
the coordinator corrects and resubmits, staff approve and may reopen with a reason. And
evidence through the upload and download views."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext
from PIL import Image

from activities.models import Activity, ActivityTransition, Evidence
from programs.models import Objective, Service

from .factories import ActivityFactory, complete

MB = 1024 * 1024
COMMENT = "Falta el número de familias alcanzadas."


def url(name, *args, lang="es"):
    with translation.override(lang):
        return reverse(f"activities:{name}", args=args)


def messages_shown(client, response):
    """The messages the page the response redirects to shows (and so consumes)."""
    assert response.status_code == 302
    page = client.get(response.url)
    return [str(message) for message in page.context["messages"]]


def spanish(message):
    with translation.override("es"):
        return gettext(message)


def status_of(activity):
    return Activity.objects.get(pk=activity.pk).status


def edit_data(activity, **changes):
    data = {
        "region": activity.region_id,
        "objective": activity.objective_id,
        "service": activity.service_id,
        "title": activity.title,
        "description": activity.description,
        "start_date": activity.start_date.isoformat(),
        "end_date": activity.end_date.isoformat(),
        "modality": activity.modality,
        "place_name": activity.place_name,
        "district": activity.district,
        "latitude": "",
        "longitude": "",
        "girls": activity.girls,
        "boys": activity.boys,
        "adolescent_girls": activity.adolescent_girls,
        "adolescent_boys": activity.adolescent_boys,
        "women": activity.women,
        "men": activity.men,
        "families": activity.families,
        "support_network": "",
        "version": activity.version,
    }
    data.update(changes)
    return data


@pytest.fixture
def coordinator_client(coord_amazonas):
    coord_amazonas.email = "coordinadora.amazonas@example.org"
    coord_amazonas.save()
    client = Client()
    client.force_login(coord_amazonas)
    return client


@pytest.fixture
def staff_client(staff):
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def draft(amazonas, coord_amazonas):
    return ActivityFactory(region=amazonas, created_by=coord_amazonas, title="Taller de crianza en Luya")


class TestSubmitting:
    def test_the_coordinator_submits_a_draft_and_the_step_is_recorded(self, coordinator_client, coord_amazonas, draft):
        complete(draft)
        before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=1)
        response = coordinator_client.post(url("submit", draft.pk))
        assert response.status_code == 302
        assert response.url == url("detail", draft.pk)
        assert status_of(draft) == "submitted"
        step = ActivityTransition.objects.get(activity=draft)
        assert (step.by, step.from_status, step.to_status) == (coord_amazonas, "draft", "submitted")
        assert step.at >= before
        assert messages_shown(coordinator_client, response) == [
            spanish("Submitted for review. You will be told by email when it is reviewed.")
        ]

    def test_a_second_tap_on_submit_is_not_an_error_and_records_nothing_more(self, coordinator_client, draft):
        complete(draft)
        first = coordinator_client.post(url("submit", draft.pk))
        messages_shown(coordinator_client, first)
        again = coordinator_client.post(url("submit", draft.pk))
        assert again.status_code == 302
        assert again.url == url("detail", draft.pk)
        assert messages_shown(coordinator_client, again) == [
            spanish("Submitted for review. You will be told by email when it is reviewed.")
        ]
        assert status_of(draft) == "submitted"
        assert ActivityTransition.objects.filter(activity=draft).count() == 1

    def test_an_approved_activity_cannot_be_submitted(self, coordinator_client, amazonas):
        approved = ActivityFactory(region=amazonas, status="approved")
        response = coordinator_client.post(url("submit", approved.pk))
        assert response.status_code == 403
        assert status_of(approved) == "approved"
        assert not ActivityTransition.objects.exists()

    def test_staff_cannot_submit_for_a_region(self, staff_client, draft):
        assert staff_client.post(url("submit", draft.pk)).status_code == 403
        assert status_of(draft) == "draft"


class TestTheReviewQueue:
    @pytest.fixture
    def queue(self, amazonas, puno):
        oe1, oe2 = Objective.objects.get(code="OE1"), Objective.objects.get(code="OE2")
        return {
            "amazonas-oe1-march": ActivityFactory(
                region=amazonas, objective=oe1, status="submitted", title="Amazonas OE1 marzo",
                service=Service.objects.get(slug="mujeres-acompanando-mujeres"),
                start_date=datetime.date(2025, 3, 10), end_date=datetime.date(2025, 3, 10),
            ),
            "puno-oe1-may": ActivityFactory(
                region=puno, objective=oe1, status="submitted", title="Puno OE1 mayo",
                service=Service.objects.get(slug="hombres-por-la-igualdad"),
                start_date=datetime.date(2025, 5, 20), end_date=datetime.date(2025, 5, 20),
            ),
            "puno-oe2-july": ActivityFactory(
                region=puno, objective=oe2, status="submitted", title="Puno OE2 julio",
                service=Service.objects.get(slug="familias-con-punche"),
                start_date=datetime.date(2025, 7, 1), end_date=datetime.date(2025, 7, 1),
            ),
            "amazonas-draft": ActivityFactory(region=amazonas, status="draft", title="Borrador que no espera revisión"),
        }  # fmt: skip

    def titles(self, client, **filters):
        response = client.get(url("review_queue"), filters)
        assert response.status_code == 200
        assert not response.context["filter"].errors
        return {activity.title for activity in response.context["page"].object_list}

    def test_staff_see_every_submitted_activity_and_no_draft(self, staff_client, queue):
        assert self.titles(staff_client) == {"Amazonas OE1 marzo", "Puno OE1 mayo", "Puno OE2 julio"}
        page = staff_client.get(url("review_queue")).content.decode()
        assert "Borrador que no espera revisión" not in page

    def test_the_region_filter(self, staff_client, queue, puno):
        assert self.titles(staff_client, region=puno.pk) == {"Puno OE1 mayo", "Puno OE2 julio"}

    def test_the_objective_filter(self, staff_client, queue):
        oe2 = Objective.objects.get(code="OE2")
        assert self.titles(staff_client, objective=oe2.pk) == {"Puno OE2 julio"}

    def test_the_service_filter(self, staff_client, queue):
        service = Service.objects.get(slug="hombres-por-la-igualdad")
        assert self.titles(staff_client, service=service.pk) == {"Puno OE1 mayo"}

    def test_the_date_filters(self, staff_client, queue):
        assert self.titles(staff_client, start_date_from="2025-05-01") == {"Puno OE1 mayo", "Puno OE2 julio"}
        assert self.titles(staff_client, start_date_to="2025-05-20") == {"Amazonas OE1 marzo", "Puno OE1 mayo"}
        window = {"start_date_from": "2025-04-01", "start_date_to": "2025-06-30"}
        assert self.titles(staff_client, **window) == {"Puno OE1 mayo"}

    def test_filters_combine_and_what_they_leave_out_is_not_on_the_page(self, staff_client, queue, puno):
        oe1 = Objective.objects.get(code="OE1")
        response = staff_client.get(url("review_queue"), {"region": puno.pk, "objective": oe1.pk})
        page = response.content.decode()
        assert "Puno OE1 mayo" in page
        assert "Puno OE2 julio" not in page
        assert "Amazonas OE1 marzo" not in page


class TestTheWholeLoop:
    def test_submit_return_correct_resubmit_approve_reopen(
        self,
        coordinator_client,
        staff_client,
        draft,
        django_capture_on_commit_callbacks,
        mailoutbox,
    ):
        complete(draft)
        review = url("review", draft.pk)

        # The coordinator submits.
        coordinator_client.post(url("submit", draft.pk))
        assert status_of(draft) == "submitted"
        assert draft.title in staff_client.get(url("review_queue")).content.decode()

        # Returning without a comment is refused: nothing changes, the reviewer is told why.
        with django_capture_on_commit_callbacks(execute=True):
            refused = staff_client.post(review, {"action": "return", "comment": "   "})
        assert refused.status_code == 302
        assert status_of(draft) == "submitted"
        assert messages_shown(staff_client, refused) == [spanish("Write a comment that says what must change.")]
        assert mailoutbox == []

        # Returned with a comment: the coordinator is emailed and sees the comment in the panel.
        with django_capture_on_commit_callbacks(execute=True):
            returned = staff_client.post(review, {"action": "return", "comment": COMMENT})
        assert returned.url == url("review_queue")
        assert messages_shown(staff_client, returned) == [spanish("Returned to the coordinator with your comment.")]
        assert status_of(draft) == "returned"
        assert [mail.to for mail in mailoutbox] == [["coordinadora.amazonas@example.org"]]
        assert COMMENT in mailoutbox[0].body
        assert draft.title in mailoutbox[0].subject
        home = coordinator_client.get(url("panel")).content.decode()
        assert draft.title in home
        assert escape(COMMENT) in home

        # The coordinator corrects it and submits again.
        stored = Activity.objects.get(pk=draft.pk)
        edited = coordinator_client.post(url("edit", draft.pk), edit_data(stored, families=14))
        assert edited.status_code == 302
        assert Activity.objects.get(pk=draft.pk).families == 14
        coordinator_client.post(url("submit", draft.pk))
        assert status_of(draft) == "submitted"

        # Staff approve it.
        with django_capture_on_commit_callbacks(execute=True):
            approved = staff_client.post(review, {"action": "approve", "comment": ""})
        assert messages_shown(staff_client, approved) == [spanish("Approved.")]
        assert status_of(draft) == "approved"
        assert len(mailoutbox) == 2

        # Reopening without a reason is refused; with one, it goes back to the coordinator.
        refused = staff_client.post(review, {"action": "reopen", "comment": ""})
        assert status_of(draft) == "approved"
        assert messages_shown(staff_client, refused) == [spanish("Write a comment that says what must change.")]
        with django_capture_on_commit_callbacks(execute=True):
            reopened = staff_client.post(review, {"action": "reopen", "comment": "La fecha de la actividad está mal."})
        assert messages_shown(staff_client, reopened) == [spanish("Reopened: the coordinator can edit it again.")]
        assert status_of(draft) == "returned"
        assert len(mailoutbox) == 3

        steps = list(
            ActivityTransition.objects.filter(activity=draft).values_list("from_status", "to_status", "by__username")
        )
        assert steps == [
            ("draft", "submitted", "coord-amazonas"),
            ("submitted", "returned", "staff"),
            ("returned", "submitted", "coord-amazonas"),
            ("submitted", "approved", "staff"),
            ("approved", "returned", "staff"),
        ]

        # The detail page shows every step, in order, with its comment.
        detail = coordinator_client.get(url("detail", draft.pk))
        assert list(detail.context["transitions"].values_list("from_status", "to_status")) == [s[:2] for s in steps]
        page = detail.content.decode()
        history = page[
            page.index('<ol class="transitions">') : page.index("</ol>", page.index('<ol class="transitions">'))
        ]
        with translation.override("es"):
            labels = dict(Activity.Status.choices)
            lines = [
                escape(
                    gettext("%(who)s moved it from %(from)s to %(to)s")
                    % {"who": who, "from": labels[a], "to": labels[b]}
                )
                for a, b, who in steps
            ]
        positions = [history.find(line) for line in lines]
        assert -1 not in positions, lines
        assert positions == sorted(positions)
        assert history.count("<li>") == len(steps)
        assert history.index(escape(COMMENT)) < history.index(escape("La fecha de la actividad está mal."))

    def test_returning_what_another_reviewer_just_approved_is_refused_with_a_message(self, staff_client, amazonas):
        submitted = ActivityFactory(region=amazonas, status="submitted")
        messages_shown(staff_client, staff_client.post(url("review", submitted.pk), {"action": "approve"}))
        late = staff_client.post(url("review", submitted.pk), {"action": "return", "comment": "Tarde."})
        with translation.override("es"):
            expected = gettext("An activity that is %(status)s cannot be %(action)s.") % {
                "status": gettext("Approved").lower(),
                "action": gettext("returned"),
            }
        assert messages_shown(staff_client, late) == [expected]
        assert status_of(submitted) == "approved"
        assert ActivityTransition.objects.filter(activity=submitted).count() == 1

    def test_an_unknown_review_action_is_refused(self, staff_client, amazonas):
        submitted = ActivityFactory(region=amazonas, status="submitted")
        response = staff_client.post(url("review", submitted.pk), {"action": "delete"})
        assert status_of(submitted) == "submitted"
        assert messages_shown(staff_client, response) == [spanish("Choose approve, return or reopen.")]


def jpeg(size=(40, 30)):
    out = io.BytesIO()
    Image.new("RGB", size, "blue").save(out, "JPEG")
    return out.getvalue()


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 100
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("/api/v1/")</script><circle r="4"/></svg>'


def twenty_megabytes():
    # A JPEG's first bytes, then nothing: refused on its size before anything reads it.
    return b"\xff\xd8\xff\xe0" + bytes(20 * MB)


NOT_A_PHOTO = "Only photos (JPEG, PNG, WebP) and PDF documents can be attached; this file is not one of them."


class TestEvidenceThroughThePanel:
    def upload(self, client, activity, content, name, content_type, lang="en"):
        file = SimpleUploadedFile(name, content, content_type=content_type)
        return client.post(url("evidence_upload", activity.pk, lang=lang), {"file": file, "caption": "Taller"})

    def test_a_photo_is_attached_with_a_message(self, coordinator_client, draft):
        response = self.upload(coordinator_client, draft, jpeg(), "taller.jpg", "image/jpeg")
        assert response.status_code == 302
        assert response.url == url("detail", draft.pk, lang="en")
        assert messages_shown(coordinator_client, response) == ["File attached."]
        evidence = Evidence.objects.get()
        assert (evidence.activity, evidence.content_type, evidence.caption) == (draft, "image/jpeg", "Taller")

    @pytest.mark.parametrize(
        ("content", "name", "content_type", "message"),
        [
            (twenty_megabytes, "video.jpg", "image/jpeg", "This file is 20.0 MB; the limit is 10 MB."),
            (lambda: SVG, "dibujo.svg", "image/svg+xml", NOT_A_PHOTO),
            (lambda: ELF, "foto.jpg", "image/jpeg", NOT_A_PHOTO),
        ],
        ids=["20-mb", "svg", "executable-named-jpg"],
    )
    def test_a_refused_file_gets_a_message_and_leaves_nothing(
        self, coordinator_client, draft, settings, content, name, content_type, message
    ):
        response = self.upload(coordinator_client, draft, content(), name, content_type)
        assert response.status_code == 302
        assert messages_shown(coordinator_client, response) == [message]
        assert not Evidence.objects.exists()
        media = Path(settings.MEDIA_ROOT)
        assert not media.exists() or not [path for path in media.rglob("*") if path.is_file()]

    def test_the_size_in_the_refusal_is_written_the_spanish_way_on_the_spanish_page(self, coordinator_client, draft):
        response = self.upload(coordinator_client, draft, twenty_megabytes(), "a.jpg", "image/jpeg", lang="es")
        assert "20,0" in messages_shown(coordinator_client, response)[0]

    def test_a_form_without_a_file_gets_a_message(self, coordinator_client, draft):
        response = coordinator_client.post(url("evidence_upload", draft.pk, lang="en"), {"caption": "Sin archivo"})
        assert response.status_code == 302
        assert messages_shown(coordinator_client, response) == ["This field is required."]
        assert not Evidence.objects.exists()

    @pytest.fixture
    def evidence(self, coordinator_client, draft):
        uploaded = self.upload(coordinator_client, draft, jpeg(), "taller.jpg", "image/jpeg")
        assert messages_shown(coordinator_client, uploaded) == ["File attached."]
        return Evidence.objects.get()

    def download(self, client, evidence):
        return client.get(url("evidence_download", evidence.pk))

    def test_the_download_is_an_attachment_never_sniffed_or_shared_by_caches(self, coordinator_client, evidence):
        response = self.download(coordinator_client, evidence)
        assert response.status_code == 200
        assert response["Content-Type"] == "image/jpeg"
        assert response["Content-Disposition"] == f'attachment; filename="evidencia-{evidence.pk}.jpg"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "private" in response["Cache-Control"]
        assert "public" not in response["Cache-Control"]
        with evidence.file.open("rb") as stored:
            assert b"".join(response.streaming_content) == stored.read()

    def test_the_file_is_named_in_the_readers_language_not_as_it_was_uploaded(self, coordinator_client, evidence):
        english = coordinator_client.get(f"/en/panel/evidence/{evidence.pk}/")
        assert english["Content-Disposition"] == f'attachment; filename="evidence-{evidence.pk}.jpg"'

    def test_staff_may_download(self, staff_client, evidence):
        response = self.download(staff_client, evidence)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")

    def test_the_coordinator_of_puno_is_told_it_does_not_exist(self, coord_puno, evidence):
        client = Client()
        client.force_login(coord_puno)
        assert self.download(client, evidence).status_code == 404

    def test_the_coordinator_removes_a_file_from_a_draft(
        self, coordinator_client, evidence, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = coordinator_client.post(url("evidence_delete", evidence.pk, lang="en"))
        assert response.status_code == 302
        assert messages_shown(coordinator_client, response) == ["File removed."]
        assert not Evidence.objects.exists()

    def test_staff_may_not_remove_a_file(self, staff_client, evidence):
        assert staff_client.post(url("evidence_delete", evidence.pk)).status_code == 403
        assert Evidence.objects.filter(pk=evidence.pk).exists()
