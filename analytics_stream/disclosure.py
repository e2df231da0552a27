"""Statistical disclosure control for views that cross tenants or go below a tenant.

Rules, applied to every breakdown (counts of people or of their visits per category) before it
leaves the API:
- **Primary suppression**: a count from 1 to `THRESHOLD - 1` is withheld (`None`). Zero is shown:
  "nobody" singles nobody out, and the programme publishes which tenants had no immigrants.
- **Secondary suppression**: when a breakdown's total is shown, a single withheld cell could be
  recovered by subtracting the others from it; so the smallest shown non-zero cell is withheld
  too, until the withheld cells together are zero or at least `THRESHOLD` (so not even their sum
  describes fewer than `THRESHOLD`).
- A total under `THRESHOLD` withholds the whole breakdown; a mean or median of fewer than
  `THRESHOLD` people is withheld.
- A breakdown into groups of people (a row of figures per institution, say) is judged by the
  people each group describes, and the withheld groups together by the people they describe
  together: one person in two groups is one person (`withheld_groups`).
- Periods of a suppressed view are whole calendar months (checked by the API): two overlapping
  queries then differ by whole months, each of them a query whose cells are controlled alike.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Set

THRESHOLD = 10


def is_small(count: int) -> bool:
    return 0 < count < THRESHOLD


def suppress_breakdown(cells: Mapping[str, int], total: int | None = None,
                       ) -> dict[str, int | None]:
    """`cells` with small counts withheld; `total` is the shown total they add up to, if any.

    Cells that do not add up to a shown total (people counted in several cells, such as several
    preferred destinations each) need no secondary suppression: pass `total=None`.
    """
    if total is not None and is_small(total):
        return dict.fromkeys(cells)
    withheld = _withheld(cells, None if total is None
                         else lambda codes: sum(cells[code] for code in codes))
    return {code: None if code in withheld else count for code, count in cells.items()}


def withheld_groups(groups: Mapping[str, Set[Hashable]], *, adds_up: bool) -> set[str]:
    """The groups to withhold, each given as the set of people it describes.

    `adds_up`: the groups' figures add up to shown totals, so the withheld ones could be
    subtracted out together, and secondary suppression applies.
    """
    def together(codes: set[str]) -> int:
        return len(set().union(*(groups[code] for code in codes)))

    return _withheld({code: len(people) for code, people in groups.items()},
                     together if adds_up else None)


def _withheld(sizes: Mapping[str, int], together: Callable[[set[str]], int] | None) -> set[str]:
    """Codes whose size is small; then, given `together` (how many the withheld codes describe
    together), the smallest shown ones too until that is zero or at least `THRESHOLD`."""
    withheld = {code for code, size in sizes.items() if is_small(size)}
    if together is not None:
        shown = sorted((size, code) for code, size in sizes.items()
                       if code not in withheld and size > 0)
        while withheld and is_small(together(withheld)) and shown:
            withheld.add(shown.pop(0)[1])
    return withheld


def suppress_count(count: int) -> int | None:
    return None if is_small(count) else count


def suppress_statistic(value: float | None, people: int) -> float | None:
    """A mean or median of `people` values, withheld when they are fewer than the threshold."""
    return None if people < THRESHOLD else value
