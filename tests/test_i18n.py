"""Spanish first, English complete: every visible string is in the catalogues,
translated, compiled, and the pages answer in the visitor's language."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = {lang: ROOT / "locale" / lang / "LC_MESSAGES" / "django.po" for lang in ("es", "en")}
needs_gettext = pytest.mark.skipif(shutil.which("msgattrib") is None, reason="gettext tools are not installed")


def msgids(po_file):
    # msgcat rewrites the catalogue one msgid per line, so the ids are easy to read.
    out = subprocess.run(["msgcat", "--no-wrap", "--no-location", str(po_file)], capture_output=True, text=True)
    return {line[len('msgid "') : -1] for line in out.stdout.splitlines() if line.startswith('msgid "')} - {""}


@needs_gettext
@pytest.mark.parametrize("lang", ["es", "en"])
def test_catalogue_has_no_untranslated_or_fuzzy_entry(lang):
    for flag in ("--untranslated", "--only-fuzzy"):
        out = subprocess.run(
            ["msgattrib", flag, "--no-obsolete", str(CATALOGUES[lang])], capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        assert "msgid" not in out.stdout.split('msgid ""', 1)[-1], f"{lang} {flag}:\n{out.stdout}"


@needs_gettext
@pytest.mark.parametrize("lang", ["es", "en"])
def test_compiled_catalogue_matches_its_source(lang, tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(CATALOGUES[lang])], check=True)
    assert fresh.read_bytes() == CATALOGUES[lang].with_suffix(".mo").read_bytes(), "run `make messages`"


@needs_gettext
def test_every_visible_string_of_the_code_is_in_the_catalogue(tmp_path):
    copy = tmp_path / "portal"
    ignore = shutil.ignore_patterns(".venv", ".git", "media", "staticfiles", "node_modules", "*.sqlite3", "__pycache__")
    shutil.copytree(ROOT, copy, ignore=ignore)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "es", "--no-obsolete"],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    missing = msgids(copy / "locale/es/LC_MESSAGES/django.po") - msgids(CATALOGUES["es"])
    assert not missing, f"strings missing from the catalogue, run `make messages`: {sorted(missing)}"


def test_root_sends_visitors_to_spanish(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/es/"


def test_english_visitors_are_sent_to_english(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Location"] == "/en/"


@pytest.mark.parametrize(
    ("path", "lang", "title", "switch_to"),
    [("/es/", "es", "Prevenir para Proteger", "English"), ("/en/", "en", "Prevent to Protect", "Español")],
)
def test_home_speaks_the_language_of_its_address(db, client, path, lang, title, switch_to):
    response = client.get(path)
    html = response.content.decode()
    assert response["Content-Language"] == lang
    assert f'<html lang="{lang}">' in html
    assert title in html
    assert f">{switch_to}</a>" in html


def test_language_switcher_changes_the_language_and_keeps_the_page(db, client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/es/ayuda/"})
    assert response.status_code == 302
    assert response["Location"] == "/en/ayuda/"
