"""When something breaks (here: the database is down), the API still answers in its documented
error shape and a page still gives the help lines, in the visitor's language. Each case runs in a
separate process pointed at a port where no database listens."""

import json

from tests.elsewhere import get_elsewhere

DEAD = {"DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere", "REDIS_URL": "", "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "errors-test", "DJANGO_ALLOWED_HOSTS": "127.0.0.1", "DJANGO_HTTPS": "0"}  # fmt: skip


def get_without_database(path):
    return get_elsewhere(path, **DEAD)


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
