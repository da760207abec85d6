"""A small, realistic campaign for the release tests: a few dozen approved activities over four
regions, three objectives and two years, with many counts from 1 to 4."""

import datetime
import random

import pytest

from programs.models import Objective
from regions.models import Region

from ..factories import ActivityFactory

SEED = 20250601
REGIONS = ("amazonas", "puno", "cusco", "loreto")
# Objective code -> how many of its services (in slug order) the dataset uses.
SUBJECTS = {"OE1": 2, "OE2": 1, "OE3": 1}
MONTHS = [datetime.date(year, month, 1) for year in (2024, 2025) for month in (2, 3, 5, 8, 10, 11)]
# Counts from 0 to 12, most of them 0 to 4.
COUNT_WEIGHTS = [5, 4, 4, 4, 4, 1, 1, 1, 1, 1, 1, 1, 1]


def draw(rng):
    return rng.choices(range(13), weights=COUNT_WEIGHTS)[0]


def subjects():
    """(objective, service) pairs the dataset uses."""
    pairs = []
    for code, count in SUBJECTS.items():
        objective = Objective.objects.get(code=code)
        pairs += [(objective, service) for service in objective.services.order_by("slug")[:count]]
    return pairs


def make_activities(count=34, seed=SEED):
    rng = random.Random(seed)
    regions = [Region.objects.get(slug=slug) for slug in REGIONS]
    pairs = subjects()
    made = []
    for _ in range(count):
        objective, service = rng.choice(pairs)
        month = rng.choice(MONTHS)
        start = month.replace(day=rng.randint(1, 28))
        made.append(
            ActivityFactory(
                status="approved",
                region=rng.choice(regions),
                objective=objective,
                service=service,
                start_date=start,
                end_date=start,
                girls=draw(rng),
                boys=draw(rng),
                adolescent_girls=draw(rng),
                adolescent_boys=draw(rng),
                women=draw(rng),
                men=draw(rng),
                families=draw(rng),
            )
        )
    return made


@pytest.fixture
def campaign(db):
    """The approved activities of the small campaign (approved now, by the factory)."""
    return make_activities()
