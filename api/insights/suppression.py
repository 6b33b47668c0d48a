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

from api.insights.rollup import Derived, Rollup
from api.insights.tally import Family, Query, distinct_rows, matches, select


@dataclass(frozen=True)
class Protected:
    """A family's figures for one request: rows, participants and which cells are hidden."""

    family: Family
    query: Query
    n: np.ndarray
    g: np.ndarray
    hidden: np.ndarray

    def union(self, cells: Iterable[int]) -> int:
        """Return the distinct people behind several cells together."""
        rows = select(self.family, self.query).rows()
        rows = rows[np.isin(self.family.cell[rows], list(cells))]
        return len(np.unique(self.family.pidx[rows]))


def small(values: np.ndarray, k: int) -> np.ndarray:
    """Return which values count 1 to k-1 people."""
    return (values > 0) & (values < k)


@dataclass(frozen=True)
class _Context:
    query: Query
    counts: Rollup
    n: np.ndarray
    g: np.ndarray


def _context(state: Derived, family: Family, query: Query) -> _Context:
    rollup = state.rollup(family, query)
    cells = max(family.cells, 1)
    return _Context(query, rollup, rollup.n[:cells], rollup.g[:cells])


def protect(
    state: Derived, family: Family, query: Query, k: int, vocabulary: dict[str, int]
) -> Protected:
    """Count a family's cells for a request and hide those rules 1-4 say to hide.

    `vocabulary` gives how many values each equality filter has (for rule 4).
    """
    key = ("protected", family.name, query, k)
    found = state.memo.get(key)
    if isinstance(found, Protected):
        return found
    here = _context(state, family, query)
    hidden = small(here.g, k)
    equalities = query.equalities()
    contexts = [here]
    for size in range(len(equalities) - 1, -1, -1):
        for kept in combinations(equalities, size):
            coarser = _context(state, family, query.without(set(equalities) - set(kept)))
            contexts.append(coarser)
            _differences(family, query, here, coarser, hidden, k)
    if query.dated():
        for context in contexts:
            for side in ("before", "after"):
                _widening(state, family, context, here, hidden, k, side)
    for name in equalities:
        _siblings(state, family, query, name, vocabulary[name], hidden, k)
    result = Protected(family=family, query=query, n=here.n, g=here.g, hidden=hidden)
    state.memo[key] = result
    return result


def _differences(
    family: Family, query: Query, here: _Context, there: _Context, hidden: np.ndarray, k: int
) -> None:
    """Rule 2: hide cells where a coarser request minus this one isolates a small group."""
    people = there.g - here.g
    hidden |= small(people, k)
    # The people behind the extra rows number at least `people`; count them only when
    # that bound does not already settle it.
    unsure = ~hidden & (there.n > here.n) & (people < k)
    if unsure.any():
        rows = select(family, there.query).rows()
        rows = rows[unsure[family.cell[rows]]]
        rows = rows[~matches(family, query, rows)]
        hidden |= unsure & small(distinct_rows(family, rows), k)


def _widening(
    state: Derived,
    family: Family,
    context: _Context,
    here: _Context,
    hidden: np.ndarray,
    k: int,
    side: str,
) -> None:
    """Rule 3: hide cells where widening the date range by its first busy week adds few people."""
    edge = context.query.first_week if side == "before" else context.query.last_week
    if edge is None:
        return
    # Cells whose difference so far is empty in rows, or in people: the first week that
    # adds any decides. Elsewhere the difference is already 0-or-k+ and only grows.
    rows_open = ~hidden & (context.n == here.n)
    people_open = ~hidden & (context.g == here.g)
    cells = max(family.cells, 1)
    if family.name == "weeks":
        # A week's cell only ever holds that week's rows: weeks outside the range are not
        # figures of this request, and widening the range adds them as figures of their own.
        inside = np.arange(cells) + state.week0
        outside = np.zeros(cells, dtype=np.bool_)
        if context.query.first_week is not None:
            outside |= inside < context.query.first_week
        if context.query.last_week is not None:
            outside |= inside > context.query.last_week
        rows_open &= ~outside
        people_open &= ~outside
    if not (rows_open | people_open).any():
        return
    table = state.week_rows(family, context.query).n[:, :cells]
    offset = edge - state.week0
    if side == "before":
        weeks = range(min(offset, table.shape[0]) - 1, -1, -1)
    else:
        weeks = range(max(offset + 1, 0), table.shape[0])
    rows_left = rows_open.copy()
    people_left = people_open.copy()
    for week in weeks:
        busy = table[week] > 0
        wanted = (rows_left | people_left) & busy
        if not wanted.any():
            if not (rows_left | people_left).any():
                return
            continue
        absolute = week + state.week0
        rows = select(family, context.query.weeks(absolute, absolute)).rows()
        rows = rows[wanted[family.cell[rows]]]
        if rows_left.any():
            settle = rows_left & busy
            hidden |= settle & small(distinct_rows(family, rows), k)
            rows_left &= ~settle
        if people_left.any():
            candidates = rows[people_left[family.cell[rows]]]
            new = ~context.counts.seen(family.cell[candidates], family.pidx[candidates])
            added = distinct_rows(family, candidates[new])
            settle = people_left & (added > 0)
            hidden |= settle & small(added, k)
            people_left &= ~settle


def _siblings(
    state: Derived,
    family: Family,
    query: Query,
    name: str,
    width: int,
    hidden: np.ndarray,
    k: int,
) -> None:
    """Rule 4: when small siblings together count 1..k-1 people, hide the smallest shown one."""
    values = family.attribute(name)
    if values is None:
        return  # runs match a question through their answers; that is no partition
    mine = getattr(query, name)
    if mine < 0 or width < 2:
        return
    cells = max(family.cells, 1)
    context = query.without([name])
    rollup = state.rollup(family, context, by=name, values=width)
    groups = rollup.g.reshape(-1, family.cell_room)[:width, :cells]
    tiny = small(groups, k)
    tiny[mine] = False
    open_cells = tiny.any(axis=0) & ~hidden
    if not open_cells.any():
        return
    # People behind all the small siblings of each open cell, counted once each.
    rows = select(family, context).rows()
    rows = rows[open_cells[family.cell[rows]]]
    rows = rows[tiny[values[rows], family.cell[rows]]]
    together = distinct_rows(family, rows)
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
