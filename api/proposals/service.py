"""Co-design proposals: coordinators ask, participants vote and add ideas in `codesign`."""

from typing import Any

import numpy as np
from sqlalchemy import or_
from sqlmodel import Session, col, select

from api.errors import Conflict, NotFound
from api.insights.suppression import complete
from api.loop.wording import check_wording
from api.models import Answer, Proposal, Site

# The votes the built-in codesign flow offers, in its order; others are counted too.
VOTES = ("yes", "not_sure", "no")
VOTE_RESULT = "vote"
IDEA_RESULT = "idea"


def next_proposal(session: Session, *, pseudonym: str, site_id: int | None) -> Proposal | None:
    """Return the oldest open proposal (this site or all sites) this person has not answered."""
    answered = select(Answer.proposal_id).where(
        Answer.pseudonym == pseudonym, col(Answer.proposal_id).is_not(None)
    )
    where_site = (
        col(Proposal.site_id).is_(None)
        if site_id is None
        else or_(col(Proposal.site_id).is_(None), col(Proposal.site_id) == site_id)
    )
    return session.exec(
        select(Proposal)
        .where(Proposal.status == "open", where_site, col(Proposal.id).not_in(answered))
        .order_by(col(Proposal.created_at), col(Proposal.id))
        .limit(1)
    ).first()


def create_proposal(
    session: Session, *, text: str, site_id: int | None = None, language: str = "en"
) -> Proposal:
    """Open a proposal for people to vote on; the text is checked like flow text."""
    if site_id is not None and session.get(Site, site_id) is None:
        raise NotFound(f"There is no site {site_id}.")
    proposal = Proposal(text=check_wording(text, language=language), site_id=site_id)
    session.add(proposal)
    session.flush()
    return proposal


def get_proposal(session: Session, *, proposal_id: int) -> Proposal:
    """Return a proposal or raise NotFound."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(f"There is no proposal {proposal_id}.")
    return proposal


def list_proposals(session: Session, *, status: str | None = None) -> list[Proposal]:
    """Return proposals, newest first, optionally only open or closed ones."""
    query = select(Proposal).order_by(col(Proposal.created_at).desc(), col(Proposal.id).desc())
    if status is not None:
        query = query.where(Proposal.status == status)
    return list(session.exec(query).all())


def close_proposal(session: Session, *, proposal_id: int) -> Proposal:
    """Stop offering a proposal; its results stay."""
    proposal = get_proposal(session, proposal_id=proposal_id)
    if proposal.status == "closed":
        raise Conflict(f"Proposal {proposal_id} is closed already.")
    proposal.status = "closed"
    session.add(proposal)
    session.flush()
    return proposal


def results(session: Session, *, proposal_id: int, k: int) -> dict[str, Any]:
    """Return votes by choice and the number of ideas, small numbers hidden (k-anonymity).

    The votes are a table: its cells are the choices and its total the voters. A choice
    made by 1 to k-1 people is hidden, and then enough other choices (or the total) that
    the total minus the shown choices never gives it away.
    """
    proposal = get_proposal(session, proposal_id=proposal_id)
    rows = session.exec(
        select(Answer.result, Answer.category, Answer.pseudonym).where(
            Answer.proposal_id == proposal_id
        )
    ).all()
    voters: dict[str, set[str]] = {}
    for result, category, pseudonym in rows:
        if result == VOTE_RESULT:
            voters.setdefault(category, set()).add(pseudonym)
    choices = list(VOTES) + sorted(set(voters) - set(VOTES))
    people = [voters.get(choice, set()) for choice in choices]
    groups = np.array([len(p) for p in people], dtype=np.int64)
    everyone = set().union(*people)
    hidden, total_hidden = complete(
        groups,
        (groups > 0) & (groups < k),
        0 < len(everyone) < k,
        k,
        lambda cells: len(set().union(*(people[c] for c in cells))),
    )
    vote_rows = [r for r in rows if r[0] == VOTE_RESULT]
    idea_people = {p for result, _, p in rows if result == IDEA_RESULT}
    ideas = sum(1 for result, _, _ in rows if result == IDEA_RESULT)
    suppressed = [f"votes.{c}" for c, h in zip(choices, hidden, strict=True) if h]
    if total_hidden:
        suppressed.append("voters")
    ideas_hidden = 0 < len(idea_people) < k
    if ideas_hidden:
        suppressed.append("ideas")
    counts = {c: sum(1 for r in vote_rows if r[1] == c) for c in choices}
    return {
        "id": proposal.id,
        "text": proposal.text,
        "site_id": proposal.site_id,
        "status": proposal.status,
        "voters": None if total_hidden else len(everyone),
        "votes": {c: None if h else counts[c] for c, h in zip(choices, hidden, strict=True)},
        "ideas": None if ideas_hidden else ideas,
        "suppressed": suppressed,
        "min_group": k,
    }
