"""Factories for what the personas do not cover. Reference data (regions, objectives,
services) is loaded once per test database; factories pick from it."""

import datetime

import factory
from django.conf import settings

from activities.models import Activity, Institution, SupportNetwork
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

    region = factory.LazyFunction(lambda: Region.objects.get(slug="amazonas"))
    objective = factory.LazyFunction(lambda: Objective.objects.get(code="OE1"))
    service = factory.LazyAttribute(lambda a: a.objective.services.order_by("slug").first())
    title = factory.Sequence(lambda n: f"Taller comunitario {n}")
    start_date = datetime.date(2025, 3, 10)
    end_date = datetime.date(2025, 3, 10)
    women = 12
    men = 8
    adolescent_girls = 5


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
