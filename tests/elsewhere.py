"""A request to the portal in a separate process, with its own environment: how the tests see
what the portal does when its database or broker is somewhere nothing listens."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = (
    "import django, sys; django.setup(); from django.test import Client; "
    "r = Client(raise_request_exception=False).get(sys.argv[1], HTTP_HOST='127.0.0.1', HTTP_ACCEPT_LANGUAGE='es'); "
    "print('ANSWER', r.status_code, r['Content-Type']); print(r.content.decode(), end='')"
)


def get_elsewhere(path, **env):
    """(status, content type, body) of GET path in a new process with these environment variables."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE, path],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "prevent_protect.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # The portal logs to stderr: stdout is the answer alone.
    head, body = result.stdout.split("\n", 1)
    _, status, content_type = head.split(" ", 2)
    return int(status), content_type, body
