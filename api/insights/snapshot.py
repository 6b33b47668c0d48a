"""A columnar copy of the answers, runs and theme tags that insights count, kept current.

Counting distinct participants over a million answers takes SQLite half a second and
more per GROUP BY (measured in bench/insights.py), and the k-anonymity checks need
several such counts per request. So each API process keeps the few columns insights
need as numpy arrays (about 25 bytes an answer) and counts there.

Keeping it current: new answers and runs are appended by id; runs that ended are picked
up by their end time; anything deleted or changed in place (forgetting, retention,
retagging) bumps `insights_version` through database triggers and the next request
reloads everything. On PostgreSQL an id may commit after a higher one: such gaps are
remembered, and a row arriving late for a gap also means a reload.
"""

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from api.insights import counters

T = TypeVar("T")
EPOCH = date(1970, 1, 1)
# A run's end time is written by the app's clock inside a transaction that may commit a
# little later; look back this far past the last end time seen so none is missed.
END_MARGIN = timedelta(minutes=10)
GAP_SECONDS = 120.0  # an id missing this long was rolled back, not committed late
FACE_MAX = 5
STATUS_ACTIVE, STATUS_COMPLETED, STATUS_OTHER = 0, 1, 2


def week_of(day: int | np.ndarray) -> Any:
    """Return the Monday-based week number of a day number (days since 1970-01-01)."""
    return (day + 3) // 7


def week_label(week: int) -> str:
    """Return the ISO week ("2026-W05") of a week number."""
    year, number, _ = (EPOCH + timedelta(days=int(week) * 7 - 3)).isocalendar()
    return f"{year}-W{number:02d}"


def day_number(value: date) -> int:
    """Return days since 1970-01-01."""
    return (value - EPOCH).days


class Vocabulary:
    """Codes for strings, in order of first sight (code 0 is kept for "none")."""

    def __init__(self) -> None:
        self.codes: dict[Any, int] = {None: 0}
        self.values: list[Any] = [None]

    def code(self, value: Any) -> int:
        """Return the code of a value, adding it when new."""
        found = self.codes.get(value)
        if found is None:
            found = self.codes[value] = len(self.values)
            self.values.append(value)
        return found

    def find(self, value: Any) -> int:
        """Return the code of a known value, or -1."""
        return self.codes.get(value, -1)

    def __len__(self) -> int:
        return len(self.values)


class Columns:
    """Growable numpy columns: appends never move rows a reader already holds a view of."""

    def __init__(self, dtypes: dict[str, Any]) -> None:
        self.dtypes = dtypes
        self.n = 0
        self.data = {name: np.zeros(1024, dtype=dt) for name, dt in dtypes.items()}

    def append(self, values: dict[str, np.ndarray]) -> None:
        """Add rows (one array per column, all the same length)."""
        m = len(next(iter(values.values())))
        if not m:
            return
        need = self.n + m
        for name, dt in self.dtypes.items():
            array = self.data[name]
            if need > len(array):
                grown = np.zeros(max(need, 2 * len(array)), dtype=dt)
                grown[: self.n] = array[: self.n]
                array = self.data[name] = grown
            array[self.n : need] = values[name]
        self.n = need

    def trim(self) -> None:
        """Give back room beyond an eighth more than the rows held (after a big first load)."""
        keep = max(1024, self.n + self.n // 8)
        for name, array in self.data.items():
            if len(array) > keep:
                self.data[name] = array[:keep].copy()

    def view(self, n: int) -> dict[str, np.ndarray]:
        """Return the first n rows of every column."""
        return {name: array[:n] for name, array in self.data.items()}


ANSWER_COLUMNS = {
    "id": np.int64,
    "pidx": np.int32,
    "site": np.int32,
    "flow": np.int16,
    "question": np.int16,
    "fq": np.int16,
    "lang": np.int16,
    "day": np.int32,
    "number": np.int8,
    "free": np.bool_,
    "run": np.int32,
}
RUN_COLUMNS = {
    "id": np.int64,
    "pidx": np.int32,
    "site": np.int32,
    "flow": np.int16,
    "lang": np.int16,
    "day": np.int32,
    "status": np.int8,
}
TAG_COLUMNS = {"row": np.int32, "theme": np.int32}


@dataclass(frozen=True)
class Snapshot:
    """An immutable view of the data at one moment; every figure of a request uses one."""

    generation: int
    answers: dict[str, np.ndarray]
    runs: dict[str, np.ndarray]
    tags: dict[str, np.ndarray]
    participants: int  # size of the participant index space
    sites: Vocabulary
    flows: Vocabulary
    questions: Vocabulary
    pairs: Vocabulary  # (flow, question) of face-scale questions
    languages: Vocabulary
    themes: Vocabulary  # theme ids
    lineage: int  # changes when the store reloads from scratch
    run_changes: list[int]  # rows of runs whose status changed, in order, since the reload
    shared: dict[Any, Any]  # kept for the whole lineage (see rollup.Derived)
    cache: dict[Any, Any] = field(default_factory=dict, compare=False)  # this snapshot only


def _day_sql(dialect: str, column: str) -> str:
    if dialect == "postgresql":
        return f"({column}::date - DATE '1970-01-01')"
    return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"


class SnapshotStore:
    """Hold this process's snapshot and bring it up to date before each use."""

    def __init__(self, engine: Engine, *, max_age: float = 0.0) -> None:
        self.engine = engine
        self.max_age = max_age
        self._lock = threading.RLock()
        self._snapshot: Snapshot | None = None
        self._checked_at = 0.0
        self._reset()

    def _reset(self) -> None:
        self.lineage = getattr(self, "lineage", 0) + 1
        self.run_changes: list[int] = []
        self.shared: dict[Any, Any] = {}
        self.version = -1
        self.generation = getattr(self, "generation", 0) + 1
        self.answers = Columns(ANSWER_COLUMNS)
        self.runs = Columns(RUN_COLUMNS)
        self.tags = Columns(TAG_COLUMNS)
        self.pseudonyms = Vocabulary()
        self.sites = Vocabulary()
        self.flows = Vocabulary()
        self.questions = Vocabulary()
        self.pairs = Vocabulary()
        self.languages = Vocabulary()
        self.themes = Vocabulary()
        self.max_answer = 0
        self.max_run = 0
        self.last_end: datetime | None = None
        self._appended = False
        self.answer_gaps: dict[int, float] = {}
        self.run_gaps: dict[int, float] = {}
        self._snapshot = None

    def use(self, work: Callable[[Snapshot], T]) -> T:
        """Run `work` on a current snapshot, holding the store so nothing changes meanwhile."""
        with self._lock:
            return work(self._current())

    def current(self) -> Snapshot:
        """Return a snapshot no older than `max_age` seconds (reloading after deletions)."""
        with self._lock:
            return self._current()

    def _current(self) -> Snapshot:
        now = time.monotonic()
        if self._snapshot is not None and now - self._checked_at < self.max_age:
            return self._snapshot
        with self.engine.connect() as connection:
            version = self._version(connection)
            if version != self.version:
                self._reset()
                self.version = version
            first = self.answers.n == 0
            changed = self._load(connection, now)
            if first:
                for columns in (self.answers, self.runs, self.tags):
                    columns.trim()
        self._checked_at = now
        if changed or self._snapshot is None:
            self.generation += 1
            self._snapshot = self._freeze()
        return self._snapshot

    def _version(self, connection: Connection) -> int:
        row = connection.execute(
            text("SELECT value FROM counter WHERE name = :name"),
            {"name": counters.INSIGHTS_VERSION},
        ).first()
        return int(row[0]) if row else 0

    def _freeze(self) -> Snapshot:
        return Snapshot(
            generation=self.generation,
            answers=self.answers.view(self.answers.n),
            runs=self.runs.view(self.runs.n),
            tags=self.tags.view(self.tags.n),
            participants=len(self.pseudonyms),
            sites=self.sites,
            flows=self.flows,
            questions=self.questions,
            pairs=self.pairs,
            languages=self.languages,
            themes=self.themes,
            lineage=self.lineage,
            run_changes=self.run_changes,
            shared=self.shared,
        )

    # --- loading -----------------------------------------------------------------------

    def _load(self, connection: Connection, now: float) -> bool:
        self._appended = False
        late = self._load_runs(connection, now) or self._load_answers(connection, now)
        if late:
            # A row committed after a higher id was read: rare; start again cleanly.
            self._reset()
            self.version = self._version(connection)
            self._load_runs(connection, now)
            self._load_answers(connection, now)
            return True
        ended = self._load_run_ends(connection)
        return ended or self._appended

    def _gap_filter(self, gaps: dict[int, float], now: float) -> str:
        for gap, seen in list(gaps.items()):
            if now - seen > GAP_SECONDS:
                del gaps[gap]
        return f" OR id IN ({','.join(str(g) for g in list(gaps)[:500])})" if gaps else ""

    def _note_gaps(self, gaps: dict[int, float], ids: list[int], before: int, now: float) -> None:
        expected = before + 1
        for value in ids:
            for missing in range(expected, min(value, expected + 1000)):
                gaps[missing] = now
            expected = max(expected, value + 1)

    def _key_sql(self, columns: str, stamp: str) -> str:
        """Return SQL joining a row's small text columns into one string (fewer Python objects)."""
        if self.engine.dialect.name == "postgresql":
            day, separator = f"to_char({stamp}, 'YYYY-MM-DD')", " || chr(31) || "
        else:
            day, separator = f"substr({stamp}, 1, 10)", " || char(31) || "
        parts = [f"coalesce(CAST({c} AS VARCHAR), '')" for c in columns.split(",")]
        return separator.join([*parts, day])

    def _load_runs(self, connection: Connection, now: float) -> bool:
        key = self._key_sql("flow,language,status", "started_at")
        sql = (
            f"SELECT id, pseudonym, site_id, {key} FROM run WHERE id > {int(self.max_run)}"
            f"{self._gap_filter(self.run_gaps, now)} ORDER BY id"
        )
        decoded: dict[str, tuple[int, int, int, int]] = {}
        for rows in _chunks(connection, sql):
            ids = [int(r[0]) for r in rows]
            if ids[0] <= self.max_run:
                return True
            self._note_gaps(self.run_gaps, ids, self.max_run, now)
            keys = [
                decoded.get(r[3]) or decoded.setdefault(r[3], self._run_key(r[3])) for r in rows
            ]
            self.runs.append(
                {
                    "id": np.array(ids, dtype=np.int64),
                    "pidx": np.array([self.pseudonyms.code(r[1]) for r in rows], dtype=np.int32),
                    "site": np.array([self.sites.code(r[2]) for r in rows], dtype=np.int32),
                    "flow": np.array([k[0] for k in keys], dtype=np.int16),
                    "lang": np.array([k[1] for k in keys], dtype=np.int16),
                    "status": np.array([k[2] for k in keys], dtype=np.int8),
                    "day": np.array([k[3] for k in keys], dtype=np.int32),
                }
            )
            self.max_run = ids[-1]
            self._appended = True
        return False

    def _run_key(self, key: str) -> tuple[int, int, int, int]:
        flow, language, status, day = key.split("\x1f")
        return (
            self.flows.code(flow),
            self.languages.code(language),
            _status(status),
            _day(day),
        )

    def _load_run_ends(self, connection: Connection) -> bool:
        query = "SELECT id, status, ended_at FROM run WHERE ended_at IS NOT NULL"
        params: dict[str, Any] = {}
        if self.last_end is not None:
            query += " AND ended_at >= :since"
            params["since"] = self.last_end
        ended = connection.execute(text(query), params).all()
        if not ended:
            return False
        rows = self._run_rows(np.array([int(r[0]) for r in ended], dtype=np.int64))
        wanted = np.array([_status(r[1]) for r in ended], dtype=np.int8)
        status = self.runs.data["status"]
        known = rows >= 0
        moved = known.copy()
        moved[known] = status[rows[known]] != wanted[known]
        status[rows[moved]] = wanted[moved]
        self.run_changes.extend(int(row) for row in rows[moved])
        stamps = [
            e if isinstance(e, datetime) else datetime.fromisoformat(str(e)) for *_, e in ended
        ]
        latest = max(stamps) - END_MARGIN
        if self.last_end is None or latest > self.last_end:
            self.last_end = latest
        return bool(moved.any())

    def _load_answers(self, connection: Connection, now: float) -> bool:
        key = self._key_sql("flow,question,language,number,free_text", "created_at")
        first = self.max_answer
        sql = (
            f"SELECT id, pseudonym, site_id, run_id, {key} FROM answer "
            f"WHERE id > {int(first)}{self._gap_filter(self.answer_gaps, now)} ORDER BY id"
        )
        decoded: dict[str, tuple[int, int, int, int, int, int, bool]] = {}
        index: dict[int, int] = {}
        for rows in _chunks(connection, sql):
            ids = [int(r[0]) for r in rows]
            if ids[0] <= self.max_answer:
                return True
            self._note_gaps(self.answer_gaps, ids, self.max_answer, now)
            keys = [
                decoded.get(r[4]) or decoded.setdefault(r[4], self._answer_key(r[4])) for r in rows
            ]
            start = self.answers.n
            linked = self._run_rows(np.array([r[3] or 0 for r in rows], dtype=np.int64))
            self.answers.append(
                {
                    "id": np.array(ids, dtype=np.int64),
                    "pidx": np.array([self.pseudonyms.code(r[1]) for r in rows], dtype=np.int32),
                    "site": np.array([self.sites.code(r[2]) for r in rows], dtype=np.int32),
                    "run": linked,
                    "flow": np.array([k[0] for k in keys], dtype=np.int16),
                    "question": np.array([k[1] for k in keys], dtype=np.int16),
                    "fq": np.array([k[2] for k in keys], dtype=np.int16),
                    "lang": np.array([k[3] for k in keys], dtype=np.int16),
                    "number": np.array([k[4] for k in keys], dtype=np.int8),
                    "day": np.array([k[5] for k in keys], dtype=np.int32),
                    "free": np.array([k[6] for k in keys], dtype=np.bool_),
                }
            )
            index.update((answer_id, start + offset) for offset, answer_id in enumerate(ids))
            self.max_answer = ids[-1]
            self._appended = True
        if self.max_answer > first:
            self._load_tags(connection, first, index)
        return False

    def _run_rows(self, ids: np.ndarray) -> np.ndarray:
        """Return the row of each run id (-1 when not loaded); run ids are loaded in order."""
        known = self.runs.data["id"][: self.runs.n]
        if not len(known):
            return np.full(len(ids), -1, dtype=np.int32)
        rows = np.searchsorted(known, ids)
        found = (rows < len(known)) & (known[np.minimum(rows, len(known) - 1)] == ids)
        return np.where(found, rows, -1).astype(np.int32)

    def _run_row(self, run_id: int) -> int | None:
        row = int(self._run_rows(np.array([run_id], dtype=np.int64))[0])
        return None if row < 0 else row

    def _answer_key(self, key: str) -> tuple[int, int, int, int, int, int, bool]:
        flow, question, language, number, free, day = key.split("\x1f")
        face = int(number) if number.isdigit() and 1 <= int(number) <= FACE_MAX else 0
        return (
            self.flows.code(flow),
            self.questions.code(question),
            self.pairs.code((flow, question)) if face else 0,
            self.languages.code(language),
            face,
            _day(day),
            free in ("1", "true", "True"),
        )

    def _load_tags(self, connection: Connection, after: int, index: dict[int, int]) -> None:
        sql = (
            "SELECT answer_id, theme_id FROM answer_theme "
            f"WHERE answer_id > {int(after)} AND answer_id <= {int(self.max_answer)}"
        )
        for rows in _chunks(connection, sql):
            self.tags.append(
                {
                    "row": np.array([index[a] for a, _ in rows], dtype=np.int32),
                    "theme": np.array([self.themes.code(t) for _, t in rows], dtype=np.int32),
                }
            )


def _chunks(connection: Connection, sql: str, size: int = 100_000) -> Iterator[list[Any]]:
    """Yield the rows of a query in chunks, through the driver's own cursor (much faster)."""
    raw = connection.connection.dbapi_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(size):
            yield list(rows)
    finally:
        cursor.close()


def _day(value: str) -> int:
    try:
        return day_number(date.fromisoformat(value))
    except ValueError:
        return 0


def _status(value: str | None) -> int:
    if value == "completed":
        return STATUS_COMPLETED
    if value in (None, "active"):
        return STATUS_ACTIVE
    return STATUS_OTHER
