"""Routes: the theme codebook, its status, retagging, and discovery of new themes."""

import asyncio
import logging
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, FastAPI, Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import inspect

from api.deps import CoordinatorKey, SessionDep, SettingsDep
from api.insights import counters
from api.insights.filters import MAX_ID, Filters
from api.models import Theme, ThemeProposal
from api.themes import candidates, service
from api.themes.retagging import Retagger, retag_status

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/v1/themes", tags=["themes"])

Terms = dict[str, list[str]]


class ThemeOut(BaseModel):
    """A theme of the codebook."""

    id: int
    slug: str
    name: str
    terms: Terms
    exclude: Terms
    status: Literal["heard", "planned", "done", "not_possible"]
    note: str
    source: str
    updated_at: datetime

    @classmethod
    def of(cls, theme: Theme) -> "ThemeOut":
        return cls(
            id=theme.id or 0,
            slug=theme.slug,
            name=theme.name,
            terms=theme.terms,
            exclude=theme.exclude or {},
            status=theme.status,  # type: ignore[arg-type]
            note=theme.note,
            source=theme.source,
            updated_at=theme.updated_at,
        )


class ThemeCreate(BaseModel):
    """A new theme: a name and its terms by language (`{"en": ["queue", "waiting*"]}`)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    terms: Terms
    slug: str | None = Field(default=None, description="Made from the name when left out.")
    exclude: Terms = Field(default_factory=dict, description="Idioms that do not mean the theme.")


class ThemeUpdate(BaseModel):
    """A new name, or new terms (which replace the old ones for every language given)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=80)
    terms: Terms | None = None
    exclude: Terms | None = None


class StatusUpdate(BaseModel):
    """What is being done about a theme, with a short note people can read."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["heard", "planned", "done", "not_possible"]
    note: str = Field(default="", max_length=service.NOTE_CHARS)


class RetagStatus(BaseModel):
    """Whether stored answers are tagged with the current codebook."""

    codebook_version: int
    tagged_version: int
    pending: bool = Field(description="True while answers still carry tags of an older codebook.")
    running: bool = Field(description="True while this API process is retagging.")


class DiscoverRequest(Filters):
    """Which answers to look at (all filters optional) and how many themes to propose at most."""

    max_themes: int = Field(default=8, ge=1, le=20)


class ProposalOut(BaseModel):
    """A proposed theme. Size, contributors and quotes show only for groups of k people or more."""

    id: int
    name: str
    terms: list[str]
    size: int | None
    contributors: int | None
    examples: list[str]
    status: str


class DiscoverResult(BaseModel):
    """The proposals found, and how many answers were looked at."""

    answers: int | None
    proposals: list[ProposalOut]
    suppressed: list[str] = Field(description="Figures left out because fewer than k people.")


class AcceptRequest(BaseModel):
    """The name to give the new theme, and optionally its terms (the proposal's by default)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    terms: Terms | None = None


def get_retagger(request: Request) -> Retagger:
    """Return this app's retagger."""
    retagger: Retagger = request.app.state.retagger
    return retagger


RetaggerDep = Annotated[Retagger, Depends(get_retagger)]
ThemeId = Annotated[int, Path(ge=1, le=MAX_ID)]
ProposalId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _proposal_out(row: ThemeProposal, k: int, suppressed: list[str], index: int) -> ProposalOut:
    small = 0 < row.contributors < k
    if small:
        suppressed.extend([f"proposals[{index}].size", f"proposals[{index}].contributors"])
    return ProposalOut(
        id=row.id or 0,
        name=row.name,
        terms=row.terms,
        size=None if small else row.size,
        contributors=None if small else row.contributors,
        examples=[] if small else row.examples,
        status=row.status,
    )


@router.get("", summary="List the codebook", response_model=list[ThemeOut])
def list_themes(_key: CoordinatorKey, session: SessionDep) -> list[ThemeOut]:
    """Every theme with its terms in each language, its status and note, and its source."""
    return [ThemeOut.of(theme) for theme in service.list_themes(session)]


@router.get("/retag", summary="Retagging progress", response_model=RetagStatus)
def get_retag(_key: CoordinatorKey, request: Request, retagger: RetaggerDep) -> RetagStatus:
    """Whether answers are tagged with the current codebook, or a retag is still due."""
    return RetagStatus.model_validate(retag_status(request.app.state.engine, retagger))


@router.post("/discover", summary="Propose new themes", response_model=DiscoverResult)
def discover(
    body: DiscoverRequest, _key: CoordinatorKey, session: SessionDep, settings: SettingsDep
) -> DiscoverResult:
    """Cluster free-text answers that no theme covers (or that chose "other") into proposals.

    Each proposal has its top terms; quotes (redacted) appear only when at least
    `HEARD_MIN_GROUP` people are in the group. Earlier open proposals are replaced.
    """
    filters = Filters(**body.model_dump(exclude={"max_themes"}))
    k = settings.min_group
    rows, answers, people = candidates.discover_themes(
        session, filters=filters, max_themes=body.max_themes, min_group=k
    )
    suppressed: list[str] = []
    proposals = [_proposal_out(row, k, suppressed, i) for i, row in enumerate(rows)]
    shown: int | None = answers
    if 0 < people < k:
        shown = None
        suppressed.append("answers")
    return DiscoverResult(answers=shown, proposals=proposals, suppressed=suppressed)


@router.get("/proposals", summary="List open theme proposals", response_model=list[ProposalOut])
def list_proposals(
    _key: CoordinatorKey, session: SessionDep, settings: SettingsDep
) -> list[ProposalOut]:
    """The proposals of the last discovery that nobody has accepted yet."""
    suppressed: list[str] = []
    rows = candidates.list_proposals(session)
    return [_proposal_out(row, settings.min_group, suppressed, i) for i, row in enumerate(rows)]


@router.post(
    "/proposals/{proposal_id}/accept",
    summary="Accept a proposed theme",
    status_code=201,
    response_model=ThemeOut,
)
def accept_proposal(
    proposal_id: ProposalId,
    body: AcceptRequest,
    _key: CoordinatorKey,
    session: SessionDep,
    retagger: RetaggerDep,
    background: BackgroundTasks,
) -> ThemeOut:
    """Add the proposal to the codebook (source "discovered"); answers are retagged after."""
    theme = candidates.accept_proposal(
        session, proposal_id=proposal_id, name=body.name, terms=body.terms
    )
    background.add_task(retagger.request)
    return ThemeOut.of(theme)


@router.post("", summary="Add a theme", status_code=201, response_model=ThemeOut)
def create_theme(
    body: ThemeCreate,
    _key: CoordinatorKey,
    session: SessionDep,
    retagger: RetaggerDep,
    background: BackgroundTasks,
) -> ThemeOut:
    """Add a theme with its terms; stored answers are retagged in the background."""
    theme = service.create_theme(
        session, name=body.name, terms=body.terms, slug=body.slug, exclude=body.exclude
    )
    background.add_task(retagger.request)
    return ThemeOut.of(theme)


@router.patch("/{theme_id}", summary="Rename a theme or change its terms", response_model=ThemeOut)
def update_theme(
    theme_id: ThemeId,
    body: ThemeUpdate,
    _key: CoordinatorKey,
    session: SessionDep,
    retagger: RetaggerDep,
    background: BackgroundTasks,
) -> ThemeOut:
    """Change the name or the terms; new terms retag stored answers in the background."""
    theme = service.update_theme(
        session, theme_id=theme_id, name=body.name, terms=body.terms, exclude=body.exclude
    )
    if body.terms is not None or body.exclude is not None:
        background.add_task(retagger.request)
    return ThemeOut.of(theme)


@router.delete("/{theme_id}", summary="Delete a theme", status_code=204)
def delete_theme(
    theme_id: ThemeId,
    _key: CoordinatorKey,
    session: SessionDep,
    retagger: RetaggerDep,
    background: BackgroundTasks,
) -> Response:
    """Remove a theme and its tags (409 if people were sent an update about it)."""
    service.delete_theme(session, theme_id=theme_id)
    background.add_task(retagger.request)
    return Response(status_code=204)


@router.put("/{theme_id}/status", summary="Set a theme's status", response_model=ThemeOut)
def set_status(
    theme_id: ThemeId, body: StatusUpdate, _key: CoordinatorKey, session: SessionDep
) -> ThemeOut:
    """Say what is happening about a theme: heard, planned, done or not_possible, with a note."""
    theme = service.set_status(session, theme_id=theme_id, status=body.status, note=body.note)
    return ThemeOut.of(theme)


def setup(app: FastAPI) -> None:
    """Seed the codebook at start-up, and finish any retag a restart cut short."""
    engine = app.state.engine
    retagger = Retagger(engine)
    app.state.retagger = retagger
    pending: list[asyncio.Future[None]] = []

    def prepare() -> bool:
        if not inspect(engine).has_table("theme"):
            logger.warning("no theme table yet; run `heard db upgrade`")
            return False
        counters.install(engine)
        service.seed_codebook(engine)
        return bool(retag_status(engine)["pending"])

    async def start(app: FastAPI) -> None:
        if await asyncio.to_thread(prepare):
            retagger.expect()
            pending.append(asyncio.get_running_loop().run_in_executor(None, retagger.request))

    async def stop(app: FastAPI) -> None:
        retagger.stop()
        for future in pending:
            await future

    app.state.startup_hooks.append(start)
    app.state.shutdown_hooks.append(stop)
