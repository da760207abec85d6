"""/healthz answers for the process's real services, /livez for the process alone; the failure
cases start a separate process pointed at a port where nothing listens."""

import json
import os

import pytest
import redis

from tests.elsewhere import get_elsewhere


def healthz_in_process(**env):
    status, _, body = get_elsewhere("/healthz", **env)
    return status, json.loads(body)


def test_healthz_is_ok_when_the_database_answers(db, client, settings):
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405


def test_healthz_reports_the_broker_when_one_is_configured(db, client, settings):
    settings.REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        if os.environ.get("REDIS_URL"):
            raise
        pytest.skip("no Redis on this machine and REDIS_URL unset")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "ok"


def test_healthz_is_503_and_names_the_database_when_it_is_down():
    status, body = healthz_in_process(DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere", REDIS_URL="")
    assert status == 503
    assert body["status"] == "down"
    assert body["database"].startswith("down")


def test_healthz_is_503_and_names_the_broker_when_it_is_down(tmp_path):
    status, body = healthz_in_process(DATABASE_URL=f"sqlite:///{tmp_path}/h.sqlite3", REDIS_URL="redis://127.0.0.1:1/0")
    assert status == 503
    assert body["database"] == "ok"
    assert body["broker"].startswith("down")


def test_livez_answers_without_touching_the_database(client):
    # No db fixture: any query would raise.
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Cache-Control"].startswith("max-age=0")


def test_livez_is_ok_while_healthz_says_the_database_is_down():
    dead = {"DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere", "REDIS_URL": "redis://127.0.0.1:1/0"}
    assert get_elsewhere("/livez", **dead) == (200, "text/plain", "ok")
    assert healthz_in_process(**dead)[0] == 503
