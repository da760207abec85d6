"""The fixed tables behind the demo data: shares, places, titles, ranges, partners, targets.

Made-up data follows the privacy rule too: places are places, and no text names a person.
"""

import datetime
from itertools import accumulate

from programs.models import Indicator

from .models import Activity, Institution

Status = Activity.Status

# The campaign's launch in Amazonas, and a fixed last day instead of today, so
# that a seed gives the same activities whenever it runs.
FIRST_DAY = datetime.date(2024, 6, 14)
LAST_DAY = datetime.date(2026, 10, 31)
TARGET_YEARS = (2024, 2025, 2026)
BATCH_SIZE = 5_000
PROGRESS_EVERY = 100_000

# Relative share of the activities: bigger regions report more. Damped from
# population so that Madre de Dios still has enough for its pages.
REGION_WEIGHTS = {
    "lima-metropolitana": 10, "arequipa": 4, "cajamarca": 4, "cusco": 4, "lambayeque": 4, "puno": 4,
    "ancash": 3, "callao": 3, "loreto": 3, "san-martin": 3, "huanuco": 2.5, "amazonas": 2, "ayacucho": 2,
    "tumbes": 1.5, "madre-de-dios": 1,
}  # fmt: skip
DEFAULT_REGION_WEIGHT = 2
OBJECTIVE_WEIGHTS = {"OE1": 35, "OE2": 25, "OE3": 20, "OE4": 20}
DEFAULT_OBJECTIVE_WEIGHT = 10

# Districts where activities take place. Where a district bears a person's
# name it is left out: demo text names places, never people.
DISTRICTS = {
    "amazonas": ("Chachapoyas", "Bagua", "Bagua Grande", "Lamud", "Jumbilla", "Nieva"),
    "ancash": ("Huaraz", "Independencia", "Chimbote", "Nuevo Chimbote", "Carhuaz", "Caraz", "Casma"),
    "arequipa": ("Arequipa", "Cayma", "Cerro Colorado", "Paucarpata", "Yanahuara", "Camaná", "Mollendo"),
    "ayacucho": ("Ayacucho", "Huanta", "Carmen Alto", "Puquio", "Cangallo", "Vilcas Huamán"),
    "cajamarca": ("Cajamarca", "Baños del Inca", "Jaén", "Chota", "Cutervo", "Celendín", "Bambamarca"),
    "callao": ("Callao", "Bellavista", "La Perla", "Ventanilla", "Mi Perú", "La Punta"),
    "cusco": ("Cusco", "Wanchaq", "Sicuani", "Quillabamba", "Urubamba", "Calca", "Pisac"),
    "huanuco": ("Huánuco", "Amarilis", "Pillco Marca", "Tingo María", "Ambo", "Llata", "Panao"),
    "lambayeque": ("Chiclayo", "La Victoria", "Lambayeque", "Ferreñafe", "Monsefú", "Olmos", "Túcume"),
    "lima-metropolitana": (
        "Comas", "Ate", "Carabayllo", "Chorrillos", "Independencia", "Lurín", "Puente Piedra",
        "San Juan de Lurigancho", "Villa El Salvador", "El Agustino", "Rímac", "Breña",
    ),
    "loreto": ("Iquitos", "Punchana", "Belén", "Yurimaguas", "Nauta", "Requena", "Caballococha"),
    "madre-de-dios": ("Tambopata", "Inambari", "Laberinto", "Las Piedras", "Iberia", "Iñapari", "Huepetuhe"),
    "puno": ("Puno", "Juliaca", "Ilave", "Azángaro", "Ayaviri", "Juli", "Yunguyo", "Lampa"),
    "san-martin": ("Moyobamba", "Tarapoto", "La Banda de Shilcayo", "Morales", "Rioja", "Tocache", "Lamas"),
    "tumbes": ("Tumbes", "Corrales", "La Cruz", "Zarumilla", "Aguas Verdes", "Zorritos"),
}  # fmt: skip
# These capitals sit on the Pacific shore: a westward jitter would put a workshop at sea.
COASTAL = {"callao", "lima-metropolitana", "lambayeque", "tumbes"}
JITTER = 0.3
POINT_SHARE = 0.82  # of in-person activities, so that about 70% of all have a point
POOL_SIZE = 256

PLACES = (
    "Local comunal de {district}",
    "Institución Educativa N.° {number} de {district}",
    "Plaza de Armas de {district}",
    "Centro de Salud de {district}",
    "Municipalidad Distrital de {district}",
    "Mercado central de {district}",
    "Coliseo municipal de {district}",
    "Casa de la juventud de {district}",
)
VIRTUAL_PLACE = "Plataforma virtual"

TITLES = {
    "OE1": (
        "Taller de sensibilización: niñas, niños y adolescentes libres de violencia",
        "Feria informativa Prevenir para proteger",
        "Pasacalle por una niñez libre de violencia sexual",
        "Charla sobre acoso sexual en espacios públicos",
        "Conversatorio: cómo reconocer los tocamientos indebidos",
        "Campaña contra la violencia a través de medios tecnológicos",
        "Cine foro sobre masculinidades sin violencia",
    ),
    "OE2": (
        "Sesión de crianza positiva con madres y padres",
        "Escuela de familias: hablar de prevención en casa",
        "Taller de habilidades parentales",
        "Visita de fortalecimiento familiar",
        "Encuentro de familias para la prevención de la violencia sexual",
    ),
    "OE3": (
        "Reunión de la red de soporte comunitaria",
        "Formación de líderes comunitarios en prevención",
        "Incorporación de nuevos líderes a la red de soporte",
        "Jornada de activismo comunitario de la red de soporte",
    ),
    "OE4": (
        "Mesa de trabajo multisectorial",
        "Capacitación a docentes en ¡Actuemos Ya!",
        "Reunión de articulación con instituciones",
        "Firma de compromiso institucional ¡Actuemos Ya!",
        "Capacitación a personal de salud en prevención",
    ),
}
DEFAULT_TITLES = ("Actividad de prevención de la violencia sexual contra NNA",)

# (low, high) for girls, boys, adolescent girls, adolescent boys, women, men, families.
PARTICIPANT_RANGES = {
    # Awareness reaches the wider population, adults most of all.
    "OE1": ((0, 8), (0, 8), (0, 20), (0, 18), (5, 60), (3, 40), (0, 10)),
    # Parenting sessions are for families: fewer people, nearly all counted as a family.
    "OE2": ((0, 10), (0, 10), (0, 6), (0, 6), (4, 30), (1, 15), (4, 35)),
    # Network meetings gather leaders: adults and a few adolescents.
    "OE3": ((0, 0), (0, 0), (0, 8), (0, 6), (3, 18), (2, 12), (0, 3)),
    # Institutional work is with teachers, health staff and officials.
    "OE4": ((0, 0), (0, 0), (0, 10), (0, 10), (2, 25), (2, 20), (0, 0)),
}
DEFAULT_RANGES = ((0, 5), (0, 5), (0, 10), (0, 10), (3, 30), (2, 20), (0, 10))

STATUSES = (Status.APPROVED, Status.SUBMITTED, Status.RETURNED, Status.DRAFT)
STATUS_CUM_WEIGHTS = tuple(accumulate((78, 10, 5, 7)))
# The last weeks before LAST_DAY have mostly not been reviewed yet.
RECENT_DAYS = 45
RECENT_STATUS_CUM_WEIGHTS = tuple(accumulate((25, 40, 10, 25)))
RETURN_COMMENTS = (
    "Complete el número de familias alcanzadas.",
    "Adjunte una evidencia: un acta o una foto sin rostros de niñas, niños o adolescentes.",
    "Precise el lugar y el distrito donde se realizó la actividad.",
    "Revise el desglose de participantes por edad y sexo.",
)

# name pattern, sector, whether it implements ¡Actuemos Ya!
INSTITUTIONS = (
    ("Municipalidad Provincial de {capital}", Institution.Sector.PUBLIC, True),
    ("UGEL {capital}", Institution.Sector.PUBLIC, True),
    ("Red de Salud {capital}", Institution.Sector.PUBLIC, False),
    ("Comisaría de Familia de {capital}", Institution.Sector.PUBLIC, False),
    ("Cámara de Comercio de {capital}", Institution.Sector.PRIVATE, True),
    ("Cooperativa de ahorro y crédito de {capital}", Institution.Sector.PRIVATE, False),
    ("Radio comunitaria de {capital}", Institution.Sector.PRIVATE, False),
)
# ¡Actuemos Ya! services are delivered with institutions of one sector.
SERVICE_SECTORS = {
    "actuemos-ya-publicas": Institution.Sector.PUBLIC,
    "actuemos-ya-privadas": Institution.Sector.PRIVATE,
}
NETWORKS_PER_REGION = 3

# What an average region should reach in a whole year, by how the indicator is computed.
TARGET_BASES = {
    Indicator.Computation.ACTIVITIES: 120,
    Indicator.Computation.PARTICIPANTS: 3_000,
    Indicator.Computation.FAMILIES: 800,
    Indicator.Computation.NETWORKS: 8,
    Indicator.Computation.NETWORK_LEADERS: 120,
    Indicator.Computation.INSTITUTIONS: 20,
}
# 2024 began in June; the campaign grows after its first full year.
TARGET_YEAR_FACTORS = {2024: 0.5, 2025: 1.0, 2026: 1.2}
