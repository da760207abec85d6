"""Production settings are secure by default: `check --deploy` is clean with a real
secret and hosts, and plain HTTP needs an explicit DJANGO_HTTPS=0."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k7#Qz9!mW2pL$vX4rT8@nB6^yC1&hJ5*eF3(gD0)sA-uI_oP+lK=jH~fG`dS{aZ}xC|vB",
    "DJANGO_ALLOWED_HOSTS": "prevenir.example.gob.pe",
}


def manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_warns_about_a_weak_secret_key():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "DJANGO_SECRET_KEY": "short"})
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_https_hardening_is_on_when_debug_is_off():
    probe = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    result = manage("shell", "-c", probe, **PRODUCTION)
    assert result.stdout.splitlines()[-1].split() == ["True", "True", "31536000"], result.stderr
    result = manage("shell", "-c", probe, **PRODUCTION, DJANGO_HTTPS="0")
    assert result.stdout.splitlines()[-1].split() == ["False", "False", "0"], result.stderr


@pytest.mark.parametrize(
    "name",
    ["DEFAULT_PAGINATION_CLASS", "DEFAULT_AUTHENTICATION_CLASSES", "DEFAULT_SCHEMA_CLASS", "EXCEPTION_HANDLER"],
)
def test_each_api_setting_loads_first_in_a_fresh_process(name):
    # A Celery worker's system checks reach DRF's settings in an order of their own: whichever
    # of our classes is loaded first must not need DRF's views half-loaded (a circular import
    # stopped the worker from starting).
    code = (
        "import django; django.setup(); from rest_framework.settings import api_settings; "
        f"print(getattr(api_settings, {name!r}))"
    )
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "prevent_protect.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "prevent_protect." in result.stdout or "error_handler" in result.stdout
