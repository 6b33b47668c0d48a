"""Counting over a snapshot: families of rows, the filters as masks, and distinct counts.

A family is a set of countable rows (answers, face-scale answers, theme tags, runs), each
with a participant and a cell (what the figure is about: a face value of a question, a
theme, a week...). Every figure is, for one cell, a count of rows (`n`) and a count of
distinct participants behind them (`g`, the group k-anonymity is about).
"""

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from api.insights.snapshot import STATUS_COMPLETED, Snapshot, week_of

EQUALITY = ("site", "flow", "question", "lang")
_BITMAP_LIMIT = 24_000_000  # cells x participants above this: count distinct by sorting


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


@dataclass(frozen=True)
class Family:
    """Rows to count, aligned arrays: who, filter attributes, and the cell of each row."""

    name: str
    pidx: np.ndarray
    site: np.ndarray
    flow: np.ndarray
    question: np.ndarray | None  # None for runs (they match a question through answers)
    lang: np.ndarray
    week: np.ndarray
    cell: np.ndarray
    cells: int
    participants: int


@dataclass(frozen=True)
class Counts:
    """Per cell: rows (`n`) and distinct participants (`g`)."""

    n: np.ndarray
    g: np.ndarray


def distinct(
    family: Family, mask: np.ndarray, key: np.ndarray | None = None, keys: int = 0
) -> np.ndarray:
    """Return distinct participants per key among masked rows (key defaults to the cell)."""
    if key is None:
        key, keys = family.cell, family.cells
    size = max(keys, 1)
    rows = np.flatnonzero(mask)
    if not len(rows):
        return np.zeros(size, dtype=np.int64)
    people = family.pidx[rows].astype(np.int64)
    chosen = key[rows].astype(np.int64)
    span = max(family.participants, 1)
    if size * span <= _BITMAP_LIMIT:
        seen = np.zeros(size * span, dtype=np.bool_)
        seen[chosen * span + people] = True
        return seen.reshape(size, span).sum(axis=1, dtype=np.int64)
    pairs = np.unique(chosen * span + people)
    return np.bincount(pairs // span, minlength=size).astype(np.int64)


def count(family: Family, mask: np.ndarray) -> Counts:
    """Return rows and distinct participants per cell among masked rows."""
    n = np.bincount(family.cell[mask], minlength=max(family.cells, 1)).astype(np.int64)
    return Counts(n=n, g=distinct(family, mask))


def mask(family: Family, query: Query, snapshot: Snapshot) -> np.ndarray:
    """Return which rows of a family a query selects."""
    selected = np.ones(len(family.pidx), dtype=np.bool_)
    if query.site is not None:
        selected &= family.site == query.site
    if query.flow is not None:
        selected &= family.flow == query.flow
    if query.lang is not None:
        selected &= family.lang == query.lang
    if query.question is not None:
        if family.question is not None:
            selected &= family.question == query.question
        else:
            selected &= _runs_answering(snapshot, query.question, len(family.pidx))
    if query.first_week is not None:
        selected &= family.week >= query.first_week
    if query.last_week is not None:
        selected &= family.week <= query.last_week
    return selected


def _runs_answering(snapshot: Snapshot, question: int, runs: int) -> np.ndarray:
    """Return which runs hold an answer to a question (cached per snapshot)."""
    cache_key = ("runs_answering", question)
    found = snapshot.cache.get(cache_key)
    if found is None:
        answers = snapshot.answers
        rows = answers["run"][(answers["question"] == question) & (answers["run"] >= 0)]
        found = np.zeros(runs, dtype=np.bool_)
        found[rows[rows < runs]] = True
        snapshot.cache[cache_key] = found
    return found  # type: ignore[no-any-return]


# --- the families of a snapshot (built once per snapshot) ------------------------------


def family(snapshot: Snapshot, name: str) -> Family:
    """Return a family of rows of a snapshot: answers, faces, questions, themes, weeks, runs..."""
    found = snapshot.cache.get(("family", name))
    if found is None:
        found = _BUILDERS[name](snapshot)
        snapshot.cache[("family", name)] = found
    return found  # type: ignore[no-any-return]


def first_week(snapshot: Snapshot) -> int:
    """Return the earliest week with data (weeks are counted from here in week families)."""
    days = [a["day"] for a in (snapshot.answers, snapshot.runs) if len(a["day"])]
    return int(week_of(min(int(d.min()) for d in days))) if days else 0


def _answers(
    snapshot: Snapshot, rows: np.ndarray | None, name: str, cell: np.ndarray, cells: int
) -> Family:
    a = snapshot.answers
    pick = (lambda x: x) if rows is None else (lambda x: x[rows])
    return Family(
        name=name,
        pidx=pick(a["pidx"]),
        site=pick(a["site"]),
        flow=pick(a["flow"]),
        question=pick(a["question"]),
        lang=pick(a["lang"]),
        week=week_of(pick(a["day"])),
        cell=cell,
        cells=cells,
        participants=snapshot.participants,
    )


def _all_answers(snapshot: Snapshot) -> Family:
    n = len(snapshot.answers["pidx"])
    return _answers(snapshot, None, "answers", np.zeros(n, dtype=np.int64), 1)


def _faces(snapshot: Snapshot) -> Family:
    rows = np.flatnonzero(snapshot.answers["number"] > 0)
    fq = snapshot.answers["fq"][rows].astype(np.int64)
    cell = fq * 6 + snapshot.answers["number"][rows]
    return _answers(snapshot, rows, "faces", cell, len(snapshot.pairs) * 6)


def _questions(snapshot: Snapshot) -> Family:
    rows = np.flatnonzero(snapshot.answers["number"] > 0)
    cell = snapshot.answers["fq"][rows].astype(np.int64)
    return _answers(snapshot, rows, "questions", cell, len(snapshot.pairs))


def _themes(snapshot: Snapshot) -> Family:
    rows = snapshot.tags["row"]
    cell = snapshot.tags["theme"].astype(np.int64)
    return _answers(snapshot, rows, "themes", cell, len(snapshot.themes))


def _weeks(snapshot: Snapshot) -> Family:
    start = first_week(snapshot)
    a = snapshot.answers
    cell = (week_of(a["day"]) - start).astype(np.int64)
    cells = int(cell.max()) + 1 if len(cell) else 1
    return _answers(snapshot, None, "weeks", cell, cells)


def _runs(snapshot: Snapshot, name: str) -> Family:
    r = snapshot.runs
    completed = (r["status"] == STATUS_COMPLETED).astype(np.int64)
    week = week_of(r["day"])
    if name == "starts":
        cell, cells = np.zeros(len(completed), dtype=np.int64), 1
    else:  # "runs": not completed (0) or completed (1)
        cell, cells = completed, 2
    return Family(
        name=name,
        pidx=r["pidx"],
        site=r["site"],
        flow=r["flow"],
        question=None,
        lang=r["lang"],
        week=week,
        cell=cell,
        cells=cells,
        participants=snapshot.participants,
    )


_BUILDERS = {
    "answers": _all_answers,
    "faces": _faces,
    "questions": _questions,
    "themes": _themes,
    "weeks": _weeks,
    "runs": lambda s: _runs(s, "runs"),
    "starts": lambda s: _runs(s, "starts"),
}
