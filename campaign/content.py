"""The campaign's own words, from CAMPAIGN.md (Andina, 13 June 2024): reference content in both
languages, shown as data rather than translated interface text.

The context figures are the ministry's published numbers about violence, not portal data: pages
show them apart from the portal's figures, with their source and date, and never add them up.
"""

import datetime

from django.utils.translation import get_language

NEUTRAL_SITE = "https://www.google.com/search?q=clima"

LAUNCH = {"date": datetime.date(2024, 6, 14), "region_slug": "amazonas"}

ABOUT = {
    "es": [
        "«Prevenir para proteger» es una intervención multisectorial del Ministerio de la Mujer y Poblaciones "
        "Vulnerables (MIMP) para prevenir la violencia sexual contra niñas, niños y adolescentes, junto con "
        "los ministerios, los gobiernos regionales y locales y la ciudadanía.",
        "Se lanzó el viernes 14 de junio de 2024 en la región Amazonas, anunciada por la viceministra Elba "
        "Espinoza, y trabaja en 15 regiones del país.",
    ],
    "en": [
        "“Prevent to protect” is a multi-sector intervention of the Ministry of Women and Vulnerable "
        "Populations (MIMP) to prevent sexual violence against girls, boys and adolescents, with the "
        "ministries, regional and local governments and citizens.",
        "It was launched on Friday 14 June 2024 in the Amazonas region, announced by Vice Minister Elba "
        "Espinoza, and works in 15 regions of the country.",
    ],
}

FORMS_OF_VIOLENCE = {
    "es": [
        "violación sexual",
        "acoso sexual",
        "tocamientos indebidos",
        "actos de connotación sexual",
        "violencia a través de medios tecnológicos",
    ],
    "en": [
        "rape",
        "sexual harassment",
        "inappropriate touching",
        "acts of sexual connotation",
        "violence through technological means",
    ],
}

CONTEXT_SOURCE = {"name": "Andina", "date": datetime.date(2024, 6, 13)}

# value (as published), what it counts
CONTEXT_FIGURES = [
    {
        "value": "18 711",
        "es": "casos de violencia contra niñas, niños y adolescentes entre enero y abril de 2024.",
        "en": "cases of violence against girls, boys and adolescents from January to April 2024.",
    },
    {
        "value": "12 906 (69 %)",
        "es": "de esos casos fueron contra niñas y mujeres adolescentes.",
        "en": "of those cases were against girls and adolescent women.",
    },
    {
        "value": "12–17",
        "es": "años: la edad de la mayoría de las víctimas de violencia sexual.",
        "en": "years: the age of most victims of sexual violence.",
    },
]


def in_language(texts):
    """The Spanish or English version of a piece of content, for the current request."""
    return texts["en"] if (get_language() or "es").startswith("en") else texts["es"]


def context_figures():
    return [{"value": figure["value"], "text": in_language(figure)} for figure in CONTEXT_FIGURES]
