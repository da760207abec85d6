"""Help that leads somewhere: every help line ends in its action (call 100, open Chat 100, find the
nearest CEM, call 105) on the help page and in the strip of every page; the CEM page lists the chosen
region's active centres, kept by staff in the admin, and shows an edit at the next load."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from campaign.demo import demo_emergency_centres_ensure
from campaign.models import EmergencyCentre

from .public import LANGUAGES, PAGES

CHAT = "https://chat100.aurora.gob.pe"
STRIP = re.compile(r'<aside class="help-strip".*?</aside>', re.S)
LINES = re.compile(r'<dl class="help-lines">.*?</dl>', re.S)


def actions(lang, chat=CHAT):
    """The four actions, as the links that carry them."""
    return ['href="tel:100"', f'href="{chat}" rel="noopener"', f'href="/{lang}/ayuda/cem/"', 'href="tel:105"']


def html(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def change_url(centre):
    return reverse("admin:campaign_emergencycentre_change", args=[centre.pk])


def admin_form(centre, **changes):
    """What the admin's change form posts for a centre, with some fields changed."""
    data = {
        "region": centre.region_id, "name": centre.name, "address": centre.address, "district": centre.district,
        "province": centre.province, "phone": centre.phone, "opening_hours": centre.opening_hours,
        "order": centre.order, "active": "on", "_save": "Save",
    }  # fmt: skip
    data.update(changes)
    return data


@pytest.fixture
def centres(amazonas, puno):
    make = EmergencyCentre.objects.create
    return {
        "bagua": make(region=amazonas, name="CEM Bagua", address="Jr. Ejemplo 200", district="Bagua", order=2),
        "chachapoyas": make(
            region=amazonas,
            name="CEM Chachapoyas",
            address="Jr. Ejemplo 100",
            district="Chachapoyas",
            province="Chachapoyas",
            phone="041 47-8312",
            opening_hours="Lunes a viernes, 8:00–16:15",
            order=1,
        ),  # fmt: skip
        "comisaria": make(
            region=amazonas,
            name="CEM Comisaría Luya",
            address="Av. Ejemplo 5",
            opening_hours="24 horas",
            in_police_station=True,
            order=3,
            phone="+51 41 478312",
        ),  # fmt: skip
        "closed": make(region=amazonas, name="CEM Cerrado", address="Jr. Antiguo 1", active=False, order=0),
        "juliaca": make(region=puno, name="CEM Juliaca", address="Jr. Ejemplo 300"),
    }


# The help lines and the strip ------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", ["ayuda/", ""])  # the help page, and the home page's card
def test_every_help_line_has_its_action(client, db, lang, path):
    lines = LINES.search(html(client, f"/{lang}/{path}")).group()
    for action in actions(lang):
        assert action in lines
    assert '<span class="help-note">' in lines  # where the chat opens, said before it does


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PAGES)
def test_the_strip_on_every_page_links_to_each_help(client, db, lang, path):
    strip = STRIP.search(html(client, f"/{lang}/{path}")).group()
    for action in actions(lang):
        assert action in strip


def test_the_strip_in_the_panel_links_to_each_help_too(client, coord_amazonas):
    client.force_login(coord_amazonas)
    strip = STRIP.search(html(client, "/en/panel/")).group()
    for action in actions("en"):
        assert action in strip


def test_the_chat_link_is_the_settings_value(client, db, settings):
    settings.HELP_CHAT_URL = "https://chat.example.gob.pe/100"
    page = html(client, "/es/ayuda/")
    assert page.count('href="https://chat.example.gob.pe/100" rel="noopener"') == 2  # the strip and the line
    assert CHAT not in page


def test_the_chat_is_a_link_not_something_the_page_loads(client, db):
    page = html(client, "/es/ayuda/")
    assert not re.search(r'(src|action)="https?://', page)
    assert "chat100" not in "".join(re.findall(r"<(?:script|link|img|iframe)[^>]*>", page))


# The CEM page ----------------------------------------------------------------------------------


def test_the_cem_page_lists_the_chosen_regions_active_centres_in_order(client, centres):
    page = html(client, "/en/ayuda/cem/?region=amazonas")
    shown = re.findall(r"<h3>([^<]+)</h3>", page)
    assert shown == ["CEM Chachapoyas", "CEM Bagua", "CEM Comisaría Luya"]
    assert "CEM Cerrado" not in page and "CEM Juliaca" not in page
    assert "Jr. Ejemplo 100, Chachapoyas" in page and "Lunes a viernes, 8:00–16:15" in page
    assert "24 horas · in a police station" in page


def test_each_centre_with_a_phone_has_a_call_link_that_dials_its_digits(client, centres):
    page = html(client, "/en/ayuda/cem/?region=amazonas")
    assert '<a class="help-action" href="tel:041478312">Call 041 47-8312</a>' in page
    assert 'href="tel:+5141478312"' in page
    bagua = page.split("<h3>CEM Bagua</h3>")[1].split("</li>")[0]
    assert "tel:" not in bagua  # no phone, no link to nowhere


def test_the_cem_page_keeps_linea_100_above_everything(client, centres):
    for url in ("/en/ayuda/cem/", "/en/ayuda/cem/?region=amazonas", "/en/ayuda/cem/?region=tumbes"):
        main = client.get(url).content.decode().split('<main id="main"', 1)[1]
        assert main.index('href="tel:100"') < main.index("<form")
        assert "They refer you to the nearest Centro Emergencia Mujer y Familia" in main


def test_without_a_region_the_page_lists_every_region_with_its_active_centres(client, centres):
    page = html(client, "/en/ayuda/cem/")
    assert '<a href="/en/ayuda/cem/?region=amazonas">Amazonas</a>: 3 centres<' in page  # not the closed one
    assert '<a href="/en/ayuda/cem/?region=puno">Puno</a>: 1 centre<' in page
    assert '<a href="/en/ayuda/cem/?region=tumbes">Tumbes</a>: 0 centres<' in page
    assert "<h3>" not in page


def test_a_region_without_centres_says_to_call_100(client, centres):
    page = html(client, "/en/ayuda/cem/?region=tumbes")
    assert "No centre of Tumbes is listed here yet. Call 100" in page


def test_the_region_is_chosen_in_a_plain_get_form(client, centres):
    page = html(client, "/en/ayuda/cem/?region=puno")
    form = page.split('<form method="get" action="/en/ayuda/cem/"', 1)[1].split("</form>")[0]
    assert '<label for="id_region">Your region</label>' in form
    assert '<option value="puno" selected>Puno</option>' in form


@pytest.mark.parametrize("value", ["atlantida", "AMAZONAS ", "../regiones", "x" * 250, "1"])
def test_an_unknown_region_is_a_404_page_that_still_helps(client, centres, value):
    response = client.get("/en/ayuda/cem/", {"region": value})
    assert response.status_code == 404
    page = response.content.decode()
    assert "That region is not in the list. Choose yours below." in page
    assert 'href="tel:100"' in page and '<select name="region"' in page
    assert '<a href="/en/ayuda/cem/?region=amazonas">Amazonas</a>' in page


def test_an_empty_or_missing_region_shows_every_region(client, centres):
    for query in ({}, {"region": ""}, {"utm_source": "radio"}):
        response = client.get("/en/ayuda/cem/", query)
        assert response.status_code == 200
        assert "Centres by region" in response.content.decode()


def test_the_cem_page_refuses_writes(client, db):
    assert client.post("/es/ayuda/cem/", {"region": "amazonas"}).status_code == 405


# Staff keep the directory -------------------------------------------------------------------------


def test_an_edit_in_the_admin_shows_on_the_public_page_at_the_next_load(
    client, staff, centres, django_capture_on_commit_callbacks
):
    url = "/es/ayuda/cem/?region=amazonas"
    assert "Jr. Ejemplo 100" in html(client, url)
    # Behind the admin's back nothing bumps the cache: the kept copy is what visitors get.
    EmergencyCentre.objects.filter(pk=centres["chachapoyas"].pk).update(address="Jr. Oculto 1")
    assert "Jr. Ejemplo 100" in html(client, url)

    editor = type(client)()
    editor.force_login(staff)
    centre = centres["chachapoyas"]
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(change_url(centre), admin_form(centre, address="Jr. Amazonas 451"))
    assert response.status_code == 302, response.content.decode()[:2000]
    page = html(client, url)
    assert "Jr. Amazonas 451" in page and "Jr. Ejemplo 100" not in page


def test_a_centre_made_inactive_in_the_admin_leaves_the_page(
    client, staff, centres, django_capture_on_commit_callbacks
):
    url = "/es/ayuda/cem/?region=amazonas"
    assert "CEM Bagua" in html(client, url)
    editor = type(client)()
    editor.force_login(staff)
    centre = centres["bagua"]
    with django_capture_on_commit_callbacks(execute=True):
        editor.post(change_url(centre), {k: v for k, v in admin_form(centre).items() if k != "active"})
    assert "CEM Bagua" not in html(client, url)


def test_the_admin_refuses_a_phone_with_letters_and_says_why(client, staff, centres):
    client.force_login(staff)
    client.cookies["django_language"] = "en"
    centre = centres["bagua"]
    response = client.post(change_url(centre), admin_form(centre, phone="041 CEM-BAGUA"))
    assert response.status_code == 200
    assert "Use digits, spaces, + and - only, for example 041 47 8312." in response.content.decode()
    centre.refresh_from_db()
    assert centre.phone == ""


@pytest.mark.parametrize("phone", ["041 abc", "anexo 12", "+-- ", "(041) 478312"])
def test_the_model_refuses_a_phone_that_is_not_digits_spaces_plus_and_dashes(centres, phone):
    centre = centres["bagua"]
    centre.phone = phone
    with pytest.raises(ValidationError) as refused:
        centre.full_clean()
    assert "phone" in refused.value.message_dict
    with transaction.atomic(), pytest.raises(IntegrityError):
        centre.save()


@pytest.mark.parametrize("field", ["name", "address"])
def test_a_centre_needs_a_name_and_an_address(amazonas, field):
    centre = EmergencyCentre(region=amazonas, name="CEM Bagua", address="Jr. Ejemplo 200")
    setattr(centre, field, "")
    with pytest.raises(ValidationError) as refused:
        centre.full_clean()
    assert field in refused.value.message_dict
    setattr(centre, field, "   ")
    with transaction.atomic(), pytest.raises(IntegrityError):
        centre.save()


def test_staff_find_centres_by_region_name_and_district(client, staff, centres):
    client.force_login(staff)
    changelist = reverse("admin:campaign_emergencycentre_changelist")
    by_region = html(client, f"{changelist}?region__id__exact={centres['juliaca'].region_id}")
    assert "CEM Juliaca" in by_region and "CEM Bagua" not in by_region
    by_district = html(client, f"{changelist}?q=Chachapoyas")
    assert "CEM Chachapoyas" in by_district and "CEM Bagua" not in by_district


def test_a_coordinator_cannot_reach_the_admin_change_page(client, coord_amazonas, centres):
    client.force_login(coord_amazonas)
    centre = centres["chachapoyas"]
    response = client.get(change_url(centre))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    client.post(change_url(centre), admin_form(centre, address="Jr. Falso 1"))
    centre.refresh_from_db()
    assert centre.address == "Jr. Ejemplo 100"


def test_the_demo_centres_say_they_are_demo_values_and_are_made_once(db):
    demo_emergency_centres_ensure()
    demo_emergency_centres_ensure()
    made = list(EmergencyCentre.objects.all())
    assert len(made) == 4
    for centre in made:
        assert centre.name.endswith("(dato de demostración)")
        assert (centre.address, centre.phone) == ("Dirección de demostración", "")
