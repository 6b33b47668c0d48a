"""Closing the loop: "you said, we did" updates about a theme, sent to those who raised it."""

from typing import Any

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, col, select

from api.errors import NotFound
from api.insights.suppression import complete
from api.loop.wording import check_wording
from api.models import (
    Answer,
    AnswerTheme,
    LoopUpdate,
    OutboxMessage,
    Participant,
    SealedAddress,
    Theme,
)

# The bot's `changes` command shows this many of the newest updates: enough to see that
# something moved, few enough to fit a short chat.
WHAT_CHANGED_LIMIT = 3
KIND = "loop_update"


def what_changed(session: Session, *, site_id: int | None, language: str) -> list[str]:
    """Return the newest "you said, we did" texts, newest first, for the bot's `changes` command."""
    # Updates are written once, for every site and in the coordinator's language, so
    # site_id and language do not narrow the list yet; they are in the signature so the
    # channel need not change when updates gain a site or a translation.
    del site_id, language
    rows = session.exec(
        select(LoopUpdate.text)
        .order_by(col(LoopUpdate.created_at).desc(), col(LoopUpdate.id).desc())
        .limit(WHAT_CHANGED_LIMIT)
    ).all()
    return list(rows)


def post_update(session: Session, *, theme_id: int, text: str, language: str = "en") -> LoopUpdate:
    """Store an update and queue it to every opted-in, reachable person who raised the theme."""
    if session.get(Theme, theme_id) is None:
        raise NotFound(f"There is no theme {theme_id}.")
    text = check_wording(text, language=language)
    update = LoopUpdate(theme_id=theme_id, text=text)
    session.add(update)
    session.flush()
    recipients = session.exec(
        select(SealedAddress.pseudonym, SealedAddress.channel)
        .join(Participant, col(Participant.pseudonym) == col(SealedAddress.pseudonym))
        .where(
            col(Participant.followups),
            col(Participant.reachable),
            col(SealedAddress.pseudonym).in_(
                select(Answer.pseudonym)
                .join(AnswerTheme, col(AnswerTheme.answer_id) == col(Answer.id))
                .where(AnswerTheme.theme_id == theme_id)
            ),
        )
    ).all()
    session.add_all(
        OutboxMessage(
            channel=channel, pseudonym=pseudonym, kind=KIND, text=text, loop_update_id=update.id
        )
        for pseudonym, channel in recipients
    )
    update.queued = len(recipients)
    session.add(update)
    session.flush()
    return update


def _deliveries(session: Session, update_ids: list[int]) -> dict[int, dict[str, int]]:
    found: dict[int, dict[str, int]] = {i: {} for i in update_ids}
    if not update_ids:
        return found
    rows = session.exec(
        select(OutboxMessage.loop_update_id, OutboxMessage.status, func.count())
        .where(col(OutboxMessage.loop_update_id).in_(update_ids), OutboxMessage.kind == KIND)
        .group_by(col(OutboxMessage.loop_update_id), col(OutboxMessage.status))
    ).all()
    for update_id, status, number in rows:
        if update_id is not None:
            found[update_id][status] = int(number)
    return found


def describe(
    update: LoopUpdate, theme: Theme | None, statuses: dict[str, int], k: int
) -> dict[str, Any]:
    """Return an update with its queued and delivered counts, small numbers hidden."""
    suppressed: list[str] = []
    delivered = statuses.get("delivered", 0)
    # Each message goes to one person, so messages are people here. Whoever has not
    # had it yet (still queued, blocked or failed) is the other cell of the table.
    groups = np.array([delivered, update.queued - delivered], dtype=np.int64)
    hidden, total_hidden = complete(
        groups,
        (groups > 0) & (groups < k),
        0 < update.queued < k,
        k,
        lambda cells: int(sum(groups[c] for c in cells)),
    )
    if total_hidden:
        suppressed.append("queued")
    if hidden[0]:
        suppressed.append("delivered")
    return {
        "id": update.id,
        "theme_id": update.theme_id,
        "theme": theme.slug if theme else None,
        "text": update.text,
        "created_at": update.created_at,
        "queued": None if total_hidden else update.queued,
        "delivered": None if hidden[0] else delivered,
        "suppressed": suppressed,
    }


def show_update(session: Session, *, update: LoopUpdate, k: int) -> dict[str, Any]:
    """Return one update with its counts so far."""
    theme = session.get(Theme, update.theme_id)
    deliveries = _deliveries(session, [update.id] if update.id is not None else [])
    return describe(update, theme, deliveries.get(update.id or 0, {}), k)


def list_updates(session: Session, *, k: int, limit: int = 100) -> list[dict[str, Any]]:
    """Return the newest updates with queued and delivered counts."""
    updates = session.exec(
        select(LoopUpdate)
        .order_by(col(LoopUpdate.created_at).desc(), col(LoopUpdate.id).desc())
        .limit(limit)
    ).all()
    themes = {t.id: t for t in session.exec(select(Theme))}
    deliveries = _deliveries(session, [u.id for u in updates if u.id is not None])
    return [describe(u, themes.get(u.theme_id), deliveries.get(u.id or 0, {}), k) for u in updates]
