"""What insights keep between requests: the families of rows, and rollups that grow with them.

A rollup holds, for one family and one filter combination, the rows and distinct people
of every cell, with a bitmap of which (cell, person) pairs it has seen. When answers
arrive only the new rows are added in, so a request after new answers costs about what
one before them did; the first request for a combination counts it in full once.

Anything a new row cannot simply be added to (a run finishing, which moves it from one
cell to another; a deletion, which reloads the snapshot) drops the rollups concerned.
Every request runs under the snapshot store's lock, so nothing changes while it counts.
"""

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from api.insights.snapshot import STATUS_COMPLETED, Columns, Snapshot, week_of
from api.insights.tally import BITMAP_LIMIT, Family, Query, matches, select

CACHE_BYTES = 96_000_000
BULK_ROWS = 20_000  # batches bigger than this are marked through an unpacked block
FACE_CELLS = 6  # a face question's cells: 1..5 (0 unused)


def _room(value: int, least: int) -> int:
    """Return the smallest power of two at least `value` and `least`."""
    room = least
    while room < value:
        room *= 2
    return room


# Families over the same rows share their attribute columns; each has its own cells.
GROUPS = {
    "answers": "all",
    "weeks": "all",
    "faces": "face",
    "questions": "face",
    "themes": "tag",
    "runs": "run",
    "starts": "run",
}
_ATTRIBUTES = {
    "pidx": np.int32,
    "site": np.int32,
    "flow": np.int16,
    "question": np.int16,
    "lang": np.int16,
    "week": np.int32,
}
RUN_FAMILIES = ("runs", "starts")
FAMILIES = tuple(GROUPS)


class Rollup:
    """Rows and distinct people per key for one family and one filter combination."""

    def __init__(self, keys: int, span: int) -> None:
        self.keys = keys
        self.span = span
        self.rows = 0  # family rows already added in
        self.n = np.zeros(keys, dtype=np.int64)
        self.g = np.zeros(keys, dtype=np.int64)
        self.bits = np.zeros(keys * span // 8, dtype=np.uint8)

    @property
    def nbytes(self) -> int:
        return int(self.bits.nbytes + self.n.nbytes + self.g.nbytes)

    def add(self, keys: np.ndarray, people: np.ndarray) -> None:
        """Add rows given as (key, person)."""
        if not len(keys):
            return
        keys = keys.astype(np.int64, copy=False)
        self.n += np.bincount(keys, minlength=self.keys)
        codes = keys * self.span + people.astype(np.int64, copy=False)
        if len(codes) > BULK_ROWS:
            self._add_many(keys, codes)
            return
        codes = np.unique(codes)
        byte = codes >> 3
        bit = np.left_shift(1, codes & 7).astype(np.uint8)
        new = (self.bits[byte] & bit) == 0
        np.bitwise_or.at(self.bits, byte[new], bit[new])
        self.g += np.bincount(codes[new] // self.span, minlength=self.keys)

    def _add_many(self, keys: np.ndarray, codes: np.ndarray) -> None:
        # Unpack a block of keys, mark, count and pack again: far faster than per-bit updates.
        block = max(8, (BITMAP_LIMIT // self.span) // 8 * 8)
        for start in range(0, self.keys, block):
            stop = min(self.keys, start + block)
            inside = (keys >= start) & (keys < stop)
            if not inside.any():
                continue
            lo, hi = start * self.span // 8, stop * self.span // 8
            dense = np.unpackbits(self.bits[lo:hi], bitorder="little").view(np.bool_)
            before = dense.reshape(stop - start, self.span).sum(axis=1, dtype=np.int64)
            dense[codes[inside] - start * self.span] = True
            after = dense.reshape(stop - start, self.span).sum(axis=1, dtype=np.int64)
            self.g[start:stop] += after - before
            self.bits[lo:hi] = np.packbits(dense, bitorder="little")

    def seen(self, keys: np.ndarray, people: np.ndarray) -> np.ndarray:
        """Return which (key, person) pairs have been added."""
        codes = keys.astype(np.int64) * self.span + people.astype(np.int64)
        bit = np.left_shift(1, codes & 7).astype(np.uint8)
        found: np.ndarray = (self.bits[codes >> 3] & bit) != 0
        return found


class WeekRows:
    """Rows per (week, cell) for one family and one filter combination without dates."""

    def __init__(self, weeks: int, cells: int) -> None:
        self.weeks, self.cells = weeks, cells
        self.rows = 0
        self.n = np.zeros((weeks, cells), dtype=np.int64)

    @property
    def nbytes(self) -> int:
        return int(self.n.nbytes)


@dataclass
class _Group:
    """Rows several families share, as they grow: all answers, face answers, tags or runs."""

    columns: Columns  # attributes copied out of the snapshot (all answers and runs: weeks only)
    last_week: int = -(2**31)
    sorted_weeks: bool = True

    def append(self, values: dict[str, np.ndarray]) -> None:
        week = values["week"]
        if len(week):
            if int(week[0]) < self.last_week or bool((np.diff(week) < 0).any()):
                self.sorted_weeks = False
            self.last_week = max(self.last_week, int(week.max()))
        self.columns.append(values)


class Derived:
    """Families and rollups of one snapshot lineage, brought up to date before each use."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.lineage = snapshot.lineage
        self.span = _room(snapshot.participants, 1024)
        days = [a["day"] for a in (snapshot.answers, snapshot.runs) if len(a["day"])]
        self.week0 = int(week_of(min(int(d.min()) for d in days))) - 1 if days else 0
        self.week_room = _room(
            max((int(week_of(int(d.max()))) for d in days), default=self.week0) - self.week0 + 2, 64
        )
        self.groups = {
            "all": _Group(Columns({"week": np.int32})),
            "face": _Group(Columns(_ATTRIBUTES)),
            "tag": _Group(Columns(_ATTRIBUTES)),
            "run": _Group(Columns({"week": np.int32})),
        }
        self.cells = {name: Columns({"cell": np.int32}) for name in FAMILIES}
        self.cell_counts = dict.fromkeys(FAMILIES, 1)
        self.cell_counts["runs"] = 2  # not completed, completed: both exist even with no runs
        self.snapshot = snapshot
        self.answers_seen = self.tags_seen = self.runs_seen = self.run_changes_seen = 0
        self.answered = np.zeros((8, 1024), dtype=np.bool_)
        self.cache: OrderedDict[Any, Rollup | WeekRows] = OrderedDict()
        self.cache_bytes = 0
        self.views: dict[str, Family] = {}
        self.memo: dict[Any, Any] = {}  # results for the current rows only

    # --- keeping up ----------------------------------------------------------------------

    def fits(self, snapshot: Snapshot) -> bool:
        """Say whether this state can be brought up to `snapshot` by adding rows."""
        if snapshot.lineage != self.lineage or snapshot.participants > self.span:
            return False
        if len(snapshot.answers["day"]) > self.answers_seen:
            new = snapshot.answers["day"][self.answers_seen :]
            weeks = week_of(new)
            if int(weeks.min()) <= self.week0 or int(weeks.max()) - self.week0 >= self.week_room:
                return False
        if len(snapshot.runs["day"]) > self.runs_seen:
            weeks = week_of(snapshot.runs["day"][self.runs_seen :])
            if int(weeks.min()) <= self.week0 or int(weeks.max()) - self.week0 >= self.week_room:
                return False
        return True

    def sync(self, snapshot: Snapshot) -> None:
        """Add the rows that arrived since the last request, and note finished runs."""
        answers, tags, runs = snapshot.answers, snapshot.tags, snapshot.runs
        a0, a1 = self.answers_seen, len(answers["pidx"])
        t0, t1 = self.tags_seen, len(tags["row"])
        r0, r1 = self.runs_seen, len(runs["pidx"])
        if a1 > a0:
            self._add_answers(snapshot, a0, a1)
        if t1 > t0:
            self._add_tags(snapshot, t0, t1)
        if r1 > r0:
            self._add_runs(snapshot, r0, r1)
        if a1 > a0:
            self._mark_answered(snapshot, a0, a1)
        changes = snapshot.run_changes
        moved = np.array(changes[self.run_changes_seen :], dtype=np.int64)
        if len(moved):
            completed = (runs["status"][moved] == STATUS_COMPLETED).astype(np.int32)
            self.cells["runs"].data["cell"][moved] = completed
            self.run_changes_seen = len(changes)
        self.snapshot = snapshot
        if len(moved) or a1 > a0 or t1 > t0 or r1 > r0:
            self.views, self.memo = {}, {}
        self.answers_seen, self.tags_seen, self.runs_seen = a1, t1, r1
        for key in [k for k in self.cache if k[0] in RUN_FAMILIES or k[1] in RUN_FAMILIES]:
            # A run that finished moved cells; a new answer may make an old run answer a
            # question. Neither can be added in, so those counts start again: but only the
            # counts whose filters such a run passes (the others cannot have changed).
            query = key[1] if key[0] in RUN_FAMILIES else key[2]
            finished = len(moved) and matches(self.family("runs"), query, moved).any()
            if finished or (a1 > a0 and query.question is not None):
                self._drop(key)

    def _cells(self, name: str, cell: np.ndarray, count: int) -> None:
        self.cells[name].append({"cell": cell.astype(np.int32, copy=False)})
        self.cell_counts[name] = max(self.cell_counts[name], count)

    def _add_answers(self, snapshot: Snapshot, a0: int, a1: int) -> None:
        a = {name: column[a0:a1] for name, column in snapshot.answers.items()}
        week = week_of(a["day"]).astype(np.int32)
        self.groups["all"].append({"week": week})
        self._cells("answers", np.zeros(a1 - a0, dtype=np.int32), 1)
        self._cells("weeks", week - self.week0, self.week_room)
        faces = a["number"] > 0
        picked = {name: a[name][faces] for name in ("pidx", "site", "flow", "question", "lang")}
        self.groups["face"].append({**picked, "week": week[faces]})
        fq = a["fq"][faces].astype(np.int32)
        self._cells("faces", fq * FACE_CELLS + a["number"][faces], len(snapshot.pairs) * FACE_CELLS)
        self._cells("questions", fq, len(snapshot.pairs))

    def _add_tags(self, snapshot: Snapshot, t0: int, t1: int) -> None:
        rows = snapshot.tags["row"][t0:t1]
        a = snapshot.answers
        values = {name: a[name][rows] for name in ("pidx", "site", "flow", "question", "lang")}
        self.groups["tag"].append({**values, "week": week_of(a["day"][rows]).astype(np.int32)})
        self._cells("themes", snapshot.tags["theme"][t0:t1], len(snapshot.themes))

    def _add_runs(self, snapshot: Snapshot, r0: int, r1: int) -> None:
        r = {name: column[r0:r1] for name, column in snapshot.runs.items()}
        self.groups["run"].append({"week": week_of(r["day"]).astype(np.int32)})
        self._cells("runs", (r["status"] == STATUS_COMPLETED).astype(np.int32), 2)
        self._cells("starts", np.zeros(r1 - r0, dtype=np.int32), 1)

    def _mark_answered(self, snapshot: Snapshot, a0: int, a1: int) -> None:
        run = snapshot.answers["run"][a0:a1]
        question = snapshot.answers["question"][a0:a1]
        linked = run >= 0
        questions = _room(len(snapshot.questions), 8)
        runs = _room(len(snapshot.runs["pidx"]), 1024)
        if self.answered.shape != (questions, runs):
            grown = np.zeros((questions, runs), dtype=np.bool_)
            grown[: self.answered.shape[0], : self.answered.shape[1]] = self.answered
            self.answered = grown
        self.answered[question[linked], run[linked]] = True

    # --- reading -----------------------------------------------------------------------

    def family(self, name: str) -> Family:
        """Return a view of a family as of the last sync."""
        view = self.views.get(name)
        if view is not None:
            return view
        group = self.groups[GROUPS[name]]
        cells = self.cells[name]
        rows = cells.n
        if GROUPS[name] == "all":
            source = self.snapshot.answers
        elif GROUPS[name] == "run":
            source = self.snapshot.runs
        else:
            source = group.columns.view(rows)
        runs = name in RUN_FAMILIES
        count = self.cell_counts[name]
        view = Family(
            name=name,
            pidx=source["pidx"][:rows],
            site=source["site"][:rows],
            flow=source["flow"][:rows],
            question=None if runs else source["question"][:rows],
            lang=source["lang"][:rows],
            week=group.columns.view(rows)["week"],
            cell=cells.view(rows)["cell"],
            cells=count,
            cell_room=_room(count, 8),
            span=self.span,
            sorted_weeks=group.sorted_weeks,
            answered=self.answered[:, :rows] if runs else None,
        )
        self.views[name] = view
        return view

    def _remember(self, key: Any, made: Rollup | WeekRows) -> None:
        self.cache[key] = made
        self.cache_bytes += made.nbytes
        while self.cache_bytes > CACHE_BYTES and len(self.cache) > 1:
            self._drop(next(iter(self.cache)))

    def _drop(self, key: Any) -> None:
        gone = self.cache.pop(key, None)
        if gone is not None:
            self.cache_bytes -= gone.nbytes

    def rollup(
        self, family: Family, query: Query, by: str | None = None, values: int = 1
    ) -> Rollup:
        """Return a family's rollup under a query, keyed by cell (or by value of `by`, cell)."""
        room = _room(values, 4) if by else 1
        key = (family.name, query, by, room, family.cell_room)
        found = self.cache.get(key)
        if not isinstance(found, Rollup):
            found = Rollup(room * family.cell_room, self.span)
            self._remember(key, found)
        else:
            self.cache.move_to_end(key)
        if found.rows < len(family):
            chosen = select(family, query, found.rows, len(family)).rows()
            cells = family.cell[chosen].astype(np.int64)
            if by is not None:
                column = family.attribute(by)
                assert column is not None
                cells = column[chosen].astype(np.int64) * family.cell_room + cells
            found.add(cells, family.pidx[chosen])
            found.rows = len(family)
        return found

    def week_rows(self, family: Family, query: Query) -> WeekRows:
        """Return rows per (week, cell) of a family under a query's equality filters."""
        undated = query.weeks(None, None)
        key = ("weeks", family.name, undated, family.cell_room)
        found = self.cache.get(key)
        if not isinstance(found, WeekRows):
            found = WeekRows(self.week_room, family.cell_room)
            self._remember(key, found)
        if found.rows < len(family):
            chosen = select(family, undated, found.rows, len(family)).rows()
            flat = (family.week[chosen].astype(np.int64) - self.week0) * found.cells + family.cell[
                chosen
            ]
            found.n += np.bincount(flat, minlength=found.weeks * found.cells).reshape(
                found.weeks, found.cells
            )
            found.rows = len(family)
        return found


def derived(snapshot: Snapshot) -> Derived:
    """Return the families and rollups for a snapshot, added up to it."""
    state = snapshot.shared.get("derived")
    if not isinstance(state, Derived) or not state.fits(snapshot):
        state = Derived(snapshot)
        snapshot.shared["derived"] = state
    state.sync(snapshot)
    return state
