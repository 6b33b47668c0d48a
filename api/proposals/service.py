"""Co-design proposals: coordinators ask, participants vote and add ideas in `codesign`."""

from sqlalchemy import or_
from sqlmodel import Session, col, select

from api.models import Answer, Proposal


def next_proposal(session: Session, *, pseudonym: str, site_id: int | None) -> Proposal | None:
    """Return the oldest open proposal (this site or all sites) this person has not answered."""
    answered = select(Answer.proposal_id).where(
        Answer.pseudonym == pseudonym, col(Answer.proposal_id).is_not(None)
    )
    where_site = (
        col(Proposal.site_id).is_(None)
        if site_id is None
        else or_(col(Proposal.site_id).is_(None), Proposal.site_id == site_id)
    )
    return session.exec(
        select(Proposal)
        .where(Proposal.status == "open", where_site, col(Proposal.id).not_in(answered))
        .order_by(col(Proposal.created_at), col(Proposal.id))
        .limit(1)
    ).first()
