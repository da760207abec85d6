"""Time the spreadsheet import of 10,000 activities: the dry run, then the import, as a coordinator.

    DATABASE_URL=postgres://…/db python bench/import.py [rows]

Runs inside a transaction that is rolled back, so the database is left as it was (reference data
is loaded first if missing). Prints the seconds each step took.
"""

import os
import sys
import time

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prevent_protect.settings")
django.setup()

from django.db import transaction  # noqa: E402
from django.utils import translation  # noqa: E402

from activities import importing  # noqa: E402
from activities.models import Activity, Institution  # noqa: E402
from programs.reference import load_reference_data  # noqa: E402
from regions.models import Region, RegionMembership  # noqa: E402


def main(rows):
    from tests.test_import import good_row, workbook

    with translation.override("es"), transaction.atomic():
        load_reference_data()
        region = Region.objects.get(slug="amazonas")
        partner, _ = Institution.objects.get_or_create(region=region, name="I.E. bench", defaults={"sector": "public"})
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create(username="bench-import", role="coordinator")
        RegionMembership.objects.create(user=user, region=region)
        data = workbook([good_row(region, title=f"Taller {n}", institutions=partner.name) for n in range(rows)])
        started = time.perf_counter()
        result, _checked = importing.check_rows(data, user=user)
        dry = time.perf_counter() - started
        assert result.is_valid, result.errors[:3]
        started = time.perf_counter()
        result = importing.activities_import(data, user=user)
        total = time.perf_counter() - started
        assert Activity.objects.filter(created_by=user).count() == rows
        print(f"rows={rows} file={len(data) / 1024:.0f} KiB dry_run={dry:.1f}s import(check+write)={total:.1f}s")
        transaction.set_rollback(True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
