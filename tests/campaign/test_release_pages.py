"""Every public page says which release it shows, shows nothing newer than it, and says so when
no release is published yet."""

import datetime

import pytest
from django.utils import timezone

from activities.services import activity_transition
from programs.models import Indicator, Objective, Target
from tests.factories import ActivityFactory

from .public import DOWNLOADS, LANGUAGES, PAGES, text

CUT_OFF = datetime.datetime(2030, 11, 30, 18, 0, tzinfo=datetime.UTC)  # 30 November in Lima too
FIGURE_PAGES = ["", "regiones/", "regiones/amazonas/", "objetivos/", "objetivos/oe1/", "mapa/", "estadisticas/"]


@pytest.fixture
def release(amazonas, publish):
    ActivityFactory(title="Taller de Luya", status="approved")
    return publish(cut_off=CUT_OFF)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PAGES)
def test_every_page_names_its_release_and_cut_off(client, release, lang, path):
    html = client.get(f"/{lang}/{path}").content.decode()
    assert f'data-release="{release.number}"' in html
    if lang == "en":
        assert f"Figures as of 30 November 2030 (release no. {release.number})" in html
    else:
        assert "30/11/2030" in html


def test_the_map_and_the_open_data_page_say_activities_are_counted_exactly(client, release):
    html = client.get("/en/datos-abiertos/").content.decode()
    assert "The number of activities is always exact" in html
    assert "This release counts 1 approved activity." in html
    assert "1 activity in this release." in client.get("/en/mapa/").content.decode()


def test_an_approval_after_the_release_changes_no_public_page_until_the_next(
    client, amazonas, coord_amazonas, staff, publish, django_capture_on_commit_callbacks
):
    ActivityFactory(title="Taller de Luya", status="approved")
    publish()
    before = {path: text(client.get(f"/es/{path}")) for path in [*FIGURE_PAGES, *DOWNLOADS]}
    activity = ActivityFactory(title="Feria de Leimebamba", created_by=coord_amazonas, women=40, with_evidence=True)
    activity_transition(activity=activity, action="submit", by=coord_amazonas)
    with django_capture_on_commit_callbacks(execute=True):
        activity_transition(activity=activity, action="approve", by=staff)
    for path, body in before.items():
        assert text(client.get(f"/es/{path}")) == body, path
    publish()
    for path in ["regiones/amazonas/", "mapa/", "datos-abiertos/actividades.csv"]:
        assert "Feria de Leimebamba" in text(client.get(f"/es/{path}")), path
    assert 'data-field="activities" class="num">2<' in text(client.get("/es/estadisticas/"))


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PAGES)
def test_before_the_first_release_pages_say_figures_are_not_published(client, amazonas, lang, path):
    ActivityFactory(title="Taller de Luya", status="approved")
    response = client.get(f"/{lang}/{path}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Taller de Luya" not in html
    if lang == "en":
        assert "The figures are not published yet" in html


@pytest.mark.parametrize("path", ["datapackage.json", "catalogo.jsonld"])
def test_before_the_first_release_the_package_is_not_found(client, db, path):
    assert client.get(f"/es/datos-abiertos/{path}").status_code == 404


def test_before_the_first_release_a_table_is_its_header(client, db):
    body = text(client.get("/es/datos-abiertos/cifras-periodo.csv"))
    assert body.startswith("\ufeffperiod,period_type,objective_code,activities,")
    assert body.count("\n") == 1


def test_the_sitemap_dates_figure_pages_by_the_release(client, release):
    xml = client.get("/sitemap.xml").content.decode()
    entry = xml.split("<loc>https://prevenir.example.pe/es/estadisticas/</loc>", 1)[1].split("</url>", 1)[0]
    assert f"<lastmod>{timezone.localtime(release.built_at).isoformat()}" in entry


def test_national_progress_reads_the_releases_year_and_the_targets(client, amazonas, puno, publish):
    objective = Objective.objects.get(code="OE1")
    indicator = Indicator.objects.filter(objective=objective, computation="activities").first()
    if indicator is None:
        pytest.skip("no indicator of activities for OE1 in the reference data")
    for region in (amazonas, puno):
        Target.objects.create(indicator=indicator, region=region, year=2030, quarter=0, value=10)
    ActivityFactory.create_batch(5, status="approved", start_date="2030-05-02", end_date="2030-05-02")
    ActivityFactory(status="approved")  # 2025: another year
    publish(cut_off=CUT_OFF)
    html = client.get("/es/objetivos/oe1/").content.decode()
    assert f'data-field="{indicator.code}" class="num">5<' in html
    assert "25 %" in html  # 5 of the regions' 20
