"""k-anonymity for insights: which figures are shown, and which come back as null.

k is HEARD_MIN_GROUP (default 5). Every figure is about one *cell* (a face value of a
question, a question's total, a theme, a week, the whole selection...) within the rows a
request's filters select, and carries two numbers: the rows it counts (answers, tags or
runs) and the distinct participants behind them, its *group*. Both are shown or both are
null; a null figure's path is listed in the response's `suppressed`.

Dates are whole ISO weeks: `since` moves back to its Monday and `until` on to its Sunday,
so two date ranges always differ by whole weeks.

THE RULE. A figure is suppressed when any of these holds.

1. Small group. Its group has 1 to k-1 people.

2. Coarser filters. For every request that drops some of the equality filters (site,
   flow, question, language) — the unfiltered request included — subtracting this
   figure from that one must not isolate 1 to k-1 people. Two differences are checked:
   the participants counted there but not here, and the people behind the rows counted
   there but not here. Each must be 0 or at least k.

3. Wider dates. The same for every wider date range, with or without the equality
   filters. The difference grows as a range widens, so only the first week outside each
   end that adds rows (or adds people) for the cell needs checking: if what it adds is 0
   or at least k, so is every wider range.

4. Sibling values. For each equality filter (say language=pl), the figure for each other
   value (en, ro...) of that filter is a sibling; together with the request without that
   filter they form a table. If the small-group siblings of a cell together count 1 to
   k-1 people, the smallest shown sibling is suppressed too, so that the request without
   the filter minus the shown siblings never isolates a small group.

5. Tables. Where a response shows cells and their total (the faces of a question and the
   question's total; weeks and the whole period; completed and not completed runs), a
   table may not have exactly one suppressed cell, and its suppressed cells together must
   count 0 or at least k people: otherwise the next smallest cell is suppressed too, and
   when no cell is left the total is.

What this protects against, and what it does not. Rules 2-5 make every *single*
subtraction an analyst can do with these endpoints — a total minus its shown cells, an
unfiltered figure minus a filtered one, filter A minus filter A-and-B, a wider date range
minus a narrower one, a total minus its sibling values — come to 0 or at least k people.
tests/api/insights/test_suppression_property.py generates small datasets and tries all
of these against every filter combination. Longer chains of equations across three or
more differently filtered requests can still, in unlucky datasets, narrow a small group
down; and figures change as answers arrive, so comparing the same request before and
after one answer shows what that answer added. Coordinator keys are for trusted staff,
and this is why.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import combinations

import numpy as np

from api.insights.snapshot import Snapshot
from api.insights.tally import Counts, Family, Query, count, distinct, mask


@dataclass(frozen=True)
class Protected:
    """A family's figures for one request: rows, participants and which cells are hidden."""

    n: np.ndarray
    g: np.ndarray
    hidden: np.ndarray
    selected: np.ndarray  # the family's rows the request selects

    def union(self, family: Family, cells: Iterable[int]) -> int:
        """Return the distinct people behind several cells together."""
        rows = self.selected & np.isin(family.cell, list(cells))
        return int(distinct(family, rows, np.zeros(len(family.cell), dtype=np.int64), 1)[0])


def small(values: np.ndarray, k: int) -> np.ndarray:
    """Return which values count 1 to k-1 people."""
    return (values > 0) & (values < k)


def protect(snapshot: Snapshot, family: Family, query: Query, k: int) -> Protected:
    """Count a family's cells for a request and hide those rules 1-4 say to hide."""
    key = ("protected", family.name, query, k)
    found = snapshot.cache.get(key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    selected = mask(family, query, snapshot)
    here = count(family, selected)
    hidden = small(here.g, k)
    equalities = query.equalities()
    contexts: list[tuple[Query, np.ndarray, Counts]] = [(query, selected, here)]
    for size in range(len(equalities) - 1, -1, -1):
        for kept in combinations(equalities, size):
            coarser = query.without(set(equalities) - set(kept))
            wide = mask(family, coarser, snapshot)
            there = count(family, wide)
            contexts.append((coarser, wide, there))
            _differences(family, selected, here, wide, there, hidden, k)
    if query.first_week is not None or query.last_week is not None:
        for coarser, wide, there in contexts:
            for side in ("before", "after"):
                _widening(snapshot, family, coarser, wide, there, here, hidden, k, side)
    for name in equalities:
        _siblings(snapshot, family, query, name, hidden, k)
    result = Protected(n=here.n, g=here.g, hidden=hidden, selected=selected)
    snapshot.cache[key] = result
    return result


def _differences(
    family: Family,
    selected: np.ndarray,
    here: Counts,
    wide: np.ndarray,
    there: Counts,
    hidden: np.ndarray,
    k: int,
) -> None:
    """Rule 2: hide cells where a coarser request minus this one isolates a small group."""
    people = there.g - here.g
    hidden |= small(people, k)
    # The people behind the extra rows number at least `people`; count them only when
    # that bound does not already settle it.
    unsure = ~hidden & (there.n > here.n) & (people < k)
    if unsure.any():
        extra = distinct(family, wide & ~selected & unsure[family.cell])
        hidden |= unsure & small(extra, k)


def _widening(
    snapshot: Snapshot,
    family: Family,
    coarser: Query,
    wide: np.ndarray,
    there: Counts,
    here: Counts,
    hidden: np.ndarray,
    k: int,
    side: str,
) -> None:
    """Rule 3: hide cells where widening the date range by its first busy week adds few people."""
    if side == "before":
        if coarser.first_week is None:
            return
        outside = coarser.weeks(None, coarser.first_week - 1)
    else:
        if coarser.last_week is None:
            return
        outside = coarser.weeks(coarser.last_week + 1, None)
    # Cells whose difference so far is empty in rows, or in people: the first week that
    # adds any decides. Elsewhere the difference is already 0-or-k+ and only grows.
    rows_open = ~hidden & (there.n == here.n)
    people_open = ~hidden & (there.g == here.g)
    open_cells = rows_open | people_open
    if not open_cells.any():
        return
    rows = np.flatnonzero(mask(family, outside, snapshot) & open_cells[family.cell])
    if not len(rows):
        return
    cells = family.cell[rows].astype(np.int64)
    weeks = family.week[rows].astype(np.int64)
    people = family.pidx[rows].astype(np.int64)
    if rows_open.any():
        hidden |= rows_open & small(_first_week_people(family, cells, weeks, people, side), k)
    if people_open.any():
        new = ~_members(family, wide & people_open[family.cell], cells, people)
        added = _first_week_people(family, cells[new], weeks[new], people[new], side)
        hidden |= people_open & small(added, k)


def _members(family: Family, rows: np.ndarray, cells: np.ndarray, people: np.ndarray) -> np.ndarray:
    """Return which (cell, person) pairs also occur among the masked rows."""
    span = max(family.participants, 1)
    size = max(family.cells, 1) * span
    chosen = np.flatnonzero(rows)
    keys = family.cell[chosen].astype(np.int64) * span + family.pidx[chosen]
    if size <= 24_000_000:
        seen = np.zeros(size, dtype=np.bool_)
        seen[keys] = True
        return seen[cells * span + people]  # type: ignore[no-any-return]
    return np.isin(cells * span + people, np.unique(keys))


def _first_week_people(
    family: Family, cells: np.ndarray, weeks: np.ndarray, people: np.ndarray, side: str
) -> np.ndarray:
    """Return, per cell, the distinct people in the week nearest the range that has rows."""
    result = np.zeros(max(family.cells, 1), dtype=np.int64)
    if not len(cells):
        return result
    nearest = np.full(
        max(family.cells, 1), np.iinfo(np.int64).min if side == "before" else np.iinfo(np.int64).max
    )
    if side == "before":
        np.maximum.at(nearest, cells, weeks)
    else:
        np.minimum.at(nearest, cells, weeks)
    at = weeks == nearest[cells]
    span = max(family.participants, 1)
    pairs = np.unique(cells[at] * span + people[at])
    return np.bincount(pairs // span, minlength=len(result)).astype(np.int64)


_VOCABULARY = {"site": "sites", "flow": "flows", "question": "questions", "lang": "languages"}


def _siblings(
    snapshot: Snapshot, family: Family, query: Query, name: str, hidden: np.ndarray, k: int
) -> None:
    """Rule 4: when small siblings together count 1..k-1 people, hide the smallest shown one."""
    values: np.ndarray | None = getattr(family, name)
    if values is None:
        return  # runs match a question through their answers; that is no partition
    mine = getattr(query, name)
    width = len(getattr(snapshot, _VOCABULARY[name]))
    if mine < 0 or width < 2:
        return
    cells = max(family.cells, 1)
    context = mask(family, query.without([name]), snapshot)
    key = values.astype(np.int64) * cells + family.cell
    groups = distinct(family, context, key, width * cells).reshape(width, cells)
    tiny = small(groups, k)
    tiny[mine] = False
    open_cells = tiny.any(axis=0) & ~hidden
    if not open_cells.any():
        return
    # People behind all the small siblings of each open cell, counted once each.
    in_tiny = context & open_cells[family.cell] & tiny[values, family.cell]
    together = distinct(family, in_tiny)
    exposed = open_cells & small(together, k)
    if not exposed.any():
        return
    # The complement to hide is the smallest shown sibling (ties: lowest code).
    shown = np.where(groups >= k, groups, np.iinfo(np.int64).max)
    smallest = np.argmin(shown, axis=0)
    hidden |= exposed & (smallest == mine) & (groups[mine] >= k)


def complete(
    groups: np.ndarray,
    hidden: np.ndarray,
    total_hidden: bool,
    k: int,
    union: Callable[[Iterable[int]], int],
) -> tuple[np.ndarray, bool]:
    """Rule 5: in one table, hide more cells (or the total) until no hidden cell stands alone.

    `groups` are the cells' participants, `union(cells)` counts the people behind several
    cells at once.
    """
    hidden = hidden.copy()
    if total_hidden:
        return hidden, True
    while True:
        chosen = np.flatnonzero(hidden)
        if not len(chosen):
            return hidden, False
        people = union(chosen.tolist())
        if len(chosen) >= 2 and not 0 < people < k:
            return hidden, False
        candidates = np.flatnonzero(~hidden & (groups > 0))
        if not len(candidates):
            return hidden, True
        # The smallest shown cell; ties go to the first.
        hidden[candidates[np.argmin(groups[candidates])]] = True
