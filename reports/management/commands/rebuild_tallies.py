import time

from django.core.management.base import BaseCommand
from django.db import transaction

from activities.models import Activity
from reports import tally


class Command(BaseCommand):
    help = (
        "Recount the staff figures' tallies from the activities, in one transaction, and refresh their "
        "statistics. Run after anything that writes activities around Django: a restore, a COPY."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--times",
            action="store_true",
            help="First read each activity's latest submission and decision again from its steps "
            "(after steps written around the workflow, or by a release older than those columns).",
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        with transaction.atomic():
            if options["times"]:
                read = Activity.objects.exclude(status=Activity.Status.DRAFT).times_from_steps()
                self.stdout.write(f"Submission and decision times read again for {read:,} activities.")
            rows = tally.rebuild()
        tally.analyze()
        counted = ", ".join(f"{n:,} {name}" for name, n in rows.items())
        self.stdout.write(f"Tallies rebuilt in {time.monotonic() - started:.1f} s: {counted} rows.")
