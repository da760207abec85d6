"""Complementary suppression: a count hidden as "<5" never comes back as a total minus the parts."""

import itertools

import pytest

from activities.disclosure import ALL, COMPLEMENT, SMALL, Cube, PublicCount, protect_line, protect_parts


def shown(values, hidden):
    return [None if i in hidden else v for i, v in enumerate(values)]


def recoverable(line, hidden):
    """What a reader can work out from one line: a single hidden part, or hidden parts adding up to 1-4."""
    *parts, total = line
    hidden_parts = [i for i in hidden if i < len(parts)]
    if len(parts) in hidden or not hidden_parts:
        return False
    return len(hidden_parts) == 1 or 0 < sum(parts[i] for i in hidden_parts) < 5


class TestOneLine:
    def test_a_line_without_small_counts_is_shown_whole(self):
        assert protect_line([10, 20, 0, 30]) == set()

    def test_three_women_and_forty_men_hide_the_men_too(self):
        # girls, boys, adolescent girls, adolescent boys, women, men, participants
        line = [0, 0, 0, 0, 3, 40, 43]
        hidden = protect_line(line)
        assert hidden == {4, 5}
        assert shown(line, hidden) == [0, 0, 0, 0, None, None, 43]

    def test_the_smallest_other_part_is_hidden_not_a_zero(self):
        assert protect_line([2, 0, 9, 7, 18]) == {0, 3}

    def test_two_small_parts_that_add_up_to_a_small_count_take_a_third(self):
        # 1 + 2 = 3 would be the total minus the rest.
        assert protect_line([1, 2, 50, 60, 113]) == {0, 1, 2}

    def test_two_small_parts_that_add_up_to_five_or_more_are_enough(self):
        assert protect_line([3, 4, 50, 57]) == {0, 1}

    def test_when_no_part_is_left_the_total_is_hidden(self):
        assert protect_line([3, 0, 3]) == {0, 2}

    def test_a_hidden_total_with_every_part_shown_hides_a_part(self):
        assert protect_line([10, 20, 30], hidden={2}) == {0, 2}

    def test_a_part_hidden_by_another_line_needs_a_companion(self):
        assert protect_line([40, 12, 9, 61], hidden={0}) == {0, 2}

    def test_no_line_of_three_small_parts_lets_a_hidden_cell_be_worked_out(self):
        lines = [[a, b, c, a + b + c] for a, b, c in itertools.product(range(8), repeat=3)]
        assert [line for line in lines if recoverable(line, protect_line(line))] == []


class TestCube:
    @pytest.fixture
    def cube(self):
        # Two regions x two objectives x two groups; region "a" has 3 women in objective 1.
        cells = {
            ("a", 1, "women"): 3, ("a", 1, "men"): 40, ("a", 2, "women"): 20, ("a", 2, "men"): 25,
            ("b", 1, "women"): 30, ("b", 1, "men"): 35, ("b", 2, "women"): 12, ("b", 2, "men"): 18,
        }  # fmt: skip
        return Cube([["a", "b"], [1, 2], ["women", "men"]], cells)

    def test_margins_are_the_sums(self, cube):
        assert cube.values[(ALL, ALL, ALL)] == 183
        assert cube.values[("a", ALL, "women")] == 23
        assert cube.values[(ALL, 1, ALL)] == 108

    def test_the_small_cell_is_hidden_as_small(self, cube):
        assert cube.get("a", 1, "women") == PublicCount(3, SMALL)
        assert str(cube.get("a", 1, "women")) == "<5"

    def test_no_line_of_the_cube_gives_a_hidden_cell_back(self, cube):
        for line in cube._lines():
            values = [cube.values.get(cell, 0) for cell in line]
            hidden = {i for i, cell in enumerate(line) if cell in cube.hidden}
            assert not recoverable(values, hidden), line

    def test_cells_hidden_to_protect_another_read_x(self, cube):
        complements = [keys for keys in cube.hidden if cube.get(*keys).hidden == COMPLEMENT]
        assert complements
        assert all(cube.get(*keys).text == "x" for keys in complements)

    def test_a_cube_without_small_counts_hides_nothing(self):
        cube = Cube([["a", "b"], ["women", "men"]], {("a", "women"): 5, ("a", "men"): 7, ("b", "women"): 0})
        assert cube.hidden == set()
        assert cube.get(ALL, ALL) == PublicCount(12)

    def test_a_missing_cell_is_zero(self):
        cube = Cube([["a", "b"]], {("a",): 9})
        assert cube.get("b") == PublicCount(0)


class TestPublicCount:
    def test_texts(self):
        assert PublicCount(3, SMALL).text == "<5"
        assert PublicCount(40, COMPLEMENT).text == "x"
        assert PublicCount(1234).text == "1234"

    def test_json_is_the_apis_shape(self):
        assert PublicCount(40, COMPLEMENT).as_json() == {"value": None, "suppressed": True}
        assert PublicCount(0).as_json() == {"value": 0, "suppressed": False}

    def test_of_applies_the_small_count_rule(self):
        assert PublicCount.of(4) == PublicCount(4, SMALL)
        assert PublicCount.of(5) == PublicCount(5)
        assert PublicCount.of(0) == PublicCount(0)
        assert PublicCount.of(9, hidden=True) == PublicCount(9, COMPLEMENT)


def test_protect_parts_answers_parts_then_total():
    *parts, total = protect_parts([3, 40, 12])
    assert [p.text for p in parts] == ["<5", "40", "x"]  # 12 is the smallest other part
    assert total == PublicCount(55)


def test_protect_parts_keeps_a_total_hidden_elsewhere_hidden():
    *parts, total = protect_parts([10, 20], total_hidden=True)
    assert total.hidden and any(p.hidden for p in parts)


def test_a_month_hidden_here_stays_hidden_against_its_years_total():
    # December 2024, January and February 2025. Hiding December beside January would let a 2025
    # figure minus February give January back; the year's own line hides February instead.
    *months, total = protect_parts([10, 3, 50], groups=["2024", "2025", "2025"])
    assert [m.text for m in months] == ["x", "<5", "x"]
    assert total == PublicCount(63)
