"""The whole loop in Chromium, on a phone, in Spanish: a coordinator logs an activity with a photo and
submits it; staff return it with a comment; the coordinator fixes and resubmits; staff approve; the
activity is then read-only. Role and label locators throughout, so the page's labels are tested too."""

import io
import re

import pytest
from PIL import ExifTags, Image
from playwright.sync_api import expect

from activities.models import Activity
from programs.models import Objective, Service
from regions import geo
from regions.models import Region

pytestmark = pytest.mark.browser

TITLE = "Taller de prevención en la plaza de Chachapoyas"
PHOTO_CAPTION = "Asistentes en la plaza, de espaldas"
RETURN_COMMENT = "Falta contar a los hombres que llegaron tarde; corrija la cifra."


def jpeg_with_gps(path):
    """A small real photo that carries what a phone would: its make and the GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (6.0, 13.0, 45.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (77.0, 52.0, 22.0)
    Image.new("RGB", (320, 240), (200, 120, 60)).save(path, "JPEG", exif=exif)
    with Image.open(path) as written:
        assert written.getexif().get_ifd(ExifTags.IFD.GPSInfo), "the test photo should carry a GPS position"
    return path


def expect_message(page, text):
    expect(page.get_by_role("status")).to_contain_text(text)


def test_log_submit_return_resubmit_approve(new_context, login, coord_amazonas, staff, tmp_path, mailoutbox):
    amazonas = Region.objects.get(slug="amazonas")
    oe1 = Objective.objects.get(code="OE1")
    punche = Service.objects.get(slug="familias-con-punche")
    assert not oe1.services.filter(pk=punche.pk).exists(), "Familias con Punche should serve OE2 only"
    service = oe1.services.order_by("slug").first()

    # The coordinator logs the activity ------------------------------------------------------------
    coordinator = login(new_context().new_page(), "coord-amazonas")
    coordinator.get_by_role("link", name="Nueva actividad").click()
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Nueva actividad")
    expect(coordinator.get_by_label("Región")).to_have_value(str(amazonas.pk))

    services = coordinator.get_by_label("Servicio")
    punche_option = services.locator(f'option[value="{punche.pk}"]')
    assert punche_option.evaluate("o => !o.hidden && !o.disabled"), "before an objective is chosen, all services show"
    coordinator.get_by_label("Objetivo").select_option(str(oe1.pk))
    assert punche_option.evaluate("o => o.hidden && o.disabled"), "an OE2-only service must drop out for OE1"
    services.select_option(str(service.pk))

    coordinator.get_by_label("Título").fill(TITLE)
    coordinator.get_by_label("Fecha de inicio").fill("2025-03-10")
    coordinator.get_by_label("Fecha de término").fill("2025-03-11")
    coordinator.get_by_label("Lugar").fill("Plaza de Armas")
    coordinator.get_by_label("Distrito").fill("Chachapoyas")
    coordinator.get_by_label("Descripción", exact=True).fill("Sesión con madres y padres de familia.")

    # Tap the middle of the map: the point lands in Amazonas only if the map opened on the region.
    point_map = coordinator.locator("#point-map")
    point_map.scroll_into_view_if_needed()
    target = (float(amazonas.latitude), float(amazonas.longitude))
    point_map.click()
    latitude, longitude = coordinator.get_by_label("Latitud"), coordinator.get_by_label("Longitud")
    expect(latitude).not_to_have_value("")
    lat, lon = float(latitude.input_value()), float(longitude.input_value())
    bounds = {k: float(v) for k, v in geo.PERU_BOUNDS.items()}
    assert bounds["min_lat"] <= lat <= bounds["max_lat"] and bounds["min_lon"] <= lon <= bounds["max_lon"]
    assert abs(lat - target[0]) < 0.3 and abs(lon - target[1]) < 0.3, (lat, lon)
    expect(point_map.locator(".leaflet-marker-icon")).to_have_count(1)

    coordinator.get_by_label("Mujeres (18+)").fill("12")
    coordinator.get_by_label("Hombres (18+)").fill("8")
    coordinator.get_by_label("Adolescentes mujeres (12–17)").fill("5")
    coordinator.get_by_label("Familias alcanzadas").fill("10")
    coordinator.get_by_role("button", name="Guardar borrador").click()

    expect(coordinator).to_have_url(re.compile(r"/es/panel/activities/\d+/$"))
    expect_message(coordinator, "Borrador guardado")
    expect(coordinator.get_by_role("heading", level=1)).to_have_text(TITLE)
    detail_url = coordinator.url

    # ... attaches a photo that carries GPS metadata, and submits
    coordinator.get_by_label("Foto o PDF").set_input_files(jpeg_with_gps(tmp_path / "IMG_20250310_Maria.jpg"))
    coordinator.get_by_label("Descripción breve").fill(PHOTO_CAPTION)
    coordinator.get_by_role("button", name="Adjuntar").click()
    expect_message(coordinator, "Archivo adjuntado.")
    expect(coordinator.get_by_role("link", name=PHOTO_CAPTION)).to_be_visible()
    # The link below the evidence leads to the answers to check; the button there sends them.
    coordinator.get_by_role("link", name="Enviar a revisión").click()
    expect(coordinator).to_have_url(re.compile(r"/es/panel/activities/\d+/submit/check/$"))
    expect(coordinator.get_by_text("Plaza de Armas")).to_be_visible()
    coordinator.get_by_role("button", name="Enviar a revisión").click()
    expect_message(coordinator, "Enviada a revisión")
    expect(coordinator.locator(".status")).to_have_text("Enviada")
    coordinator.context.close()

    # Staff return it with a comment -------------------------------------------------------------
    reviewer = login(new_context().new_page(), "staff")
    reviewer.get_by_role("link", name="Cola de revisión").click()
    reviewer.get_by_role("link", name=TITLE).click()
    reviewer.get_by_label("Comentario para la coordinación regional").fill(RETURN_COMMENT)
    reviewer.get_by_role("button", name="Devolver para cambios").click()
    expect(reviewer).to_have_url(re.compile(r"/es/panel/review/$"))
    expect_message(reviewer, "Devuelta a la coordinación regional")

    # The coordinator logs in again, reads the comment, fixes the count, resubmits ------------------
    coordinator = login(new_context().new_page(), "coord-amazonas")
    expect(coordinator.get_by_role("heading", name="Devueltas para cambios")).to_be_visible()
    expect(coordinator.get_by_text(RETURN_COMMENT)).to_be_visible()
    coordinator.get_by_role("link", name=TITLE).click()
    expect(coordinator.get_by_role("note")).to_contain_text(RETURN_COMMENT)
    coordinator.get_by_role("link", name="Editar", exact=True).click()
    expect(coordinator.get_by_label("Latitud")).to_have_value(f"{lat:.6f}")
    coordinator.get_by_label("Hombres (18+)").fill("11")
    coordinator.get_by_role("button", name="Guardar borrador").click()
    expect_message(coordinator, "Cambios guardados.")
    coordinator.get_by_role("link", name="Enviar a revisión").click()
    coordinator.get_by_role("button", name="Enviar a revisión").click()
    expect_message(coordinator, "Enviada a revisión")

    # Staff approve ------------------------------------------------------------------------------
    reviewer.get_by_role("link", name="Panel", exact=True).click()
    reviewer.get_by_role("link", name="Cola de revisión").click()
    reviewer.get_by_role("link", name=TITLE).click()
    reviewer.get_by_role("button", name="Aprobar").click()
    expect_message(reviewer, "Aprobada.")

    # The coordinator sees it approved and read-only --------------------------------------------
    coordinator.goto(detail_url)
    expect(coordinator.locator(".status")).to_have_text("Aprobada")
    expect(coordinator.get_by_text("Las actividades aprobadas son de solo lectura.")).to_be_visible()
    expect(coordinator.get_by_role("link", name="Editar", exact=True)).to_have_count(0)
    expect(coordinator.get_by_role("button", name="Enviar a revisión")).to_have_count(0)
    expect(coordinator.get_by_role("link", name="Enviar a revisión")).to_have_count(0)
    expect(coordinator.get_by_role("button", name="Adjuntar")).to_have_count(0)
    coordinator.goto(detail_url + "edit/")
    expect(coordinator).to_have_url(detail_url)
    expect_message(coordinator, "Esta actividad no se puede editar ahora: está aprobada.")

    # What the database holds --------------------------------------------------------------------
    activity = Activity.objects.get(title=TITLE)
    assert activity.status == Activity.Status.APPROVED
    assert (activity.region, activity.objective, activity.service) == (amazonas, oe1, service)
    assert (activity.women, activity.men, activity.adolescent_girls, activity.families) == (12, 11, 5, 10)
    assert (float(activity.latitude), float(activity.longitude)) == (lat, lon)
    assert activity.created_by == coord_amazonas
    steps = [(t.from_status, t.to_status, t.by.username, t.comment) for t in activity.transitions.all()]
    assert steps == [
        ("draft", "submitted", "coord-amazonas", ""),
        ("submitted", "returned", "staff", RETURN_COMMENT),
        ("returned", "submitted", "coord-amazonas", ""),
        ("submitted", "approved", "staff", ""),
    ]
    [evidence] = activity.evidence.all()
    assert (evidence.content_type, evidence.caption) == ("image/jpeg", PHOTO_CAPTION)
    assert "Maria" not in evidence.file.name
    with evidence.file.open("rb") as stored:
        content = stored.read()
    assert evidence.size == len(content)
    assert b"Exif" not in content and b"PhoneMaker" not in content
    with Image.open(io.BytesIO(content)) as photo:
        assert photo.size == (320, 240)
        assert not photo.getexif(), "EXIF (and its GPS position) must be stripped on upload"

    # The coordinator was told by email of the return and of the approval.
    assert [m.to for m in mailoutbox] == [[coord_amazonas.email], [coord_amazonas.email]]
