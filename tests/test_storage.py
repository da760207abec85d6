"""Where private files live: MEDIA_ROOT by default, an S3-compatible bucket when MEDIA_S3_BUCKET is
set. Against a local S3 server, evidence goes up through the panel's upload view, lands as a private
object under the prefix, never in MEDIA_ROOT, and comes back only through the access-checked
downloads; reports take the same way; removing evidence removes its object."""

import io
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import NamedTuple

import boto3
import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from moto.server import ThreadedMotoServer
from PIL import Image
from rest_framework.test import APIClient

from activities.models import Evidence
from reports.models import Report
from reports.services import report_request

from .factories import ActivityFactory

ROOT = Path(__file__).resolve().parents[1]
REGION = "us-east-1"
KEYS = {"access_key": "test-access-key", "secret_key": "test-secret-key"}
# Canned-ACL grants that would let someone other than the bucket's owner read an object.
PUBLIC_GRANTEES = {
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
}


class Bucket(NamedTuple):
    client: object
    name: str

    def keys(self):
        return sorted(item["Key"] for item in self.client.list_objects_v2(Bucket=self.name).get("Contents", []))

    def read(self, key):
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def assert_private(self, key):
        grants = self.client.get_object_acl(Bucket=self.name, Key=key)["Grants"]
        assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"], grants
        assert not {grant["Grantee"].get("URI") for grant in grants} & PUBLIC_GRANTEES


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(settings, s3_endpoint):
    """A fresh bucket, and the project's own S3 options (those settings.py builds from MEDIA_S3_*)
    pointed at it. Changing STORAGES resets Django's storages and every FileField's default one."""
    name = f"media-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id=KEYS["access_key"],
        aws_secret_access_key=KEYS["secret_key"],
    )
    client.create_bucket(Bucket=name)
    options = {
        **django_settings.MEDIA_STORAGE["OPTIONS"],
        **KEYS,
        "bucket_name": name,
        "endpoint_url": s3_endpoint,
        "region_name": REGION,
        "location": "media",
    }
    settings.STORAGES = {**settings.STORAGES, "default": {**django_settings.MEDIA_STORAGE, "OPTIONS": options}}
    return Bucket(client, name)


def files_in_media_root():
    root = Path(django_settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def photo():
    out = io.BytesIO()
    Image.new("RGB", (60, 30), "red").save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def draft(amazonas, coord_amazonas):
    return ActivityFactory(region=amazonas, status="draft", created_by=coord_amazonas)


@pytest.fixture
def uploaded(client, draft, coord_amazonas, bucket):
    client.force_login(coord_amazonas)
    upload = SimpleUploadedFile("Rosa Quispe.jpg", photo(), content_type="image/jpeg")
    response = client.post(
        reverse("activities:evidence_upload", args=[draft.pk]), {"file": upload, "caption": "Taller"}
    )
    assert response.status_code == 302
    return Evidence.objects.get()


class TestEvidenceInABucket:
    def test_an_upload_is_a_private_object_under_the_prefix_and_not_a_local_file(self, uploaded, bucket):
        key = f"media/{uploaded.file.name}"
        assert bucket.keys() == [key]
        assert key.startswith(f"media/evidence/{uploaded.activity.region_id}/")
        bucket.assert_private(key)
        assert files_in_media_root() == []

    def test_the_bucket_does_not_hand_the_object_to_an_anonymous_request(self, uploaded, bucket, s3_endpoint):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{s3_endpoint}/{bucket.name}/media/{uploaded.file.name}", timeout=5)
        assert refused.value.code == 403

    def test_the_regions_coordinator_downloads_it_through_the_panel(self, client, uploaded, bucket):
        stored = bucket.read(f"media/{uploaded.file.name}")
        response = client.get(reverse("activities:evidence_download", args=[uploaded.pk]))
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
        assert b"".join(response.streaming_content) == stored
        assert stored.startswith(b"\xff\xd8\xff")

    def test_staff_download_it_through_the_api(self, uploaded, staff):
        api = APIClient()
        api.force_authenticate(staff)
        response = api.get(f"/api/v1/evidence/{uploaded.pk}/download/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")

    def test_another_regions_coordinator_is_told_it_does_not_exist(self, client, uploaded, coord_puno):
        client.force_login(coord_puno)
        assert client.get(reverse("activities:evidence_download", args=[uploaded.pk])).status_code == 404
        api = APIClient()
        api.force_authenticate(coord_puno)
        assert api.get(f"/api/v1/evidence/{uploaded.pk}/download/").status_code == 404

    def test_removing_the_evidence_removes_its_object(
        self, client, uploaded, bucket, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("activities:evidence_delete", args=[uploaded.pk]))
        assert response.status_code == 302
        assert not Evidence.objects.exists()
        assert bucket.keys() == []

    def test_a_name_already_taken_is_never_overwritten(self, bucket):
        first = default_storage.save("evidence/1/same.jpg", ContentFile(b"first"))
        second = default_storage.save("evidence/1/same.jpg", ContentFile(b"second"))
        assert first != second
        with default_storage.open(first, "rb") as handle:
            assert handle.read() == b"first"


def test_a_report_is_stored_privately_and_downloaded_through_the_access_check(
    client, bucket, coord_amazonas, coord_puno, amazonas, eager_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report, _created = report_request(user=coord_amazonas, kind="activities", format="csv", region=amazonas)
    report.refresh_from_db()
    assert report.status == Report.Status.DONE, report.error
    key = f"media/{report.file.name}"
    assert bucket.keys() == [key]
    bucket.assert_private(key)
    client.force_login(coord_amazonas)
    response = client.get(reverse("reports:download", args=[report.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == bucket.read(key)
    client.force_login(coord_puno)
    assert client.get(reverse("reports:download", args=[report.pk])).status_code == 404


# Which storage the environment selects: settings.py is read once per process, so each case is a
# fresh one.


def storage_in_a_process(**env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("MEDIA_S3_", "AWS_"))}
    probe = (
        "import django; django.setup(); "
        "from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__module__ + '.' + type(s).__name__); "
        "print(getattr(s, 'location', '')); "
        "print(*(repr(getattr(s, n, None)) for n in "
        "('bucket_name', 'endpoint_url', 'region_name', 'default_acl', 'file_overwrite', 'querystring_auth')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "prevent_protect.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()[-3:]


def test_without_a_bucket_files_stay_in_media_root(tmp_path):
    backend, location, _ = storage_in_a_process(MEDIA_ROOT=str(tmp_path))
    assert backend == "django.core.files.storage.filesystem.FileSystemStorage"
    assert location == str(tmp_path)


def test_a_bucket_selects_private_s3_storage_that_never_overwrites():
    backend, location, options = storage_in_a_process(
        MEDIA_S3_BUCKET="prevenir-media",
        MEDIA_S3_ENDPOINT_URL="https://objects.example.gob.pe",
        MEDIA_S3_REGION="sa-east-1",
        MEDIA_S3_PREFIX="portal/media",
    )
    assert backend == "storages.backends.s3.S3Storage"
    assert location == "portal/media"
    assert options.split() == [
        "'prevenir-media'",
        "'https://objects.example.gob.pe'",
        "'sa-east-1'",
        "'private'",
        "False",
        "True",
    ]
