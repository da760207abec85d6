"""Demo data of the public site's own: a few made-up Centros Emergencia Mujer y Familia, so that
the page "Find the nearest CEM" shows something on a development portal (seed_demo)."""

from activities.demo import insert_missing, report_nothing
from regions.models import Region

from .models import EmergencyCentre

# (region slug, in a police station): a few made-up CEMs so that the public page "Find the nearest CEM"
# shows something. Named and addressed as demo values, with no phone, so that none passes for a real one.
DEMO_CENTRES = [("amazonas", False), ("amazonas", True), ("puno", False), ("lima-metropolitana", True)]


def demo_emergency_centres_ensure(*, report=report_nothing):
    """A few demo Centros Emergencia Mujer y Familia; a real portal's directory is typed by staff."""
    by_slug = {region.slug: region for region in Region.objects.in_campaign()}
    centres = [
        EmergencyCentre(
            region=by_slug[slug],
            name=f"CEM {by_slug[slug].capital}{' en comisaría' if police else ''} (dato de demostración)",
            address="Dirección de demostración",
            district=by_slug[slug].capital,
            opening_hours="24 horas" if police else "Lunes a viernes, 8:00–16:15",
            in_police_station=police,
            order=number,
        )
        for number, (slug, police) in enumerate(DEMO_CENTRES)
        if slug in by_slug
    ]
    report(f"Emergency centres (demo values): created {insert_missing(EmergencyCentre, centres)}.")
