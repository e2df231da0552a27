"""Small-cell suppression: nothing under the threshold is shown or can be subtracted out."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from analytics_stream.disclosure import (
    THRESHOLD,
    suppress_breakdown,
    suppress_statistic,
    withheld_groups,
)

cells_strategy = st.dictionaries(st.sampled_from("ABCDEFGH"), st.integers(0, 40), min_size=1)


def test_small_cells_and_their_complement_are_withheld() -> None:
    cells = {"AL": 120, "BA": 0, "HR": 3, "XK": 45, "MK": 60}
    assert suppress_breakdown(cells, total=228) == {
        "AL": 120, "BA": 0, "HR": None, "XK": None, "MK": 60}
    assert suppress_breakdown(cells) == {"AL": 120, "BA": 0, "HR": None, "XK": 45, "MK": 60}
    assert suppress_breakdown({"a": 4, "b": 3}, total=7) == {"a": None, "b": None}
    assert suppress_statistic(31.5, THRESHOLD - 1) is None
    assert suppress_statistic(31.5, THRESHOLD) == 31.5


@given(cells_strategy)
def test_no_withheld_cell_can_be_recovered_from_the_total(cells: dict[str, int]) -> None:
    total = sum(cells.values())
    shown = suppress_breakdown(cells, total=total)
    assert set(shown) == set(cells)
    for code, value in shown.items():
        assert value is None or value == cells[code]
        assert value is None or not 0 < value < THRESHOLD
    withheld = sum(cells[code] for code, value in shown.items() if value is None)
    # What the total minus the shown cells reveals is the withheld sum: never a small number,
    # unless the total itself is small, and then nothing is shown at all.
    if 0 < total < THRESHOLD:
        assert all(value is None for value in shown.values())
    else:
        assert withheld == 0 or withheld >= THRESHOLD


@given(cells_strategy)
def test_without_a_total_only_small_cells_are_withheld(cells: dict[str, int]) -> None:
    shown = suppress_breakdown(cells)
    assert {c for c, v in shown.items() if v is None} == {
        c for c, n in cells.items() if 0 < n < THRESHOLD}


groups_strategy = st.dictionaries(
    st.sampled_from("ABCDEF"), st.frozensets(st.integers(0, 30), max_size=25), min_size=1)


@given(groups_strategy)
def test_withheld_groups_describe_no_small_number_of_people_together(
        groups: dict[str, frozenset[int]]) -> None:
    withheld = withheld_groups(groups, adds_up=True)
    for code, people in groups.items():
        assert code in withheld or not 0 < len(people) < THRESHOLD
    together = set().union(*(groups[code] for code in withheld))
    everyone = set().union(*groups.values())
    if 0 < len(everyone) < THRESHOLD:
        assert withheld == {code for code, people in groups.items() if people}
    else:
        assert not 0 < len(together) < THRESHOLD


def test_a_person_in_two_withheld_groups_is_one_person() -> None:
    shared = frozenset(range(6))
    groups = {"big": frozenset(range(100, 130)), "x": shared, "y": shared}
    assert withheld_groups(groups, adds_up=True) == {"big", "x", "y"}
    assert withheld_groups(groups, adds_up=False) == {"x", "y"}
