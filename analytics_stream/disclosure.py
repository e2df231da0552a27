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
- Periods of a suppressed view are whole calendar months (checked by the API): two overlapping
  queries then differ by whole months, each of them a query whose cells are controlled alike.
"""

from __future__ import annotations

from collections.abc import Mapping

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
    withheld = {code for code, count in cells.items() if is_small(count)}
    if total is not None:
        shown = sorted((count, code) for code, count in cells.items()
                       if code not in withheld and count > 0)
        while withheld and is_small(sum(cells[code] for code in withheld)) and shown:
            withheld.add(shown.pop(0)[1])
    return {code: None if code in withheld else count for code, count in cells.items()}


def suppress_count(count: int) -> int | None:
    return None if is_small(count) else count


def suppress_statistic(value: float | None, people: int) -> float | None:
    """A mean or median of `people` values, withheld when they are fewer than the threshold."""
    return None if people < THRESHOLD else value
