"""Counting over a snapshot: families of rows, the filters, and distinct counts.

A family is a set of countable rows (answers, face-scale answers, theme tags, runs), each
with a participant and a cell (what the figure is about: a face value of a question, a
theme, a week...). Every figure is, for one cell, a count of rows (`n`) and a count of
distinct participants behind them (`g`, the group k-anonymity is about).

Families grow as answers arrive (see `rollup.Derived`); rows keep their index for good.
Rows arrive in time order, so while a family's weeks never go backwards a date range is
one slice of rows rather than a scan.
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

EQUALITY = ("site", "flow", "question", "lang")
BITMAP_LIMIT = 24_000_000  # keys x people marked at once, at most (bytes)


@dataclass(frozen=True)
class Query:
    """Filters as snapshot codes (-1: a value with no data). Weeks are Monday-based numbers."""

    site: int | None = None
    flow: int | None = None
    question: int | None = None
    lang: int | None = None
    first_week: int | None = None
    last_week: int | None = None

    def equalities(self) -> tuple[str, ...]:
        """Return the names of the equality filters that are set."""
        return tuple(name for name in EQUALITY if getattr(self, name) is not None)

    def without(self, names: Iterable[str]) -> "Query":
        """Return this query with some equality filters dropped."""
        return replace(self, **{name: None for name in names})

    def weeks(self, first: int | None, last: int | None) -> "Query":
        """Return this query over another range of weeks."""
        return replace(self, first_week=first, last_week=last)

    def dated(self) -> bool:
        """Say whether the query has a date range."""
        return self.first_week is not None or self.last_week is not None


@dataclass(frozen=True)
class Family:
    """A view of a family's rows: who, filter attributes, and the cell of each row."""

    name: str
    pidx: np.ndarray
    site: np.ndarray
    flow: np.ndarray
    question: np.ndarray | None  # runs: which runs answered the question is looked up
    lang: np.ndarray
    week: np.ndarray
    cell: np.ndarray
    cells: int  # cells in use
    cell_room: int  # cells the keys leave room for (a power of two)
    span: int  # participant index room (a power of two, a multiple of 8)
    sorted_weeks: bool  # weeks never go backwards along the rows
    answered: np.ndarray | None = None  # runs only: question code -> runs answering it

    def __len__(self) -> int:
        return len(self.pidx)

    def attribute(self, name: str) -> np.ndarray | None:
        """Return the column of an equality filter."""
        column: np.ndarray | None = getattr(self, name)
        return column


@dataclass(frozen=True)
class Counts:
    """Per cell: rows (`n`) and distinct participants (`g`)."""

    n: np.ndarray
    g: np.ndarray


@dataclass(frozen=True)
class Selection:
    """The rows of a family a query selects: rows lo..hi, narrowed by a mask (None: all)."""

    lo: int
    hi: int
    mask: np.ndarray | None

    def rows(self) -> np.ndarray:
        """Return the selected row indices."""
        if self.mask is None:
            return np.arange(self.lo, self.hi)
        return np.flatnonzero(self.mask) + self.lo


def week_bounds(
    family: Family, first: int | None, last: int | None, lo: int, hi: int
) -> tuple[int, int]:
    """Return the rows lo..hi whose week lies in first..last (weeks sorted)."""
    week = family.week
    if first is not None:
        lo = max(lo, int(np.searchsorted(week, first, "left")))
    if last is not None:
        hi = min(hi, int(np.searchsorted(week, last, "right")))
    return lo, max(lo, hi)


def select(family: Family, query: Query, lo: int = 0, hi: int | None = None) -> Selection:
    """Return the rows among lo..hi that a query selects."""
    hi = len(family) if hi is None else hi
    if query.dated() and family.sorted_weeks:
        lo, hi = week_bounds(family, query.first_week, query.last_week, lo, hi)
        dates_done = True
    else:
        dates_done = not query.dated()
    mask: np.ndarray | None = None

    def narrow(condition: np.ndarray) -> None:
        nonlocal mask
        mask = condition if mask is None else mask & condition

    for name in ("site", "flow", "lang"):
        value = getattr(query, name)
        if value is not None:
            narrow(getattr(family, name)[lo:hi] == value)
    if query.question is not None:
        if family.question is not None:
            narrow(family.question[lo:hi] == query.question)
        else:
            narrow(_runs_answering(family, query.question)[lo:hi])
    if not dates_done:
        week = family.week[lo:hi]
        if query.first_week is not None:
            narrow(week >= query.first_week)
        if query.last_week is not None:
            narrow(week <= query.last_week)
    return Selection(lo, hi, mask)


def _runs_answering(family: Family, question: int) -> np.ndarray:
    if family.answered is None or question < 0 or question >= len(family.answered):
        return np.zeros(len(family), dtype=np.bool_)
    answered: np.ndarray = family.answered[question]
    return answered


def matches(family: Family, query: Query, rows: np.ndarray) -> np.ndarray:
    """Return which of some rows a query selects."""
    keep = np.ones(len(rows), dtype=np.bool_)
    for name in ("site", "flow", "lang"):
        value = getattr(query, name)
        if value is not None:
            keep &= getattr(family, name)[rows] == value
    if query.question is not None:
        if family.question is not None:
            keep &= family.question[rows] == query.question
        else:
            keep &= _runs_answering(family, query.question)[rows]
    if query.first_week is not None:
        keep &= family.week[rows] >= query.first_week
    if query.last_week is not None:
        keep &= family.week[rows] <= query.last_week
    return keep


def distinct_pairs(keys: np.ndarray, people: np.ndarray, size: int, span: int) -> np.ndarray:
    """Return, for each key in range(size), how many distinct people occur with it.

    A bitmap of keys x people marks each pair once; when that would be large, keys are
    taken in blocks so memory stays bounded (sorting a million pairs is several times
    slower than marking them).
    """
    size, span = max(size, 1), max(span, 1)
    result = np.zeros(size, dtype=np.int64)
    if not len(keys):
        return result
    keys = keys.astype(np.int64, copy=False)
    people = people.astype(np.int64, copy=False)
    block = max(1, BITMAP_LIMIT // span)
    for start in range(0, size, block):
        stop = min(size, start + block)
        if start == 0 and stop == size:
            chosen_keys, chosen_people = keys, people
        else:
            inside = (keys >= start) & (keys < stop)
            if not inside.any():
                continue
            chosen_keys, chosen_people = keys[inside] - start, people[inside]
        seen = np.zeros((stop - start) * span, dtype=np.bool_)
        seen[chosen_keys * span + chosen_people] = True
        result[start:stop] = seen.reshape(stop - start, span).sum(axis=1, dtype=np.int64)
    return result


def distinct_rows(family: Family, rows: np.ndarray) -> np.ndarray:
    """Return distinct participants per cell among some rows."""
    return distinct_pairs(family.cell[rows], family.pidx[rows], family.cells, family.span)
