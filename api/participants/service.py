"""Forgetting a participant: every row of their pseudonym, and their voice files on disk."""

import logging

from sqlalchemy import delete
from sqlmodel import Session, col, select

from api.models import PERSONAL_TABLES, Answer, AnswerTheme, VoiceNote
from api.settings import Settings

logger = logging.getLogger(__name__)


def forget(session: Session, *, pseudonym: str, settings: Settings | None = None) -> int:
    """Delete every row of `pseudonym` (its audio too, given settings); return the rows gone."""
    session.flush()  # rows added in this transaction are deleted too
    voice_ids = list(session.exec(select(VoiceNote.id).where(VoiceNote.pseudonym == pseudonym)))
    # Theme tags point at answers; delete them explicitly rather than trust every database's
    # foreign-key cascade (SQLite only cascades with the pragma on).
    answer_ids = select(Answer.id).where(Answer.pseudonym == pseudonym)
    session.execute(delete(AnswerTheme).where(col(AnswerTheme.answer_id).in_(answer_ids)))
    removed = 0
    for table in PERSONAL_TABLES:
        column = table.__table__.c.pseudonym  # type: ignore[attr-defined]
        result = session.execute(delete(table).where(column == pseudonym))
        removed += result.rowcount or 0  # type: ignore[attr-defined]
    # The identity map may still hold deleted objects; drop them so a later flush cannot
    # write any of them back.
    for obj in list(session.identity_map.values()):
        if getattr(obj, "pseudonym", None) == pseudonym:
            session.expunge(obj)
    if voice_ids and settings is not None:
        from api.voice.storage import delete_audio_after_commit

        # Files go once the deletion commits: a rollback must not leave rows without audio.
        delete_audio_after_commit(session, settings, voice_ids)
    if removed:
        logger.info("participant forgotten", extra={"rows": removed, "voice_files": len(voice_ids)})
    return removed
