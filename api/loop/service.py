"""Closing the loop: "you said, we did" updates about a theme, sent to those who raised it."""

from sqlmodel import Session, col, select

from api.models import LoopUpdate

# The bot's `changes` command shows this many of the newest updates: enough to see that
# something moved, few enough to fit a short chat.
WHAT_CHANGED_LIMIT = 3


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
