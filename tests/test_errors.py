"""When something breaks (here: the database is down), the API still answers in its documented
error shape and a page still gives the help lines, in the visitor's language. Each case runs in a
separate process pointed at a port where no database listens."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBE = (
    "import django, sys; django.setup(); from django.test import Client; "
    "r = Client(raise_request_exception=False).get(sys.argv[1], HTTP_HOST='127.0.0.1', HTTP_ACCEPT_LANGUAGE='es'); "
    "print('ANSWER', r.status_code, r['Content-Type']); print(r.content.decode())"
)
DEAD = {"DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere", "REDIS_URL": "", "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "errors-test", "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_HTTPS": "0"}  # fmt: skip


def get_without_database(path):
    result = subprocess.run(
        [sys.executable, "-c", PROBE, path],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "prevent_protect.settings", **DEAD},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # The portal logs the error to stdout first.
    head, body = result.stdout[result.stdout.index("ANSWER ") :].split("\n", 1)
    _, status, content_type = head.split(" ", 2)
    return int(status), content_type, body


def test_an_api_call_gets_the_error_shape_when_the_database_is_down():
    status, content_type, body = get_without_database("/api/v1/activities/")
    assert (status, content_type) == (500, "application/json")
    assert json.loads(body) == {
        "error": {"status": 500, "code": "server_error", "message": "Ocurrió un error de nuestro lado. "
                  "Intente de nuevo en un momento."}
    }  # fmt: skip


def test_a_page_keeps_the_help_lines_when_the_database_is_down():
    status, content_type, body = get_without_database("/es/accounts/login/")
    assert status == 500
    assert content_type.startswith("text/html")
    assert '<html lang="es">' in body
    assert "El portal no está disponible en este momento" in body
    assert 'href="tel:100"' in body and 'href="tel:105"' in body
