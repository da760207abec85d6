"""The API as integrators use it: a client generated from /api/schema/ by openapi-python-client.

The client is generated once per session from the schema the live server serves. Every module
of it imports, the generator leaves nothing out, and a regional app's journey runs through it: a
token, a filtered list, an activity created and retried, changed with If-Match (a stale one is
refused), its photo uploaded and downloaded, submitted, a report requested and downloaded; once
with `Authorization: Token`, once with `Bearer` (what generated clients send). Every answer the
journeys receive is checked against the schema with openapi-core, and the schema against the
OpenAPI specification with openapi-spec-validator.
"""

import datetime
import importlib
import io
import json
import pkgutil
import subprocess
import sys
import time
import uuid
from urllib.parse import parse_qsl

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_spec_validator import validate
from PIL import Image
from werkzeug.datastructures import Headers, ImmutableMultiDict

from activities.models import Activity
from programs.models import Objective, Service
from publication.services import release_publish
from regions.models import Region
from tests.factories import ActivityFactory, coordinator

GENERATOR = [sys.executable, "-m", "openapi_python_client"]
PACKAGE = "portal_client"
PASSWORD = "secret-pass-123"  # tests/factories.py gives every persona this password

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


# The client, generated once ---------------------------------------------------------------


@pytest.fixture(scope="module")
def served_schema(live_server):
    response = httpx.get(f"{live_server.url}/api/schema/?format=json", timeout=60)
    assert response.status_code == 200
    return response.json()


@pytest.fixture(scope="module")
def generated(served_schema, tmp_path_factory):
    """(the imported package, the generator's output)."""
    folder = tmp_path_factory.mktemp("generated")
    (folder / "openapi.json").write_text(json.dumps(served_schema))
    # No post hooks: the default ones run ruff, which a machine without the network may lack.
    (folder / "config.yml").write_text(f"post_hooks: []\npackage_name_override: {PACKAGE}\n")
    result = subprocess.run(
        [*GENERATOR, "generate", "--path", "openapi.json", "--config", "config.yml"]
        + ["--output-path", PACKAGE, "--meta", "none"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE), output
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def module(name):
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_the_schema_is_valid_openapi(served_schema):
    validate(served_schema)


def test_the_generator_leaves_nothing_out(generated):
    _package, output = generated
    # It warns, and skips the piece, for each operation or response it cannot express.
    assert "Warning" not in output and "WARNING" not in output, output


def test_every_generated_module_imports(generated):
    package, _output = generated
    names = [info.name for info in pkgutil.walk_packages(package.__path__, f"{PACKAGE}.")]
    failures = {}
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - every failure is reported, not the first
            failures[name] = f"{type(exc).__name__}: {exc}"
    assert failures == {}
    operations = [name for name in names if ".api." in name]
    assert len(operations) >= 57, operations
    # The downloads are part of the client: each declares one response type.
    for operation in ("api.v1.v1_evidence_download_retrieve", "api.reports.v1_reports_download_retrieve"):
        assert f"{PACKAGE}.{operation}" in names


# Every answer, against the schema ----------------------------------------------------------


class CheckedRequest:
    """An httpx request as openapi-core reads it: only what finds the operation is needed."""

    def __init__(self, request):
        self.host_url = f"{request.url.scheme}://{request.url.netloc.decode()}"
        self.path = request.url.path
        self.method = request.method.lower()
        self.body = None
        self.content_type = request.headers.get("Content-Type", "")
        query = ImmutableMultiDict(parse_qsl(request.url.query.decode(), keep_blank_values=True))
        self.parameters = RequestParameters(query=query, header=Headers(dict(request.headers)))


class CheckedResponse:
    def __init__(self, response):
        self.data = response.content
        self.status_code = response.status_code
        self.content_type = response.headers.get("Content-Type", "")
        self.headers = Headers(dict(response.headers))


@pytest.fixture
def checked(served_schema, journey):
    """(make a generated client on the live server, the answers checked so far).

    Every answer is checked against the schema before the generated code reads it. The clients
    are closed afterwards, so that no kept-alive connection holds the test database open."""
    contract = OpenAPI.from_dict(served_schema)
    seen, made = [], []

    def check(response):
        response.read()
        contract.validate_response(CheckedRequest(response.request), CheckedResponse(response))
        seen.append((response.request.method, response.request.url.path, response.status_code))

    def make(kind, **options):
        client = getattr(module("client"), kind)(
            base_url=journey["url"],
            raise_on_unexpected_status=True,
            timeout=httpx.Timeout(60),
            httpx_args={"event_hooks": {"response": [check]}},
            **options,
        )
        made.append(client)
        return client

    yield make, seen
    for client in made:
        client.get_httpx_client().close()


# The journey ---------------------------------------------------------------------------------


@pytest.fixture
def journey(reference_data, live_server, settings, eager_tasks):
    # Links in answers (a report's download) are built on SITE_URL: here, the live server.
    settings.SITE_URL = live_server.url
    amazonas = Region.objects.get(slug="amazonas")
    author = coordinator("app-coord", amazonas)
    draft = ActivityFactory(region=amazonas, status="draft", created_by=author)
    ActivityFactory(region=amazonas, status="approved", created_by=author)
    ActivityFactory(region=Region.objects.get(slug="puno"), status="draft")
    release_publish()
    return {"url": live_server.url, "region": amazonas, "draft": draft}


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (60, 30), "red").save(out, "JPEG")
    return out.getvalue()


def new_activity(region, key):
    ActivityRequest = module("models").ActivityRequest  # noqa: N806 - a class
    objective = Objective.objects.get(code="OE1")
    return ActivityRequest(
        region=region.pk,
        objective=objective.pk,
        service=Service.objects.get(slug="mujeres-acompanando-mujeres").pk,
        title="Taller de prevención en la comunidad",
        description="Sesión con madres y padres de la I.E. 18001.",
        start_date=datetime.date(2025, 4, 2),
        end_date=datetime.date(2025, 4, 3),
        place_name="Local comunal",
        district="Chachapoyas",
        latitude=-6.2294,
        longitude=-77.8728,
        adolescent_girls=10,
        adolescent_boys=9,
        women=4,
        men=2,
        families=6,
        client_uuid=key,
    )


def wait_until_done(client, report_id):
    retrieve = module("api.reports.v1_reports_retrieve")
    deadline = time.monotonic() + 60
    while True:
        report = retrieve.sync(id=report_id, client=client)
        if report.status.value in ("done", "failed") or time.monotonic() > deadline:
            return report
        time.sleep(0.2)


@pytest.mark.parametrize("scheme", ["Token", "Bearer"])
def test_a_regional_app_runs_its_journey_through_the_generated_client(generated, journey, checked, scheme):
    models = module("models")
    File = module("types").File  # noqa: N806 - a class
    make, seen = checked
    anonymous = make("Client")

    # A token for the username and password.
    token = module("api.auth.v1_auth_token_create").sync(
        client=anonymous, body=models.CredentialsRequest(username="app-coord", password=PASSWORD)
    )
    assert isinstance(token, models.Token), token
    client = make("AuthenticatedClient", token=token.token, prefix=scheme)

    # The region's drafts: the coordinator's own, not the approved one nor Puno's; asked again, not sent again.
    listing = module("api.v1.v1_activities_list")
    drafts = listing.sync_detailed(client=client, status=models.V1ActivitiesListStatus.DRAFT, region="amazonas")
    assert (drafts.parsed.count, [item.id for item in drafts.parsed.results]) == (1, [journey["draft"].pk])
    again = listing.sync_detailed(
        client=client,
        status=models.V1ActivitiesListStatus.DRAFT,
        region="amazonas",
        if_none_match=drafts.headers["ETag"],
    )
    assert (again.status_code, again.content) == (304, b"")

    # A new activity, and the same request retried after a lost answer: the same activity back.
    create = module("api.v1.v1_activities_create")
    body = new_activity(journey["region"], uuid.uuid4())
    created = create.sync_detailed(client=client, body=body)
    assert created.status_code == 201, created.content
    activity = created.parsed
    retried = create.sync_detailed(client=client, body=body)
    assert (retried.status_code, retried.parsed.id) == (200, activity.id)
    assert Activity.objects.filter(client_uuid=body.client_uuid).count() == 1

    # A change based on the version read; the same base again is stale.
    change = module("api.v1.v1_activities_partial_update")
    read_etag = created.headers["ETag"]
    changed = change.sync_detailed(
        id=activity.id,
        client=client,
        body=models.PatchedActivityRequest(title="Taller en Chachapoyas"),
        if_match=read_etag,
    )
    assert (changed.status_code, changed.parsed.title, changed.parsed.version) == (200, "Taller en Chachapoyas", 2)
    stale = change.sync_detailed(
        id=activity.id, client=client, body=models.PatchedActivityRequest(title="Otro"), if_match=read_etag
    )
    assert (stale.status_code, stale.parsed.error.code) == (412, "edit_conflict")
    retrieve = module("api.v1.v1_activities_retrieve")
    assert (
        retrieve.sync_detailed(id=activity.id, client=client, if_none_match=changed.headers["ETag"]).status_code == 304
    )

    # Its photo, sent as multipart, and read back as bytes.
    photo = jpeg()
    uploaded = module("api.v1.v1_activities_evidence_create").sync_detailed(
        id=activity.id,
        client=client,
        body=models.EvidenceUploadRequest(
            file=File(payload=io.BytesIO(photo), file_name="taller.jpg", mime_type="image/jpeg"), caption="Taller"
        ),
    )
    assert uploaded.status_code == 201, uploaded.content
    evidence = uploaded.parsed
    assert (evidence.activity, evidence.content_type) == (activity.id, "image/jpeg")
    downloaded = module("api.v1.v1_evidence_download_retrieve").sync(id=evidence.id, client=client)
    assert downloaded.payload.read().startswith(b"\xff\xd8\xff")

    # Sent for review, naming the version it was checked at.
    submitted = module("api.v1.v1_activities_submit_create").sync_detailed(
        id=activity.id, client=client, body=models.TransitionRequest(), if_match=changed.headers["ETag"]
    )
    assert (submitted.status_code, submitted.parsed.status.value) == (200, "submitted"), submitted.content

    # A report of the region, followed until done and downloaded.
    requested = module("api.reports.v1_reports_create").sync_detailed(
        client=client,
        body=models.NewReportRequest(kind=models.KindEnum.ACTIVITIES, format_=models.FormatEnum.CSV, region="amazonas"),
    )
    assert requested.status_code == 202, requested.content
    report = wait_until_done(client, requested.parsed.id)
    assert report.status.value == "done", report.error
    assert report.download_url == f"{journey['url']}/api/v1/reports/{report.id}/download/"
    file = module("api.reports.v1_reports_download_retrieve").sync(id=report.id, client=client)
    assert b"Taller en Chachapoyas" in file.payload.read()

    # The public figures, as anyone reads them.
    figures = module("api.statistics.statistics").sync(client=anonymous)
    assert isinstance(figures, models.Statistics)
    assert figures.filters.region is None

    # Each answer above, the refusal and the 304s included, was checked against the schema.
    assert {status for _method, _path, status in seen} == {200, 201, 202, 304, 412}, seen
    checked_paths = {path for _method, path, _status in seen}
    assert {f"/api/v1/evidence/{evidence.id}/download/", f"/api/v1/reports/{report.id}/download/"} <= checked_paths
