import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from activities.demo import demo_seed, demo_statistics_refresh
from campaign.demo import demo_emergency_centres_ensure
from reports import tally


class Command(BaseCommand):
    help = (
        "Fill a development portal with demo users, partners, targets, made-up activities and CEMs. "
        "Deterministic for a seed; adds no activities when some exist, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--activities", type=int, default=2_000, help="How many activities (default 2000).")
        parser.add_argument("--seed", type=int, default=1, help="Seed of the random generator (default 1).")
        parser.add_argument("--reset", action="store_true", help="Delete every activity first, then seed again.")
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off. Never on production.")

    def handle(self, *args, activities, seed, reset, force, **options):
        # Demo users share a published password: on a real portal they would be a way in.
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates made-up activities and users with a known password, so it runs only "
                "with DEBUG on. Pass --force to run it anyway on a throwaway database, never on production."
            )
        if activities < 0:
            raise CommandError("--activities cannot be negative.")
        written = demo_seed(activities=activities, seed=seed, reset=reset, report=self.stdout.write)
        # Here rather than in activities.demo: the directory of CEMs belongs to the public site.
        demo_emergency_centres_ensure(report=self.stdout.write)
        if reset or written:
            # The activities went in by COPY, around what keeps the staff figures' tallies: count them.
            started = time.monotonic()
            rows = tally.rebuild()
            counted = ", ".join(f"{n:,} {name}" for name, n in rows.items())
            self.stdout.write(f"Tallies rebuilt in {time.monotonic() - started:.1f} s: {counted} rows.")
        # PostgreSQL here runs without autovacuum: without fresh statistics the planner would go on
        # planning the panel's, the dashboard's and the exports' queries for empty tables.
        demo_statistics_refresh()
        tally.analyze()
