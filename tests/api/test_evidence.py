"""Evidence over the API: /api/v1/activities/{id}/evidence/ lists and attaches files,
/api/v1/evidence/{id}/ shows and removes one, /api/v1/evidence/{id}/download/ serves it.
Evidence is private: the public never reaches it, another region's coordinator is told it does
not exist, and every refusal of activities.evidence comes back with its message and leaves no
row and no file behind."""

import io

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from PIL import ExifTags, Image

from activities.evidence import evidence_attach
from activities.models import MAX_EVIDENCE_PER_ACTIVITY, Activity, Evidence
from tests.factories import ActivityFactory

PERSON = "Rosa Quispe"  # must not survive the upload anywhere: file name, EXIF, download name


def as_user(api, user):
    if user is not None:
        api.force_login(user)
    return api


def jpeg_with_gps():
    """A real photo that carries the phone's position and a person's name in its EXIF."""
    exif = Image.Exif()
    exif[ExifTags.Base.Artist] = PERSON
    exif[ExifTags.Base.Model] = "Galaxy A14"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (6.0, 13.0, 45.8)
    out = io.BytesIO()
    Image.new("RGB", (60, 30), "red").save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload_file(content, name=f"{PERSON}.jpg"):
    file = io.BytesIO(content)
    file.name = name
    return file


def files_on_disk():
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def list_url(activity):
    return f"/api/v1/activities/{activity.pk}/evidence/"


def attach(api, activity, content=None, language="es", **fields):
    data = {"file": upload_file(jpeg_with_gps() if content is None else content), "caption": "Taller", **fields}
    return api.post(list_url(activity), data, format="multipart", HTTP_ACCEPT_LANGUAGE=language)


@pytest.fixture
def draft(amazonas, coord_amazonas):
    return ActivityFactory(region=amazonas, created_by=coord_amazonas)


@pytest.fixture
def photo(draft, coord_amazonas):
    content = ContentFile(jpeg_with_gps(), name="foto.jpg")
    evidence, _ = evidence_attach(activity=draft, uploaded_file=content, caption="Asistentes", by=coord_amazonas)
    return evidence


class TestAttaching:
    def test_a_coordinator_attaches_a_photo_to_a_draft(self, api, coord_amazonas, draft):
        response = attach(as_user(api, coord_amazonas), draft)
        assert response.status_code == 201, response.content
        body = response.json()
        item = Evidence.objects.get()
        assert body == {
            "id": item.pk,
            "activity": draft.pk,
            "caption": "Taller",
            "content_type": "image/jpeg",
            "size": item.size,
            "uploaded_at": body["uploaded_at"],
            "client_uuid": None,
            "download": f"{settings.SITE_URL}/api/v1/evidence/{item.pk}/download/",
        }
        stored = item.file.read()
        assert PERSON.encode() not in stored
        assert Image.open(io.BytesIO(stored)).getexif() == {}
        assert PERSON not in item.file.name

    @pytest.mark.parametrize(
        ("content", "code"),
        [
            (b"Hola, esto no es una foto.", "unsupported_type"),
            (b"", "empty"),
            (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "damaged_image"),
            (b"%PDF-1.7\n<< /JavaScript (app.alert(1)) >>\n%%EOF\n", "active_pdf"),
        ],
    )
    def test_a_refused_file_leaves_nothing_behind(self, api, coord_amazonas, draft, content, code, assert_error):
        assert_error(attach(as_user(api, coord_amazonas), draft, content), 400, code=code)
        assert not Evidence.objects.exists()
        assert files_on_disk() == []

    def test_a_long_caption_is_refused_with_its_message(self, api, coord_amazonas, draft, assert_error):
        response = attach(as_user(api, coord_amazonas), draft, caption="x" * 201, language="en")
        error = assert_error(response, 400, code="caption_too_long")
        assert error["message"] == "The caption can have at most 200 characters; it has 201."
        assert not Evidence.objects.exists()

    def test_an_eleventh_file_is_refused(self, api, coord_amazonas, draft, assert_error):
        for _ in range(MAX_EVIDENCE_PER_ACTIVITY):
            evidence_attach(
                activity=draft, uploaded_file=ContentFile(jpeg_with_gps(), name="f.jpg"), caption="", by=coord_amazonas
            )
        on_disk = files_on_disk()
        assert_error(attach(as_user(api, coord_amazonas), draft), 400, code="too_many_files")
        assert draft.evidence.count() == MAX_EVIDENCE_PER_ACTIVITY
        assert files_on_disk() == on_disk

    def test_a_missing_file_is_named(self, api, coord_amazonas, draft, assert_error):
        response = as_user(api, coord_amazonas).post(list_url(draft), {"caption": "Sin archivo"}, format="multipart")
        assert_error(response, 400, code="invalid", field="file")
        assert not Evidence.objects.exists()

    def test_an_unknown_field_is_named(self, api, coord_amazonas, draft, assert_error):
        assert_error(attach(as_user(api, coord_amazonas), draft, autor=PERSON), 400, code="invalid", field="autor")
        assert not Evidence.objects.exists()

    def test_json_is_not_an_upload(self, api, coord_amazonas, draft, assert_error):
        response = as_user(api, coord_amazonas).post(list_url(draft), {"caption": "x"}, format="json")
        assert_error(response, 415, code="unsupported_media_type")
        assert not Evidence.objects.exists()

    @pytest.mark.parametrize("method", ["put", "patch", "delete"])
    def test_the_list_takes_get_and_post_only(self, api, coord_amazonas, photo, method, assert_error):
        response = getattr(as_user(api, coord_amazonas), method)(list_url(photo.activity), {}, format="json")
        assert_error(response, 405, code="method_not_allowed")
        assert list(Evidence.objects.values_list("pk", "caption")) == [(photo.pk, "Asistentes")]

    @pytest.mark.parametrize(
        ("persona", "status", "code"),
        [
            ("anonymous", 401, "not_authenticated"),
            ("coord_puno", 404, "not_found"),
            ("staff", 403, "permission_denied"),
        ],
    )
    def test_only_the_regions_coordinators_attach(self, api, draft, persona, status, code, request, assert_error):
        user = None if persona == "anonymous" else request.getfixturevalue(persona)
        assert_error(attach(as_user(api, user), draft), status, code=code)
        assert not Evidence.objects.exists()
        assert files_on_disk() == []

    @pytest.mark.parametrize("status", ["submitted", "approved"])
    def test_nothing_is_attached_to_a_locked_activity(self, api, coord_amazonas, amazonas, status, assert_error):
        locked = ActivityFactory(region=amazonas, status=status)
        assert_error(attach(as_user(api, coord_amazonas), locked), 403, code="permission_denied")
        assert not Evidence.objects.exists()


class TestListing:
    @pytest.mark.parametrize("persona", ["coord_amazonas", "staff"])
    def test_the_region_and_staff_list_the_files(self, api, photo, persona, request):
        response = as_user(api, request.getfixturevalue(persona)).get(list_url(photo.activity))
        assert response.status_code == 200
        assert [item["id"] for item in response.json()] == [photo.pk]
        assert response.json()[0]["caption"] == "Asistentes"

    def test_another_regions_coordinator_is_told_nothing(self, api, coord_puno, photo, assert_error):
        assert_error(as_user(api, coord_puno).get(list_url(photo.activity)), 404, code="not_found")

    def test_the_public_never_sees_evidence_even_of_an_approved_activity(self, api, photo, assert_error):
        Activity.objects.filter(pk=photo.activity_id).update(status="approved")
        assert_error(api.get(list_url(photo.activity)), 401, code="not_authenticated")
        assert_error(api.get(f"/api/v1/evidence/{photo.pk}/"), 401, code="not_authenticated")
        assert_error(api.get(f"/api/v1/evidence/{photo.pk}/download/"), 401, code="not_authenticated")
        assert "evidence" not in api.get(f"/api/v1/activities/{photo.activity_id}/").json()

    def test_one_file_is_shown_to_those_who_may_see_it(self, api, photo, coord_amazonas, coord_puno, assert_error):
        assert as_user(api, coord_amazonas).get(f"/api/v1/evidence/{photo.pk}/").json()["id"] == photo.pk
        assert_error(as_user(api, coord_puno).get(f"/api/v1/evidence/{photo.pk}/"), 404, code="not_found")


class TestDownloading:
    @pytest.mark.parametrize("persona", ["coord_amazonas", "staff"])
    def test_the_file_comes_as_an_attachment_that_browsers_must_not_sniff(self, api, photo, persona, request):
        response = as_user(api, request.getfixturevalue(persona)).get(f"/api/v1/evidence/{photo.pk}/download/")
        assert response.status_code == 200
        # One type for every file, which generated clients read as bytes; `content_type` and the name say which.
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"] == f'attachment; filename="evidencia-{photo.pk}.jpg"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"]
        assert b"".join(response.streaming_content) == photo.file.open("rb").read()

    def test_a_client_that_accepts_only_images_still_gets_the_file(self, api, coord_amazonas, photo):
        response = as_user(api, coord_amazonas).get(f"/api/v1/evidence/{photo.pk}/download/", HTTP_ACCEPT="image/jpeg")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"

    def test_another_regions_coordinator_is_told_nothing(self, api, coord_puno, photo, assert_error):
        assert_error(as_user(api, coord_puno).get(f"/api/v1/evidence/{photo.pk}/download/"), 404, code="not_found")

    def test_a_file_lost_from_storage_is_not_found(self, api, coord_amazonas, photo, assert_error):
        photo.file.storage.delete(photo.file.name)
        response = as_user(api, coord_amazonas).get(f"/api/v1/evidence/{photo.pk}/download/")
        assert_error(response, 404, code="not_found")

    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    def test_the_download_is_read_only(self, api, coord_amazonas, photo, method, assert_error):
        response = getattr(as_user(api, coord_amazonas), method)(f"/api/v1/evidence/{photo.pk}/download/")
        assert_error(response, 405, code="method_not_allowed")
        assert Evidence.objects.filter(pk=photo.pk).exists()
        assert len(files_on_disk()) == 1

    @pytest.mark.parametrize("pk", ["999999", "abc", "1.5"])
    def test_an_unknown_file_is_not_found(self, api, staff, pk, assert_error):
        assert_error(as_user(api, staff).get(f"/api/v1/evidence/{pk}/download/"), 404, code="not_found")
        assert_error(api.get(f"/api/v1/evidence/{pk}/"), 404, code="not_found")
        assert_error(api.delete(f"/api/v1/evidence/{pk}/"), 404, code="not_found")


class TestRemoving:
    def test_a_coordinator_removes_a_file_and_it_leaves_the_disk(
        self, api, coord_amazonas, photo, django_capture_on_commit_callbacks
    ):
        assert len(files_on_disk()) == 1
        with django_capture_on_commit_callbacks(execute=True):
            response = as_user(api, coord_amazonas).delete(f"/api/v1/evidence/{photo.pk}/")
        assert response.status_code == 204
        assert not Evidence.objects.exists()
        assert files_on_disk() == []

    @pytest.mark.parametrize(
        ("persona", "status", "code"),
        [
            ("anonymous", 401, "not_authenticated"),
            ("coord_puno", 404, "not_found"),
            ("staff", 403, "permission_denied"),
        ],
    )
    def test_only_the_regions_coordinators_remove(self, api, photo, persona, status, code, request, assert_error):
        user = None if persona == "anonymous" else request.getfixturevalue(persona)
        assert_error(as_user(api, user).delete(f"/api/v1/evidence/{photo.pk}/"), status, code=code)
        assert Evidence.objects.filter(pk=photo.pk).exists()
        assert len(files_on_disk()) == 1

    def test_a_submitted_activitys_files_stay(self, api, coord_amazonas, photo, assert_error):
        Activity.objects.filter(pk=photo.activity_id).update(status="submitted")
        response = as_user(api, coord_amazonas).delete(f"/api/v1/evidence/{photo.pk}/")
        assert_error(response, 403, code="permission_denied")
        assert Evidence.objects.filter(pk=photo.pk).exists()

    def test_deleting_a_draft_removes_its_files_from_the_disk(
        self, api, coord_amazonas, photo, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = as_user(api, coord_amazonas).delete(
                f"/api/v1/activities/{photo.activity_id}/", HTTP_IF_MATCH='"1"'
            )
        assert response.status_code == 204
        assert not Evidence.objects.exists()
        assert files_on_disk() == []

    @pytest.mark.parametrize("method", ["put", "patch", "post"])
    def test_a_file_cannot_be_rewritten(self, api, coord_amazonas, photo, method, assert_error):
        response = getattr(as_user(api, coord_amazonas), method)(f"/api/v1/evidence/{photo.pk}/", {}, format="json")
        assert_error(response, 405, code="method_not_allowed")
        assert Evidence.objects.get().caption == "Asistentes"
