from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from publication.services import release_publish


class Command(BaseCommand):
    help = "Publish the public release of the figures now: the activities approved until this moment."

    def handle(self, *args, **options):
        try:
            release = release_publish()
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        hidden = sum(1 for row in release.cells for value in row[5:] if isinstance(value, str))
        self.stdout.write(
            f"Release {release.number}: {release.activities:,} activities approved by "
            f"{release.cut_off:%Y-%m-%d %H:%M}, "
            f"{len(release.cells):,} cells, {hidden:,} counts hidden."
        )
