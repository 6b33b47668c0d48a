"""Theme proposals: discovery over answers the codebook misses, and accepting one."""

from typing import Any

from sqlalchemy import exists, or_
from sqlmodel import Session, col, select

from api.errors import Conflict, NotFound
from api.insights.filters import Filters
from api.models import Answer, AnswerTheme, Theme, ThemeProposal
from api.themes.service import create_theme

# Discovery reads the newest answers up to this many: enough to find patterns, and it
# keeps one request within seconds (discovery over 100,000 texts is benchmarked).
MAX_ANSWERS = 100_000


def uncovered_answers(
    session: Session, *, filters: Filters, limit: int = MAX_ANSWERS
) -> list[tuple[str, str]]:
    """Return (text, pseudonym) of free-text answers with no theme, or that chose "other"."""
    untagged = ~exists().where(col(AnswerTheme.answer_id) == col(Answer.id))
    rows = session.exec(
        select(Answer.value, Answer.pseudonym)
        .where(
            col(Answer.free_text),
            col(Answer.value).is_not(None),
            or_(untagged, col(Answer.category) == "other"),
            *filters.answer_clauses(),
        )
        .order_by(col(Answer.id).desc())
        .limit(limit)
    ).all()
    return [(value, pseudonym) for value, pseudonym in rows if value]


def discover_themes(
    session: Session, *, filters: Filters, max_themes: int, min_group: int
) -> tuple[list[ThemeProposal], int, int]:
    """Propose themes from uncovered answers, replacing earlier open proposals.

    Return the proposals, and how many answers and people they were drawn from.
    """
    items = uncovered_answers(session, filters=filters)
    # scikit-learn costs ~100 MB resident; load it only when someone asks for discovery.
    from api.themes.discovery import discover

    found = discover(items, min_group=min_group, max_themes=max_themes)
    # Earlier open proposals were computed on older answers; keep only the new set.
    for old in session.exec(select(ThemeProposal).where(ThemeProposal.status == "open")):
        session.delete(old)
    stored = []
    for proposal in found:
        row = ThemeProposal(
            name=proposal.name[:120],
            terms=list(proposal.terms),
            size=proposal.size,
            contributors=proposal.contributors,
            examples=list(proposal.examples) if proposal.contributors >= min_group else [],
        )
        session.add(row)
        stored.append(row)
    session.flush()
    return stored, len(items), len({pseudonym for _, pseudonym in items})


def list_proposals(session: Session) -> list[ThemeProposal]:
    """Return the open theme proposals, biggest first."""
    return list(
        session.exec(
            select(ThemeProposal)
            .where(ThemeProposal.status == "open")
            .order_by(col(ThemeProposal.contributors).desc(), col(ThemeProposal.id))
        ).all()
    )


def accept_proposal(
    session: Session,
    *,
    proposal_id: int,
    name: str,
    terms: dict[str, list[str]] | None = None,
    language: str = "en",
) -> Theme:
    """Add a proposal to the codebook as a discovered theme; answers are retagged afterwards."""
    proposal = session.get(ThemeProposal, proposal_id)
    if proposal is None:
        raise NotFound(f"There is no theme proposal {proposal_id}.")
    if proposal.status != "open":
        raise Conflict(f"Theme proposal {proposal_id} was accepted already.")
    chosen: dict[str, Any] = terms if terms is not None else {language: list(proposal.terms)}
    theme = create_theme(session, name=name, terms=chosen, source="discovered")
    proposal.status, proposal.theme_id = "accepted", theme.id
    session.add(proposal)
    session.flush()
    return theme
