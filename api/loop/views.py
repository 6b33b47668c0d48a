"""Routes: "you said, we did" updates for coordinators."""

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CoordinatorKey, SessionDep, SettingsDep
from api.insights.filters import MAX_ID
from api.loop import service
from api.loop.wording import MAX_CHARS

router = APIRouter(prefix="/v1/loop-updates", tags=["loop updates"])


class LoopUpdateCreate(BaseModel):
    """What changed about a theme, in plain words people can read on a phone."""

    model_config = ConfigDict(extra="forbid")

    theme_id: int = Field(ge=1, le=MAX_ID)
    text: str = Field(min_length=1, max_length=MAX_CHARS * 2)
    language: str = Field(default="en", min_length=2, max_length=8)


class LoopUpdateOut(BaseModel):
    """An update, and how many people it was queued and delivered to (null when fewer than k)."""

    id: int
    theme_id: int
    theme: str | None
    text: str
    created_at: datetime
    queued: int | None
    delivered: int | None
    suppressed: list[str]


@router.post(
    "", summary="Send a 'you said, we did' update", status_code=201, response_model=LoopUpdateOut
)
def post_update(
    body: LoopUpdateCreate, _key: CoordinatorKey, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """Queue the text to everyone who raised the theme and opted in to hear back.

    The text must be 300 characters or fewer and, in English, score 80 or more on
    reading ease, like flow texts; otherwise 422 says what to change. It also shows to
    anyone who sends the bot's "changes" command.
    """
    update = service.post_update(
        session, theme_id=body.theme_id, text=body.text, language=body.language
    )
    return service.show_update(session, update=update, k=settings.min_group)


@router.get("", summary="List 'you said, we did' updates", response_model=list[LoopUpdateOut])
def list_updates(
    _key: CoordinatorKey,
    session: SessionDep,
    settings: SettingsDep,
    limit: int = Query(default=100, ge=1, le=500),
) -> list[dict[str, Any]]:
    """The newest updates first, with how many were queued and delivered so far."""
    return service.list_updates(session, k=settings.min_group, limit=limit)
