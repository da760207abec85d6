"""Factories for what the personas do not cover. Reference data (regions, objectives,
services) is loaded once per test database; factories pick from it."""

import datetime
import io
import uuid

import factory
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from PIL import Image

from activities.models import Activity, Evidence, Institution, SupportNetwork
from programs.models import Objective, Service
from regions.models import Region, RegionMembership


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = settings.AUTH_USER_MODEL
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    role = "coordinator"
    password = factory.django.Password("secret-pass-123")


def coordinator(username, *regions):
    user = UserFactory(username=username, role="coordinator")
    for region in regions:
        RegionMembership.objects.get_or_create(user=user, region=region)
    return user


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution

    name = factory.Sequence(lambda n: f"Institución {n}")
    sector = "public"
    region = factory.LazyFunction(lambda: Region.objects.get(slug="amazonas"))


class SupportNetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportNetwork

    name = factory.Sequence(lambda n: f"Red de soporte {n}")
    region = factory.LazyFunction(lambda: Region.objects.get(slug="amazonas"))
    leaders = 12


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity
        skip_postgeneration_save = True

    region = factory.LazyFunction(lambda: Region.objects.get(slug="amazonas"))
    objective = factory.LazyFunction(lambda: Objective.objects.get(code="OE1"))
    service = factory.LazyAttribute(lambda a: a.objective.services.order_by("slug").first())
    title = factory.Sequence(lambda n: f"Taller comunitario {n}")
    description = "Sesión de prevención con madres y padres de familia."
    start_date = datetime.date(2025, 3, 10)
    end_date = datetime.date(2025, 3, 10)
    place_name = "Local comunal"
    women = 12
    men = 8
    adolescent_girls = 5

    @factory.post_generation
    def with_evidence(activity, create, extracted, **kwargs):
        """`ActivityFactory(with_evidence=True)`: ready to submit, one photo attached."""
        if create and extracted:
            EvidenceFactory(activity=activity)


def approved_on(day, region, code, *, partner=False, **fields):
    """An approved activity of objective `code` held on `day` (a date), in `region`; with a partner
    institution of that region when `partner`."""
    from programs.models import Objective

    activity = ActivityFactory(
        region=region, objective=Objective.objects.get(code=code), status="approved", start_date=day, end_date=day,
        **fields,
    )  # fmt: skip
    if partner:
        activity.institutions.set([InstitutionFactory(region=region)])
    return activity


def tiny_png():
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "orange").save(out, "PNG")
    return out.getvalue()


class EvidenceFactory(factory.django.DjangoModelFactory):
    """A stored photo, as `evidence_attach` would leave it (without running its checks)."""

    class Meta:
        model = Evidence

    activity = factory.SubFactory(ActivityFactory)
    file = factory.LazyFunction(lambda: ContentFile(tiny_png(), name="foto.png"))
    content_type = Evidence.Kind.PNG
    size = factory.LazyAttribute(lambda e: e.file.size)
    caption = "Vista general del taller"


def complete(activity):
    """Give an activity what submitting requires (see Activity.submission_problems); returns it."""
    if not activity.evidence.exists():
        EvidenceFactory(activity=activity)
    return activity


def activity_form_data(region, **overrides):
    """What a coordinator types into the activity form: a valid OE1 workshop."""
    data = {
        "region": region.pk,
        "objective": Objective.objects.get(code="OE1").pk,
        "service": Service.objects.get(slug="mujeres-acompanando-mujeres").pk,
        "title": "Taller de prevención en la comunidad",
        "description": "Sesión con madres y padres de la I.E. 18001.",
        "start_date": "2025-04-02",
        "end_date": "2025-04-03",
        "modality": "in_person",
        "place_name": "Local comunal",
        "district": "Chachapoyas",
        "latitude": "-6.2294",
        "longitude": "-77.8728",
        "girls": 0,
        "boys": 0,
        "adolescent_girls": 10,
        "adolescent_boys": 9,
        "women": 4,
        "men": 2,
        "families": 6,
        "support_network": "",
    }
    data.update(overrides)
    return data


def app_device(user):
    """A confirmed authenticator-app device for the user, as enrolment leaves it (one per user)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def app_code(device, *, at=None):
    """The code the phone shows now (or `at`, a Unix time). A device refuses a code from a step it
    already accepted (no replay), so the device forgets its last step: tests sign in many times a
    minute, people do not."""
    import time

    from django_otp.oath import TOTP

    type(device).objects.filter(pk=device.pk).update(last_t=-1)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() if at is None else at
    return f"{totp.token():0{device.digits}d}"


def pass_second_factor(client, user):
    """Mark the client's session as signed in with the second factor, as the verify step does."""
    from django_otp import DEVICE_ID_SESSION_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = app_device(user).persistent_id
    session.save()


# The first two objects of a one-page handmade PDF; its page is object 3.
PDF_CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PDF_PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"


def handmade_pdf(*objects, trailer=b""):
    """A PDF of the given objects, written byte by byte (object 1 is the catalogue), with a real
    cross-reference table: what a hostile sender controls, without a library tidying it."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return bytes(out)


def analyzed_activities(region, n, **fields):
    """n activities of one shape in one INSERT, then ANALYZE: a long list as PostgreSQL's planner
    sees one on a real database, for the estimated counts (prevent_protect.counting)."""
    template = ActivityFactory.build(region=region, **fields)
    values = {f.attname: getattr(template, f.attname) for f in Activity._meta.concrete_fields if f.name != "id"}
    created = Activity.objects.bulk_create(
        [Activity(**{**values, "client_uuid": uuid.uuid4(), "title": f"Taller {k}"}) for k in range(n)]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE activities_activity")
    return created
