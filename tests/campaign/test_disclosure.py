"""Complementary suppression: a count hidden as "<5" never comes back as a total minus the parts."""

import itertools

from activities.disclosure import COMPLEMENT, SMALL, PublicCount, protect_line, protect_lines


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


class TestPublicCount:
    def test_texts(self):
        assert PublicCount(3, SMALL).text == "<5"
        assert PublicCount(40, COMPLEMENT).text == "x"
        assert PublicCount(1234).text == "1234"

    def test_json_is_the_apis_shape(self):
        assert PublicCount(40, COMPLEMENT).as_json() == {"value": None, "suppressed": True}
        assert PublicCount(0).as_json() == {"value": 0, "suppressed": False}


def test_protect_lines_hides_a_cell_in_every_line_that_needs_it():
    # Two lines share the cell at position 1: hidden to protect the first line, it needs a
    # companion in the second too.
    cells = [3, 40, 43, 40, 20, 60]
    hidden = protect_lines(cells, [[0, 1, 2], [1, 4, 5]], set())
    assert {0, 1} <= hidden
    assert 4 in hidden or 5 in hidden
