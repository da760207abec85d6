from programs.models import Objective
from regions.models import Region


def test_reference_data_is_loaded_for_tests(db):
    assert Region.objects.count() == 15
    assert Objective.objects.count() == 4
