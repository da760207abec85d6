from django.core.management.base import BaseCommand

from programs.reference import load_reference_data


class Command(BaseCommand):
    help = "Create the campaign's regions, objectives, programs, services and indicators that are missing."

    def handle(self, *args, **options):
        created = load_reference_data()
        summary = ", ".join(f"{count} {kind}" for kind, count in created.items())
        self.stdout.write(self.style.SUCCESS(f"Reference data loaded; created {summary}."))
