"""No combination of filters reveals a suppressed figure (a property test).

Hypothesis builds small datasets of runs and answers, asks for the summary, themes and
trends under every combination of a few filters, and plays the attacker with what came
back. Each attack subtracts released figures:

- a table's total minus its shown cells (faces of a question; weeks of a period);
- the same figure under coarser filters minus under finer ones (unfiltered minus filtered,
  filter A minus filter A-and-B, a wider date range minus a narrower one);
- a figure minus the same figure for each value of one more filter (site 1 + site 2...).

For each result, an oracle written here from the raw rows (not from the code under
test) says how many people it describes. That number must never be 1 to k-1.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import product
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from api.db import create_schema, make_engine, session_scope
from api.insights import service
from api.insights.filters import Filters
from api.insights.snapshot import SnapshotStore, day_number, week_label, week_of
from api.models import Answer, AnswerTheme, Run, Site, Theme

K = 3
MONDAY = date(2026, 3, 2)
WEEKS = 3
QUESTIONS = {"checkin": ("how", "hard"), "feedback": ("staff", "hard")}
FACE_QUESTIONS = {"how", "staff"}
THEMES = ("waiting_times", "staff_attitude")


@dataclass(frozen=True)
class Row:
    """One answer as the oracle sees it."""

    person: int
    site: int
    flow: str
    question: str
    lang: str
    week: int
    number: int | None
    themes: tuple[str, ...]


@dataclass(frozen=True)
class RunRow:
    person: int
    site: int
    flow: str
    lang: str
    week: int
    completed: bool
    questions: frozenset[str]


runs_strategy = st.lists(
    st.tuples(
        st.integers(1, 9),  # person
        st.sampled_from([1, 2, 3]),  # site
        st.sampled_from(["checkin", "feedback"]),
        st.sampled_from(["en", "pl"]),
        st.integers(0, WEEKS - 1),
        st.booleans(),  # completed
        st.lists(  # answers: (is the face question, face, themes)
            st.tuples(
                st.booleans(),
                st.integers(1, 3),
                st.sets(st.sampled_from(THEMES), max_size=2),
            ),
            min_size=1,
            max_size=2,
        ),
    ),
    min_size=1,
    max_size=22,
)

DIMENSIONS = ("site_id", "flow", "question", "language", "dates")
CHOICES: dict[str, list[Any]] = {
    "site_id": [None, 1, 2, 3],
    "flow": [None, "checkin", "feedback"],
    "question": [None, "how", "staff", "hard"],
    "language": [None, "en", "pl"],
    "dates": [
        (a, b) for a in (None, 0, 1, 2) for b in (None, 0, 1, 2) if a is None or b is None or a <= b
    ],
}


def _store(runs: list[Any]) -> tuple[SnapshotStore, dict[int, Theme], list[Row], list[RunRow]]:
    engine = make_engine("sqlite://")
    create_schema(engine)
    rows: list[Row] = []
    run_rows: list[RunRow] = []
    with session_scope(engine) as session:
        session.add_all([Site(id=i, name=f"site {i}") for i in (1, 2, 3)])
        themes = {slug: Theme(slug=slug, name=slug, terms={"en": [slug]}) for slug in THEMES}
        session.add_all(themes.values())
        session.flush()
        for person, site, flow, lang, week, completed, answers in runs:
            at = datetime.combine(
                MONDAY + timedelta(days=7 * week + person % 7), datetime.min.time()
            )
            run = Run(
                pseudonym=f"person-{person:04d}-abcdefgh",
                flow=flow,
                site_id=site,
                language=lang,
                status="completed" if completed else "stopped",
                started_at=at,
                ended_at=at,
            )
            session.add(run)
            session.flush()
            asked = set()
            for is_face, face, tags in answers:
                question = QUESTIONS[flow][0 if is_face else 1]
                asked.add(question)
                answer = Answer(
                    run_id=run.id,
                    pseudonym=run.pseudonym,
                    site_id=site,
                    flow=flow,
                    question=question,
                    result=question,
                    category="x",
                    value=str(face) if is_face else "some words",
                    number=face if is_face else None,
                    free_text=not is_face,
                    language=lang,
                    created_at=at,
                )
                session.add(answer)
                session.flush()
                kept = tuple(sorted(tags)) if not is_face else ()
                for slug in kept:
                    session.add(AnswerTheme(answer_id=answer.id, theme_id=themes[slug].id))
                rows.append(
                    Row(person, site, flow, question, lang, week, face if is_face else None, kept)
                )
            run_rows.append(RunRow(person, site, flow, lang, week, completed, frozenset(asked)))
    with session_scope(engine) as session:
        by_id = {t.id: t for t in session.exec(select(Theme))}
    return SnapshotStore(engine), by_id, rows, run_rows


def _filters(choice: dict[str, Any]) -> Filters:
    first, last = choice.get("dates") or (None, None)
    return Filters(
        site_id=choice.get("site_id"),
        flow=choice.get("flow"),
        question=choice.get("question"),
        language=choice.get("language"),
        since=None if first is None else MONDAY + timedelta(days=7 * first + 2),
        until=None if last is None else MONDAY + timedelta(days=7 * last + 4),
    )


def _matches(row: Row | RunRow, choice: dict[str, Any]) -> bool:
    first, last = choice.get("dates") or (None, None)
    question = choice.get("question")
    if isinstance(row, RunRow):
        asked = question is None or question in row.questions
    else:
        asked = question is None or row.question == question
    return (
        (choice.get("site_id") is None or row.site == choice["site_id"])
        and (choice.get("flow") is None or row.flow == choice["flow"])
        and asked
        and (choice.get("language") is None or row.lang == choice["language"])
        and (first is None or row.week >= first)
        and (last is None or row.week <= last)
    )


def _week_label(week: int) -> str:
    return week_label(int(week_of(day_number(MONDAY + timedelta(days=7 * week)))))


def oracle(
    rows: list[Row], runs: list[RunRow], choice: dict[str, Any]
) -> dict[str, list[tuple[int, Any]]]:
    """Return, for every figure path, the (person, row) pairs it counts."""
    found: dict[str, list[tuple[int, Any]]] = {}

    def add(path: str, person: int, item: Any) -> None:
        found.setdefault(path, []).append((person, item))

    for index, row in enumerate(rows):
        if not _matches(row, choice):
            continue
        add("responses", row.person, index)
        add(f"weeks[{_week_label(row.week)}].responses", row.person, index)
        if row.number is not None:
            base = f"questions[{row.flow}.{row.question}]"
            add(f"{base}.answers", row.person, index)
            add(f"{base}.faces.{row.number}", row.person, index)
        for slug in row.themes:
            add(f"themes[{slug}].count", row.person, (index, slug))
            add(f"top_themes[{slug}].count", row.person, (index, slug))
    for index, run in enumerate(runs):
        if _matches(run, choice):
            add("starts", run.person, index)
            if run.completed:
                add("completions", run.person, index)
    return found


PEOPLE_SUFFIXES = (".participants", ".contributors")


def _rows_path(path: str) -> str:
    """Return the count-of-rows figure behind a count-of-people figure (or the path itself)."""
    if path == "participants":
        return "responses"
    if path.startswith("weeks[") and path.endswith(".participants"):
        return path.removesuffix(".participants") + ".responses"
    if path.endswith(".participants"):
        return path.removesuffix(".participants") + ".answers"
    if path.endswith(".contributors"):
        return path.removesuffix(".contributors") + ".count"
    return path


def _released(
    store: SnapshotStore, themes: dict[int, Theme], choice: dict[str, Any]
) -> dict[str, Any]:
    snapshot = store.current()
    filters = _filters(choice)
    figures: dict[str, Any] = {}
    summary = service.summary(snapshot, filters=filters, k=K, themes=themes)
    for name in ("participants", "responses", "starts", "completions"):
        figures[name] = summary[name]
    for question in summary["questions"]:
        base = f"questions[{question['flow']}.{question['question']}]"
        figures[f"{base}.answers"] = question["answers"]
        figures[f"{base}.participants"] = question["participants"]
        for value, count in question["faces"].items():
            figures[f"{base}.faces.{value}"] = count
    for theme in service.themes_list(snapshot, filters=filters, k=K, themes=themes)["themes"]:
        figures[f"themes[{theme['slug']}].count"] = theme["count"]
        figures[f"themes[{theme['slug']}].contributors"] = theme["contributors"]
    for week in service.trends(snapshot, filters=filters, k=K)["weeks"]:
        figures[f"weeks[{week['week']}].participants"] = week["participants"]
        figures[f"weeks[{week['week']}].responses"] = week["responses"]
    return figures


def _people(pairs: list[tuple[int, Any]]) -> set[int]:
    return {person for person, _ in pairs}


def _small(people: int) -> bool:
    return 0 < people < K


def _coarser(fine: dict[str, Any], coarse: dict[str, Any]) -> bool:
    """Say whether `coarse` selects a superset of what `fine` selects, whatever the data."""
    for name in ("site_id", "flow", "question", "language"):
        if coarse.get(name) is not None and coarse.get(name) != fine.get(name):
            return False
    a, b = fine.get("dates") or (None, None)
    c, d = coarse.get("dates") or (None, None)
    left = c is None or (a is not None and c <= a)
    right = d is None or (b is not None and d >= b)
    return left and right


def _attack(
    choices: list[dict[str, Any]],
    released: list[dict[str, Any]],
    truths: list[dict[str, list[tuple[int, Any]]]],
) -> list[str]:
    leaks: list[str] = []
    # 1. A table's total minus its shown cells.
    for choice, shown, truth in zip(choices, released, truths, strict=True):
        tables: dict[str, list[str]] = {}
        for path in shown:
            if ".faces." in path:
                tables.setdefault(path.split(".faces.")[0] + ".answers", []).append(path)
            elif path.startswith("weeks[") and path.endswith(".responses"):
                tables.setdefault("responses", []).append(path)
        for total, cells in tables.items():
            if shown.get(total) is None:
                continue
            hidden = [c for c in cells if shown[c] is None]
            people = set().union(*(_people(truth.get(c, [])) for c in hidden)) if hidden else set()
            if _small(len(people)):
                leaks.append(
                    f"{choice}: {total} minus shown cells isolates {len(people)}: {hidden}"
                )
    # 2. Coarser filters minus finer ones, for counts of rows and counts of people.
    for (fc, fs, ft), (cc, cs, ct) in product(
        zip(choices, released, truths, strict=True), repeat=2
    ):
        if fc is cc or not _coarser(fc, cc):
            continue
        for path, value in fs.items():
            if value is None or cs.get(path) is None:
                continue
            rows_path = _rows_path(path)
            fine_rows, coarse_rows = ft.get(rows_path, []), ct.get(rows_path, [])
            if rows_path != path:  # a count of people: the difference is people
                gone = _people(coarse_rows) - _people(fine_rows)
            else:  # a count of rows: the difference is rows, and the people behind them
                extra = set(coarse_rows) - set(fine_rows)
                gone = {person for person, _ in extra}
            if _small(len(gone)):
                leaks.append(f"{path}: {cc} minus {fc} isolates {len(gone)}")
    # 3. A figure minus its values of one more filter (rows add up; people may not).
    index = {tuple(sorted((k, v) for k, v in c.items())): i for i, c in enumerate(choices)}
    for i, choice in enumerate(choices):
        for name in ("site_id", "flow", "question", "language"):
            if choice.get(name) is not None:
                continue
            parts = []
            for value in CHOICES[name][1:]:
                key = tuple(sorted({**choice, name: value}.items()))
                if key in index:
                    parts.append(index[key])
            if len(parts) != len(CHOICES[name]) - 1:
                continue
            for path, total in released[i].items():
                if total is None or path == "participants" or path.endswith(PEOPLE_SUFFIXES):
                    continue  # people are not additive across values: one may be in two
                if name == "question" and path in ("starts", "completions"):
                    continue  # a run answers several questions: no partition
                hidden = [j for j in parts if released[j].get(path, 0) is None]
                people = (
                    set().union(*(_people(truths[j].get(path, [])) for j in hidden))
                    if hidden
                    else set()
                )
                if _small(len(people)):
                    leaks.append(f"{path}: {choice} minus its {name} values isolates {len(people)}")
    return leaks


@settings(
    max_examples=int(__import__("os").environ.get("HEARD_PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(runs=runs_strategy, dims=st.sets(st.sampled_from(DIMENSIONS), min_size=1, max_size=3))
def test_no_combination_of_filters_reveals_a_suppressed_figure(
    runs: list[Any], dims: set[str]
) -> None:
    store, themes, rows, run_rows = _store(runs)
    varied = sorted(dims)
    choices = [
        dict(zip(varied, values, strict=True)) for values in product(*(CHOICES[d] for d in varied))
    ]
    choices = [{k: v for k, v in c.items() if v is not None} for c in choices]
    released = [_released(store, themes, c) for c in choices]
    truths = [oracle(rows, run_rows, c) for c in choices]
    for choice, shown, truth in zip(choices, released, truths, strict=True):
        for path, value in shown.items():
            people = _people(truth.get(_rows_path(path), []))
            if value is not None:
                assert not _small(len(people)), (
                    f"{path} shown for {len(people)} people under {choice}"
                )
    leaks = _attack(choices, released, truths)
    assert leaks == [], "\n".join(leaks[:10])


def test_the_attacker_finds_leaks_when_nothing_is_suppressed() -> None:
    """The attack is not vacuous: with the rule switched off it finds a small group."""
    runs = [
        (p, 1, "checkin", "en", 0, True, [(True, 1 if p < 8 else 2, set())]) for p in range(1, 10)
    ]
    store, themes, rows, run_rows = _store(runs)
    choices = [{}]
    raw = oracle(rows, run_rows, {})
    released = [{path: len(pairs) for path, pairs in raw.items()}]
    released[0]["questions[checkin.how].faces.2"] = None  # hidden alone: total minus the rest
    assert _attack(choices, released, [raw]) != []
    shown = _released(store, themes, {})
    assert shown["questions[checkin.how].faces.2"] is None
    assert shown["questions[checkin.how].faces.1"] is None  # its complement
