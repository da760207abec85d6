"""The campaign's reference data, from CAMPAIGN.md (Andina, 13 June 2024).

`load_reference_data()` creates what is missing and never changes a row that
exists: staff edit names and descriptions in the admin, and a later run must
not undo their work. Spanish names marked * in CAMPAIGN.md are careful
back-translations of the article.
"""

import datetime
from decimal import Decimal

from django.db import transaction

from regions.models import Region

from .models import Indicator, Objective, Program, Service

# name, slug, INEI code, capital, lat, lon
REGIONS = [
    ("Amazonas", "amazonas", "01", "Chachapoyas", "-6.2294", "-77.8728"),
    ("Áncash", "ancash", "02", "Huaraz", "-9.5297", "-77.5292"),
    ("Arequipa", "arequipa", "04", "Arequipa", "-16.3933", "-71.5289"),
    ("Ayacucho", "ayacucho", "05", "Ayacucho", "-13.1603", "-74.2253"),
    ("Cajamarca", "cajamarca", "06", "Cajamarca", "-7.1547", "-78.5108"),
    ("Callao", "callao", "07", "Callao", "-12.0631", "-77.1469"),
    ("Cusco", "cusco", "08", "Cusco", "-13.5192", "-71.9767"),
    ("Huánuco", "huanuco", "10", "Huánuco", "-9.9300", "-76.2397"),
    ("Lambayeque", "lambayeque", "14", "Chiclayo", "-6.7669", "-79.8506"),
    ("Lima Metropolitana", "lima-metropolitana", "1501", "Lima", "-12.0453", "-77.0308"),
    ("Loreto", "loreto", "16", "Iquitos", "-3.7481", "-73.2442"),
    ("Madre de Dios", "madre-de-dios", "17", "Puerto Maldonado", "-12.5936", "-69.1767"),
    ("Puno", "puno", "21", "Puno", "-15.8403", "-70.0281"),
    ("San Martín", "san-martin", "22", "Moyobamba", "-6.0347", "-76.9742"),
    ("Tumbes", "tumbes", "24", "Tumbes", "-3.5711", "-80.4592"),
]
LAUNCHES = {"amazonas": datetime.date(2024, 6, 14)}

PROGRAMS = [
    {
        "slug": "warmi-nan",
        "acronym": "Warmi Ñan",
        "name": "Programa Nacional Warmi Ñan",
        "name_en": "Warmi Ñan National Program",
        "former_names": (
            "AURORA\nPrograma Nacional para la Prevención y Erradicación de la Violencia contra las Mujeres "
            "e Integrantes del Grupo Familiar"
        ),
        "description": (
            "Programa del MIMP para la prevención y erradicación de la violencia contra las mujeres e "
            "integrantes del grupo familiar. Se llamaba AURORA hasta el Decreto Supremo Nº 003-2025-MIMP."
        ),
        "description_en": (
            "MIMP's program to prevent and eradicate violence against women and members of the family "
            "group. It was called AURORA until Supreme Decree No. 003-2025-MIMP."
        ),
    },
    {
        "slug": "inabif",
        "acronym": "INABIF",
        "name": "Programa Integral Nacional para el Bienestar Familiar",
        "name_en": "Comprehensive National Program for Family Welfare",
        "former_names": "",
        "description": "Programa del MIMP que acompaña a las familias y fortalece sus capacidades de crianza.",
        "description_en": "MIMP's program that supports families and strengthens their parenting skills.",
    },
]

# program slug (None: delivered by partner institutions, not by a program), slug, Spanish, English
SERVICES = [
    ("warmi-nan", "mujeres-acompanando-mujeres", "Mujeres acompañando mujeres", "Women accompanying women"),
    ("warmi-nan", "mujeres-empoderadas-autonomas", "Mujeres empoderadas y autónomas", "Empowered and autonomous women"),
    ("warmi-nan", "hombres-por-la-igualdad", "Hombres por la igualdad", "Men for equality"),
    ("warmi-nan", "estrategia-educativa", "Estrategia educativa", "Educational strategy"),
    ("inabif", "familias-con-punche", "Familias con Punche", "With Punch Families"),
    ("inabif", "acercandonos", "Estrategia de Fortalecimiento Familiar Acercándonos", "Getting closer"),
    ("inabif", "asistencia-orfandad", "Asistencia Económica por Orfandad", "Financial assistance for orphanhood"),
    (
        None,
        "actuemos-ya-publicas",
        "¡Actuemos Ya! con instituciones públicas",
        "¡Actuemos Ya! with public institutions",
    ),
    (
        None,
        "actuemos-ya-privadas",
        "¡Actuemos Ya! con instituciones privadas",
        "¡Actuemos Ya! with private institutions",
    ),
]

OBJECTIVES = [
    {
        "code": "OE1",
        "title": (
            "Sensibilizar a la población para que cuestione creencias y actitudes que legitiman la violencia "
            "sexual contra niñas, niños y adolescentes (NNA)."
        ),
        "title_en": (
            "Raise awareness among the population to question beliefs and attitudes that legitimize sexual "
            "violence against children and adolescents."
        ),
        "expected_result": "La población cuestiona creencias y actitudes que legitiman la violencia sexual contra NNA.",
        "expected_result_en": (
            "The population questions beliefs and attitudes that legitimize sexual violence against children "
            "and adolescents."
        ),
        "services": ["mujeres-acompanando-mujeres", "mujeres-empoderadas-autonomas", "hombres-por-la-igualdad"],
    },
    {
        "code": "OE2",
        "title": (
            "Fortalecer las habilidades parentales en las familias para la prevención de la violencia sexual en NNA."
        ),
        "title_en": (
            "Strengthen parental skills in families for the prevention of sexual violence in children and adolescents."
        ),
        "expected_result": (
            "Las familias adoptan buenas prácticas de crianza para reducir el riesgo de violencia sexual en NNA."
        ),
        "expected_result_en": (
            "Families adopt good parenting practices to reduce the risk of sexual violence in children and adolescents."
        ),
        "services": ["familias-con-punche", "acercandonos", "asistencia-orfandad"],
    },
    {
        "code": "OE3",
        "title": (
            "Promover la participación comunitaria mediante la conformación de redes de soporte de líderes para "
            "la prevención de la violencia sexual en NNA."
        ),
        "title_en": (
            "Promote community participation through the formation of support networks of leaders for the "
            "prevention of sexual violence in children and adolescents."
        ),
        "expected_result": (
            "Redes de soporte conformadas que realizan activismo local y comunitario para la prevención de la "
            "violencia sexual en NNA."
        ),
        "expected_result_en": (
            "Established support networks that carry out local and community activism for the prevention of "
            "sexual violence in children and adolescents."
        ),
        "services": ["hombres-por-la-igualdad", "mujeres-acompanando-mujeres", "estrategia-educativa"],
    },
    {
        "code": "OE4",
        "title": (
            "Involucrar a instituciones públicas y privadas en el desarrollo de acciones articuladas para la "
            "prevención de la violencia sexual contra NNA a nivel territorial."
        ),
        "title_en": (
            "Involve public and private institutions in the development of articulated actions for the prevention "
            "of sexual violence against children and adolescents at the territorial level."
        ),
        "expected_result": (
            "Instituciones públicas y privadas involucradas en la prevención de la violencia sexual en NNA que "
            "implementan la Intervención Comunitaria ¡Actuemos Ya!"
        ),
        "expected_result_en": (
            "Public and private institutions involved in the prevention of sexual violence in children and "
            'adolescents that implement the Community Intervention "¡Actuemos Ya!" (Let\'s Act Now!).'
        ),
        "services": ["actuemos-ya-publicas", "actuemos-ya-privadas"],
    },
]

# objective, code, Spanish name, English name, Spanish unit, English unit, computation
INDICATORS = [
    ("OE1", "oe1-people-reached", "Personas sensibilizadas", "People reached by awareness activities",
     "personas", "people", Indicator.Computation.PARTICIPANTS),
    ("OE1", "oe1-awareness-activities", "Actividades de sensibilización", "Awareness activities",
     "actividades", "activities", Indicator.Computation.ACTIVITIES),
    ("OE2", "oe2-families-reached", "Familias alcanzadas con sesiones de crianza",
     "Families reached with parenting sessions", "familias", "families", Indicator.Computation.FAMILIES),
    ("OE2", "oe2-parenting-sessions", "Sesiones de fortalecimiento familiar", "Family strengthening sessions",
     "actividades", "activities", Indicator.Computation.ACTIVITIES),
    ("OE3", "oe3-support-networks", "Redes de soporte conformadas", "Support networks formed",
     "redes", "networks", Indicator.Computation.NETWORKS),
    ("OE3", "oe3-network-leaders", "Líderes en las redes de soporte", "Leaders in the support networks",
     "líderes", "leaders", Indicator.Computation.NETWORK_LEADERS),
    ("OE4", "oe4-institutions", "Instituciones que implementan ¡Actuemos Ya!",
     "Institutions implementing ¡Actuemos Ya!", "instituciones", "institutions", Indicator.Computation.INSTITUTIONS),
    ("OE4", "oe4-articulated-actions", "Acciones articuladas con instituciones",
     "Articulated actions with institutions", "actividades", "activities", Indicator.Computation.ACTIVITIES),
]  # fmt: skip


@transaction.atomic
def load_reference_data():
    """Create the missing reference rows; return how many of each kind were created."""
    created = {"regions": 0, "programs": 0, "services": 0, "objectives": 0, "indicators": 0}
    for name, slug, code, capital, lat, lon in REGIONS:
        _, new = Region.objects.get_or_create(
            inei_code=code,
            defaults={
                "name": name,
                "slug": slug,
                "capital": capital,
                "latitude": Decimal(lat),
                "longitude": Decimal(lon),
                "launched_on": LAUNCHES.get(slug),
            },
        )
        created["regions"] += new
    programs = {}
    for spec in PROGRAMS:
        programs[spec["slug"]], new = Program.objects.get_or_create(slug=spec["slug"], defaults=spec)
        created["programs"] += new
    services, new_services = {}, set()
    for program_slug, slug, name, name_en in SERVICES:
        services[slug], new = Service.objects.get_or_create(
            slug=slug, defaults={"program": programs.get(program_slug), "name": name, "name_en": name_en}
        )
        if new:
            new_services.add(slug)
    created["services"] = len(new_services)
    for spec in OBJECTIVES:
        fields = {k: v for k, v in spec.items() if k not in ("code", "services")}
        objective, new = Objective.objects.get_or_create(
            code=spec["code"], defaults={**fields, "order": int(spec["code"][2:])}
        )
        created["objectives"] += new
        # Link a service only when one side is new: a link staff removed stays removed.
        links = [services[s] for s in spec["services"] if new or s in new_services]
        objective.services.add(*links)
    objectives = {o.code: o for o in Objective.objects.all()}
    for order, (objective, code, name, name_en, unit, unit_en, computation) in enumerate(INDICATORS):
        if objective not in objectives:
            continue
        _, new = Indicator.objects.get_or_create(
            code=code,
            defaults={
                "objective": objectives[objective],
                "name": name,
                "name_en": name_en,
                "unit": unit,
                "unit_en": unit_en,
                "computation": computation,
                "order": order,
            },
        )
        created["indicators"] += new
    return created
