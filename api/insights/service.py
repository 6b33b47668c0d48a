"""Insights for coordinators: summary, themes, trends, quotes and the CSV export.

Figures are counted over a snapshot (see `snapshot.py`) and passed through the
k-anonymity rule in `suppression.py`; a hidden figure is None and its path is listed in
`suppressed`.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlmodel import Session, col, select

from api.errors import NotFound
from api.insights.filters import Filters
from api.insights.rollup import derived
from api.insights.snapshot import EPOCH, Snapshot, day_number, week_label, week_of
from api.insights.suppression import Protected, complete, protect
from api.insights.tally import Query
from api.models import Answer, AnswerTheme, Theme

TOP_THEMES = 5
MAX_QUOTES = 20


@dataclass
class Report:
    """Figures under construction, with the paths of those hidden."""

    suppressed: list[str] = field(default_factory=list)

    def figure(self, path: str, value: float | None, hidden: bool) -> float | None:
        """Return a figure, or None (and note its path) when hidden."""
        if hidden:
            self.suppressed.append(path)
            return None
        return value


def query_for(snapshot: Snapshot, filters: Filters) -> Query:
    """Turn filters into snapshot codes, with dates widened to whole ISO weeks."""
    return Query(
        site=None if filters.site_id is None else snapshot.sites.find(filters.site_id),
        flow=None if filters.flow is None else snapshot.flows.find(filters.flow),
        question=None if filters.question is None else snapshot.questions.find(filters.question),
        lang=None if filters.language is None else snapshot.languages.find(filters.language),
        first_week=None if filters.since is None else int(week_of(day_number(filters.since))),
        last_week=None if filters.until is None else int(week_of(day_number(filters.until))),
    )


def period(query: Query) -> dict[str, date | None]:
    """Return the dates a query's whole weeks cover (Monday to Sunday)."""

    def monday(week: int) -> date:
        return EPOCH + timedelta(days=week * 7 - 3)

    return {
        "since": None if query.first_week is None else monday(query.first_week),
        "until": None if query.last_week is None else monday(query.last_week) + timedelta(days=6),
    }


def _protected(snapshot: Snapshot, name: str, query: Query, k: int) -> Protected:
    state = derived(snapshot)
    rows = state.family(name)
    vocabulary = {
        "site": len(snapshot.sites),
        "flow": len(snapshot.flows),
        "question": len(snapshot.questions),
        "lang": len(snapshot.languages),
    }
    return protect(state, rows, query, k, vocabulary)


# --- summary ---------------------------------------------------------------------------


def summary(
    snapshot: Snapshot, *, filters: Filters, k: int, themes: dict[int, Theme]
) -> dict[str, Any]:
    """Return participants, responses, completion, each question's faces and the top themes."""
    query = query_for(snapshot, filters)
    report = Report()
    answers = _protected(snapshot, "answers", query, k)
    total_hidden = bool(answers.hidden[0])
    result: dict[str, Any] = {
        "filters": filters.applied(),
        "period": period(query),
        "participants": report.figure("participants", int(answers.g[0]), total_hidden),
        "responses": report.figure("responses", int(answers.n[0]), total_hidden),
    }
    result.update(_completion(snapshot, query, k, report))
    result["questions"] = _questions(snapshot, query, k, report)
    ranked = _theme_rows(snapshot, query, k, Report(), themes, "top_themes")
    top = [row for row in ranked if row["count"]][:TOP_THEMES]  # hidden ones are None: left out
    result["top_themes"] = top
    result["suppressed"] = report.suppressed
    result["min_group"] = k
    return result


def _completion(snapshot: Snapshot, query: Query, k: int, report: Report) -> dict[str, Any]:
    status = _protected(snapshot, "runs", query, k)
    starts = _protected(snapshot, "starts", query, k)
    hidden, total_hidden = complete(
        status.g, status.hidden, bool(starts.hidden[0]), k, lambda c: status.union(c)
    )
    started, completed = int(starts.n[0]), int(status.n[1])
    completions = report.figure("completions", completed, bool(hidden[1]))
    shown_starts = report.figure("starts", started, total_hidden)
    rate = round(completed / started, 4) if started else None
    rate_hidden = completions is None or shown_starts is None
    return {
        "starts": shown_starts,
        "completions": completions,
        "completion_rate": report.figure("completion_rate", rate, rate_hidden and bool(started)),
    }


def _questions(snapshot: Snapshot, query: Query, k: int, report: Report) -> list[dict[str, Any]]:
    faces = _protected(snapshot, "faces", query, k)
    totals = _protected(snapshot, "questions", query, k)
    result = []
    for code in range(1, len(snapshot.pairs)):
        if not totals.n[code] and not faces.hidden[code * 6 + 1 : code * 6 + 6].any():
            continue
        flow, question = snapshot.pairs.values[code]
        cells = np.arange(code * 6 + 1, code * 6 + 6)
        hidden, total_hidden = complete(
            faces.g[cells],
            faces.hidden[cells],
            bool(totals.hidden[code]),
            k,
            _union_of(faces, cells),
        )
        path = f"questions[{flow}.{question}]"
        result.append(
            {
                "flow": flow,
                "question": question,
                "answers": report.figure(f"{path}.answers", int(totals.n[code]), total_hidden),
                "participants": report.figure(
                    f"{path}.participants", int(totals.g[code]), total_hidden
                ),
                "faces": {
                    str(value): report.figure(
                        f"{path}.faces.{value}", int(faces.n[cell]), bool(hidden[value - 1])
                    )
                    for value, cell in zip(range(1, 6), cells, strict=True)
                },
            }
        )
    return result


def _union_of(figures: Protected, cells: np.ndarray) -> Callable[[Iterable[int]], int]:
    """Return a function counting the people behind some of `cells` (by position)."""

    def union(chosen: Iterable[int]) -> int:
        return figures.union(cells[list(chosen)].tolist())

    return union


# --- themes ----------------------------------------------------------------------------


def _theme_rows(
    snapshot: Snapshot,
    query: Query,
    k: int,
    report: Report,
    themes: dict[int, Theme],
    section: str,
) -> list[dict[str, Any]]:
    tagged = _protected(snapshot, "themes", query, k)
    rows: list[dict[str, Any]] = []
    for theme_id, theme in themes.items():
        code = snapshot.themes.find(theme_id)
        n = int(tagged.n[code]) if code > 0 else 0
        g = int(tagged.g[code]) if code > 0 else 0
        hidden = bool(tagged.hidden[code]) if code > 0 else False
        path = f"{section}[{theme.slug}]"
        rows.append(
            {
                "id": theme_id,
                "slug": theme.slug,
                "name": theme.name,
                "count": report.figure(f"{path}.count", n, hidden),
                "contributors": report.figure(f"{path}.contributors", g, hidden),
                "status": theme.status,
                "note": theme.note,
            }
        )
    # Most mentioned first; hidden ones (count None) after the rest.
    rows.sort(key=lambda r: (-(r["count"] if r["count"] is not None else -1), r["slug"]))
    return rows


def themes_list(
    snapshot: Snapshot, *, filters: Filters, k: int, themes: dict[int, Theme]
) -> dict[str, Any]:
    """Return every theme with its answers and contributors, most mentioned first."""
    query = query_for(snapshot, filters)
    report = Report()
    rows = _theme_rows(snapshot, query, k, report, themes, "themes")
    return {
        "filters": filters.applied(),
        "period": period(query),
        "themes": rows,
        "suppressed": report.suppressed,
        "min_group": k,
    }


# --- trends ----------------------------------------------------------------------------


def trends(snapshot: Snapshot, *, filters: Filters, k: int) -> dict[str, Any]:
    """Return participants and responses for each ISO week."""
    query = query_for(snapshot, filters)
    report = Report()
    weeks = _protected(snapshot, "weeks", query, k)
    answers = _protected(snapshot, "answers", query, k)
    hidden, _ = complete(
        weeks.g, weeks.hidden, bool(answers.hidden[0]), k, lambda c: weeks.union(c)
    )
    start = derived(snapshot).week0
    rows: list[dict[str, Any]] = []
    for cell in np.flatnonzero((weeks.n > 0) | hidden):
        label = week_label(start + int(cell))
        path = f"weeks[{label}]"
        rows.append(
            {
                "week": label,
                "participants": report.figure(
                    f"{path}.participants", int(weeks.g[cell]), bool(hidden[cell])
                ),
                "responses": report.figure(
                    f"{path}.responses", int(weeks.n[cell]), bool(hidden[cell])
                ),
            }
        )
    return {
        "filters": filters.applied(),
        "period": period(query),
        "weeks": rows,
        "suppressed": report.suppressed,
        "min_group": k,
    }


# --- quotes ----------------------------------------------------------------------------


def quotes(
    session: Session,
    snapshot: Snapshot,
    *,
    theme_slug: str,
    filters: Filters,
    k: int,
    limit: int = 10,
) -> dict[str, Any]:
    """Return redacted quotes of a theme, newest first, only when k or more people said them."""
    theme = session.exec(select(Theme).where(Theme.slug == theme_slug)).first()
    if theme is None:
        raise NotFound(f"There is no theme {theme_slug!r}.")
    query = query_for(snapshot, filters)
    tagged = _protected(snapshot, "themes", query, k)
    code = snapshot.themes.find(theme.id)
    contributors = int(tagged.g[code]) if code > 0 else 0
    shown = code > 0 and not tagged.hidden[code] and contributors >= k
    texts: list[str] = []
    if shown:
        rows = session.exec(
            select(Answer.value)
            .join(AnswerTheme, col(AnswerTheme.answer_id) == col(Answer.id))
            .where(
                AnswerTheme.theme_id == theme.id,
                col(Answer.value).is_not(None),
                *_whole_weeks(filters, query).answer_clauses(),
            )
            .order_by(col(Answer.created_at).desc(), col(Answer.id).desc())
            .limit(limit * 3)
        ).all()
        seen: set[str] = set()
        for value in rows:
            text = " ".join((value or "").split())
            if text and text.lower() not in seen:
                seen.add(text.lower())
                texts.append(text)
            if len(texts) >= limit:
                break
    return {
        "theme": {"id": theme.id, "slug": theme.slug, "name": theme.name},
        "filters": filters.applied(),
        "period": period(query),
        "quotes": texts,
        "suppressed": [] if shown else ["quotes"],
        "min_group": k,
    }


def _whole_weeks(filters: Filters, query: Query) -> Filters:
    """Return filters with their dates widened to the whole weeks figures use."""
    dates = period(query)
    return filters.model_copy(update=dates)


# --- export ----------------------------------------------------------------------------

EXPORT_COLUMNS = ("section", "item", "measure", "value", "suppressed")


def export_rows(
    snapshot: Snapshot, *, filters: Filters, k: int, themes: dict[int, Theme]
) -> list[tuple[str, str, str, str, str]]:
    """Return the summary, theme and weekly figures as rows for a spreadsheet."""
    rows: list[tuple[str, str, str, str, str]] = []

    def add(section: str, item: str, measure: str, value: Any, path: str, hidden: set[str]) -> None:
        gone = path in hidden
        rows.append(
            (
                section,
                item,
                measure,
                "" if gone or value is None else str(value),
                "yes" if gone else "",
            )
        )

    top = summary(snapshot, filters=filters, k=k, themes=themes)
    hidden = set(top["suppressed"])
    for measure in ("participants", "responses", "starts", "completions", "completion_rate"):
        add("summary", "all", measure, top[measure], measure, hidden)
    for question in top["questions"]:
        item = f"{question['flow']}.{question['question']}"
        base = f"questions[{item}]"
        for measure in ("answers", "participants"):
            add("question", item, measure, question[measure], f"{base}.{measure}", hidden)
        for value, figure in question["faces"].items():
            add("question", item, f"face {value}", figure, f"{base}.faces.{value}", hidden)
    listed = themes_list(snapshot, filters=filters, k=k, themes=themes)
    hidden = set(listed["suppressed"])
    for theme in listed["themes"]:
        for measure in ("count", "contributors"):
            path = f"themes[{theme['slug']}].{measure}"
            add("theme", theme["slug"], measure, theme[measure], path, hidden)
    weekly = trends(snapshot, filters=filters, k=k)
    hidden = set(weekly["suppressed"])
    for week in weekly["weeks"]:
        for measure in ("participants", "responses"):
            path = f"weeks[{week['week']}].{measure}"
            add("week", week["week"], measure, week[measure], path, hidden)
    return rows


# --- participation of a check-in code (outreach) ---------------------------------------


def checkin_stats(session: Session, *, code: str, k: int) -> dict[str, Any]:
    """Return starts and completions of a check-in code, k-suppressed."""
    from api.models import Checkin, Run

    checkin = session.get(Checkin, code)
    if checkin is None:
        raise NotFound(f"There is no check-in code {code!r}.")
    runs = session.exec(select(Run.status, Run.pseudonym).where(Run.checkin_code == code)).all()
    done = {p for status, p in runs if status == "completed"}
    open_ = {p for status, p in runs if status != "completed"}
    people = [open_, done]
    groups = np.array([len(open_), len(done)], dtype=np.int64)
    report = Report()
    starters = len(done | open_)
    hidden, total_hidden = complete(
        groups,
        (groups > 0) & (groups < k),
        0 < starters < k,
        k,
        lambda cells: len(set().union(*(people[c] for c in cells))),
    )
    starts = len(runs)
    completions = sum(1 for status, _ in runs if status == "completed")
    shown_starts = report.figure("starts", starts, total_hidden)
    shown_completions = report.figure("completions", completions, bool(hidden[1]))
    rate = round(completions / starts, 4) if starts else None
    return {
        "code": code,
        "site_id": checkin.site_id,
        "flow": checkin.flow,
        "starts": shown_starts,
        "completions": shown_completions,
        "completion_rate": report.figure(
            "completion_rate",
            rate,
            bool(starts) and (shown_starts is None or shown_completions is None),
        ),
        "suppressed": report.suppressed,
        "min_group": k,
    }
