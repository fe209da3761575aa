"""Small-cell suppression for ``usage_daily``: no published cell is fed by fewer than
``usage_min_orgs`` organizations (one customer alone in a product, country and day points
to its site).

A retention run decides, for every (day, product, country) cell it folds, where its counts
go: the cell itself when enough organizations feed it, otherwise the first coarser cell
that enough of them feed, on this ladder:

1. (day, product, country)
2. (day, product, "other")
3. (ISO week, product, "other")
4. (ISO week, "*", "other")
5. ("*", "*", "other")

Counts are moved, never dropped, so totals stay exact. The last rung takes what is left
even when fewer organizations feed it (a server with fewer customers than
``usage_min_orgs``): it names no day, product or country.
"""

import datetime
from collections.abc import Callable, Iterable

Cell = tuple[str, str, str]
OTHER = "other"
ANY = "*"


def iso_week(day: str) -> str:
    year, week, _ = datetime.date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def _week(day: str) -> str:
    try:
        return iso_week(day)
    except ValueError:
        return ANY


LADDER: tuple[Callable[[Cell], Cell], ...] = (
    lambda c: c,
    lambda c: (c[0], c[1], OTHER),
    lambda c: (_week(c[0]), c[1], OTHER),
    lambda c: (_week(c[0]), ANY, OTHER),
    lambda c: (ANY, ANY, OTHER),
)


def generalize(feeds: Iterable[tuple[Cell, int]], min_orgs: int) -> dict[Cell, Cell]:
    """Where each cell's counts are published, from (cell, organization) pairs."""
    orgs: dict[Cell, set[int]] = {}
    for cell, org in feeds:
        orgs.setdefault(cell, set()).add(org)
    placed: dict[Cell, Cell] = {}
    for rung, coarser in enumerate(LADDER):
        last = rung == len(LADDER) - 1
        groups: dict[Cell, list[Cell]] = {}
        for cell in orgs.keys() - placed.keys():
            groups.setdefault(coarser(cell), []).append(cell)
        for target, members in groups.items():
            feeding = set().union(*(orgs[m] for m in members))
            if last or len(feeding) >= min_orgs:
                placed.update((member, target) for member in members)
    return placed
