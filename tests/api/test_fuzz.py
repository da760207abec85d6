"""schemathesis against a live server on the throwaway test database: no 5xx, and every
answer matches the OpenAPI schema (status codes, content types, bodies).

Three phases for each persona in every run: the schema's examples, fuzzing (single calls, valid and
invalid), and stateful (chains of calls along the links schemathesis infers); the longer check adds
coverage (PHASES below). Hostile strings (a NUL byte) are mixed into the generated values
(schemathesis.toml): the run must send some in a query and get no 5xx for them. About a minute per
persona on the CI machine.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from tests.factories import ActivityFactory, InstitutionFactory, SupportNetworkFactory, UserFactory, coordinator

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "12"))
# The coverage phase (every parameter's boundaries and the values it must refuse) takes about
# 5 minutes a persona, too long for each CI run: it runs in the longer check README.md describes,
# FUZZ_PHASES=examples,coverage,fuzzing,stateful.
PHASES = os.environ.get("FUZZ_PHASES", "examples,fuzzing,stateful")
ST = Path(sys.executable).with_name("st")
CONFIG = Path(__file__).with_name("schemathesis.toml")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not ST.exists() and not shutil.which("st"), reason="schemathesis is not installed"),
]


@pytest.fixture
def fuzz_data(reference_data):
    """A little of everything, so that detail routes and filters find rows."""
    from regions.models import Region

    amazonas = Region.objects.get(slug="amazonas")
    author = coordinator("fuzz-coord", amazonas)
    InstitutionFactory(region=amazonas)
    SupportNetworkFactory(region=amazonas)
    for status in ("draft", "submitted", "approved", "approved", "returned"):
        ActivityFactory(region=amazonas, status=status, created_by=author)
    staff = UserFactory(username="fuzz-staff", role="ministry")
    return {"coordinator": Token.objects.create(user=author).key, "staff": Token.objects.create(user=staff).key}


def schemathesis(server_url, cassette, token=None):
    command = [
        str(ST),
        "--config-file",
        str(CONFIG),
        "run",
        f"{server_url}/api/schema/?format=json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--phases",
        PHASES,
        # Revoking the persona's own token would turn the rest of the run into 401s.
        "--exclude-operation-id",
        "v1_auth_token_destroy",
        # Every request sent, to check that the hostile values went out.
        "--report",
        "vcr",
        "--report-vcr-path",
        str(cassette),
        "--seed",
        "20240614",
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "20",
        "--no-color",
    ]
    if token:
        command += ["--header", f"Authorization: Token {token}"]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("who", ["anonymous", "coordinator", "staff"])
def test_the_api_keeps_its_contract_under_fuzzing(live_server, fuzz_data, who, tmp_path):
    cassette = tmp_path / "requests.yaml"
    result = schemathesis(live_server.url, cassette, fuzz_data.get(who))
    output = result.stdout + result.stderr
    # The failures come before the summary; the warnings after it are advice, not failures.
    failures = output.split("FAILURES", 1)[-1].split("SUMMARY", 1)[0]
    assert result.returncode == 0, failures[-6000:]
    assert "Stateful" in output and "Scenarios:" in output, output[-3000:]
    sent = cassette.read_text()
    assert "?" in sent and "%00" in sent, "no NUL byte was sent in a query"
