"""Routes: insights for coordinators, and participation counts of a check-in for outreach.

Every figure that counts fewer than HEARD_MIN_GROUP people is null and its path is listed
in `suppressed`; see `api/insights/suppression.py` for the whole rule.
"""

import asyncio
import csv
import io
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import inspect
from sqlmodel import Session, col, select

from api.deps import CoordinatorKey, OutreachKey, SessionDep, SettingsDep
from api.insights import counters, service
from api.insights.filters import Filters
from api.insights.snapshot import SnapshotStore
from api.models import Theme

router = APIRouter(tags=["insights"])

FiltersQuery = Annotated[Filters, Query()]


class Period(BaseModel):
    """The whole ISO weeks the figures cover (null: open-ended)."""

    since: date | None
    until: date | None


class Figures(BaseModel):
    """Common to every insights response."""

    filters: dict[str, Any] = Field(description="The filters applied.")
    period: Period
    suppressed: list[str] = Field(description="Paths of figures hidden to protect small groups.")
    min_group: int = Field(description="k: the fewest people a shown figure may count.")


class QuestionFigures(BaseModel):
    """How people answered one face-scale question: answers per face, 1 (worst) to 5 (best)."""

    flow: str
    question: str
    answers: int | None
    participants: int | None
    faces: dict[str, int | None]


class ThemeFigures(BaseModel):
    """How often a theme came up, and how many people raised it."""

    id: int
    slug: str
    name: str
    count: int | None = Field(description="Answers tagged with the theme.")
    contributors: int | None = Field(description="Distinct people behind those answers.")
    status: str
    note: str


class Summary(Figures):
    """The headline figures."""

    participants: int | None
    responses: int | None = Field(description="Answers stored.")
    starts: int | None = Field(description="Flows started.")
    completions: int | None = Field(description="Flows completed.")
    completion_rate: float | None
    questions: list[QuestionFigures]
    top_themes: list[ThemeFigures]


class ThemesOut(Figures):
    """Every theme, most mentioned first."""

    themes: list[ThemeFigures]


class WeekFigures(BaseModel):
    """One ISO week."""

    week: str = Field(examples=["2026-W05"])
    participants: int | None
    responses: int | None


class TrendsOut(Figures):
    """Figures by ISO week."""

    weeks: list[WeekFigures]


class QuotesQuery(Filters):
    """Which theme to quote, how many quotes, and the usual filters."""

    theme: str = Field(min_length=1, max_length=64, description="The theme's slug.")
    limit: int = Field(default=10, ge=1, le=service.MAX_QUOTES)


class QuotedTheme(BaseModel):
    id: int | None
    slug: str
    name: str


class QuotesOut(Figures):
    """Redacted quotes, newest first; none unless k or more people raised the theme."""

    theme: QuotedTheme
    quotes: list[str]


class CheckinStats(BaseModel):
    """How a check-in code is doing: flows started and completed through it."""

    code: str
    site_id: int
    flow: str
    starts: int | None
    completions: int | None
    completion_rate: float | None
    suppressed: list[str]
    min_group: int


def _store(request: Request) -> SnapshotStore:
    store: SnapshotStore = request.app.state.insights_store
    return store


def _themes(session: Session) -> dict[int, Theme]:
    rows = session.exec(select(Theme).order_by(col(Theme.id)))
    return {t.id: t for t in rows if t.id is not None}


@router.get(
    "/v1/insights/summary",
    summary="Headline figures",
    response_model=Summary,
    tags=["insights"],
)
def get_summary(
    filters: FiltersQuery,
    _key: CoordinatorKey,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Participants, responses, completion, each face-scale question's answers and top themes."""
    themes = _themes(session)
    return _store(request).use(
        lambda snapshot: service.summary(
            snapshot, filters=filters, k=settings.min_group, themes=themes
        )
    )


@router.get("/v1/insights/themes", summary="Themes raised", response_model=ThemesOut)
def get_themes(
    filters: FiltersQuery,
    _key: CoordinatorKey,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Each theme with its answers, contributors, status and note, most mentioned first."""
    themes = _themes(session)
    return _store(request).use(
        lambda snapshot: service.themes_list(
            snapshot, filters=filters, k=settings.min_group, themes=themes
        )
    )


@router.get("/v1/insights/trends", summary="Figures by week", response_model=TrendsOut)
def get_trends(
    filters: FiltersQuery, _key: CoordinatorKey, request: Request, settings: SettingsDep
) -> dict[str, Any]:
    """Participants and responses for each ISO week that has any."""
    return _store(request).use(
        lambda snapshot: service.trends(snapshot, filters=filters, k=settings.min_group)
    )


@router.get("/v1/insights/quotes", summary="Quotes of a theme", response_model=QuotesOut)
def get_quotes(
    params: Annotated[QuotesQuery, Query()],
    _key: CoordinatorKey,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Redacted quotes of a theme, newest first, only when k or more people raised it.

    Quotes never carry a pseudonym or a time.
    """
    filters = Filters(**params.model_dump(exclude={"theme", "limit"}))
    return _store(request).use(
        lambda snapshot: service.quotes(
            session,
            snapshot,
            theme_slug=params.theme,
            filters=filters,
            k=settings.min_group,
            limit=params.limit,
        )
    )


@router.get(
    "/v1/insights/export.csv",
    summary="Figures as CSV",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def get_export(
    filters: FiltersQuery,
    _key: CoordinatorKey,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """The summary, theme and weekly figures, one per row; hidden ones are empty and marked."""
    themes = _themes(session)
    rows = _store(request).use(
        lambda snapshot: service.export_rows(
            snapshot, filters=filters, k=settings.min_group, themes=themes
        )
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(service.EXPORT_COLUMNS)
    writer.writerows(rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="heard-insights.csv"'},
    )


@router.get(
    "/v1/checkins/{code}/stats",
    summary="Participation of a check-in code",
    response_model=CheckinStats,
    tags=["checkins"],
)
def get_checkin_stats(
    code: str, _key: OutreachKey, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """Flows started and completed through this code; small numbers are hidden. Never answers."""
    return service.checkin_stats(session, code=code, k=settings.min_group)


def setup(app: FastAPI) -> None:
    """Give the app its insights snapshot, and make sure the counters and triggers exist."""
    engine = app.state.engine
    app.state.insights_store = SnapshotStore(engine, max_age=app.state.settings.insights_max_age)

    def prepare() -> None:
        if inspect(engine).has_table("counter"):
            counters.install(engine)

    async def start(app: FastAPI) -> None:
        await asyncio.to_thread(prepare)

    app.state.startup_hooks.append(start)
