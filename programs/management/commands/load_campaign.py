import argparse

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from programs.reference import load_reference_data

# The 15 regions' boundaries, derived from Peru's public department and province files (see data/README.md).
CAMPAIGN_BOUNDARIES = settings.BASE_DIR / "data" / "campaign_regions.geojson"


class Command(BaseCommand):
    help = (
        "Create the campaign's regions, objectives, programs, services and indicators that are missing, "
        "and give each region without a boundary the one shipped in data/."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--boundaries",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="Load the shipped boundaries of the regions that have none (default); a boundary already "
            "loaded, e.g. imported by an operator, is kept.",
        )

    def handle(self, *args, boundaries, **options):
        created = load_reference_data()
        summary = ", ".join(f"{count} {kind}" for kind, count in created.items())
        self.stdout.write(self.style.SUCCESS(f"Reference data loaded; created {summary}."))
        if boundaries:
            # The operator's own import, through the same checks; --keep-existing because, like the
            # rest of the reference data, a later run must not undo what someone loaded on purpose.
            call_command(
                "import_boundaries",
                str(CAMPAIGN_BOUNDARIES),
                code_property="inei_code",
                keep_existing=True,
                stdout=self.stdout,
                stderr=self.stderr,
            )
