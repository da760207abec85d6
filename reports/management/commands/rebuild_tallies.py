import time

from django.core.management.base import BaseCommand

from reports import tally


class Command(BaseCommand):
    help = (
        "Recount the staff figures' tallies from the activities, in one transaction, and refresh their "
        "statistics. Run after anything that writes activities around Django: a restore, a COPY."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        rows = tally.rebuild()
        tally.analyze()
        counted = ", ".join(f"{n:,} {name}" for name, n in rows.items())
        self.stdout.write(f"Tallies rebuilt in {time.monotonic() - started:.1f} s: {counted} rows.")
