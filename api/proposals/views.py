"""Routes: co-design proposals for coordinators, and their k-suppressed results."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CoordinatorKey, SessionDep, SettingsDep
from api.insights.filters import MAX_ID
from api.loop.wording import MAX_CHARS
from api.models import Proposal
from api.proposals import service

router = APIRouter(prefix="/v1/proposals", tags=["co-design"])
ProposalId = Annotated[int, Path(ge=1, le=MAX_ID)]


class ProposalCreate(BaseModel):
    """An idea to put to people, in plain words; for one site or (left out) every site."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=MAX_CHARS * 2)
    site_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    language: str = Field(default="en", min_length=2, max_length=8)


class ProposalOut(BaseModel):
    """A proposal people vote on in the co-design chat."""

    id: int
    text: str
    site_id: int | None
    status: Literal["open", "closed"]
    created_at: datetime

    @classmethod
    def of(cls, proposal: Proposal) -> "ProposalOut":
        return cls(
            id=proposal.id or 0,
            text=proposal.text,
            site_id=proposal.site_id,
            status=proposal.status,  # type: ignore[arg-type]
            created_at=proposal.created_at,
        )


class ProposalResults(BaseModel):
    """Votes by choice (yes, not_sure, no) and ideas; null where fewer than k people."""

    id: int
    text: str
    site_id: int | None
    status: str
    voters: int | None
    votes: dict[str, int | None]
    ideas: int | None = Field(description="Ideas people added (they are tagged like any text).")
    suppressed: list[str]
    min_group: int


@router.post("", summary="Open a proposal", status_code=201, response_model=ProposalOut)
def create_proposal(body: ProposalCreate, _key: CoordinatorKey, session: SessionDep) -> ProposalOut:
    """Offer an idea for people to vote on in the co-design chat.

    The text must be 300 characters or fewer and, in English, score 80 or more on reading
    ease, like flow texts; otherwise 422 says what to change.
    """
    proposal = service.create_proposal(
        session, text=body.text, site_id=body.site_id, language=body.language
    )
    return ProposalOut.of(proposal)


@router.get("", summary="List proposals", response_model=list[ProposalOut])
def list_proposals(
    _key: CoordinatorKey,
    session: SessionDep,
    status: Literal["open", "closed"] | None = Query(default=None),
) -> list[ProposalOut]:
    """Newest first; `status` shows only open or only closed ones."""
    return [ProposalOut.of(p) for p in service.list_proposals(session, status=status)]


@router.post("/{proposal_id}/close", summary="Close a proposal", response_model=ProposalOut)
def close_proposal(
    proposal_id: ProposalId, _key: CoordinatorKey, session: SessionDep
) -> ProposalOut:
    """Stop offering it in the chat; results stay readable."""
    return ProposalOut.of(service.close_proposal(session, proposal_id=proposal_id))


@router.get(
    "/{proposal_id}/results", summary="Results of a proposal", response_model=ProposalResults
)
def get_results(
    proposal_id: ProposalId, _key: CoordinatorKey, session: SessionDep, settings: SettingsDep
) -> dict[str, Any]:
    """Votes by choice and how many ideas came in; figures of fewer than k people are null."""
    return service.results(session, proposal_id=proposal_id, k=settings.min_group)
