"""Participants: their sealed address, whether they can be reached, and forgetting them."""

import base64
import binascii
import logging

from sqlalchemy import delete
from sqlmodel import Session, col, select

from api.errors import Conflict, Invalid, NotFound
from api.models import (
    PERSONAL_TABLES,
    Answer,
    AnswerTheme,
    Participant,
    SealedAddress,
    VoiceNote,
    utcnow,
)
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


def store_address(session: Session, *, pseudonym: str, channel: str, sealed: str) -> None:
    """Keep the adapter's sealed address of an opted-in participant (replacing an older one)."""
    try:
        data = base64.b64decode(sealed, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid("'sealed' must be base64.") from exc
    if not data:
        raise Invalid("'sealed' is empty.")
    participant = session.get(Participant, pseudonym)
    if participant is None:
        raise NotFound("No participant with that pseudonym.")
    if not participant.followups:
        raise Conflict("This participant has not opted in to follow-ups; no address is kept.")
    address = session.get(SealedAddress, pseudonym)
    if address is None:
        session.add(SealedAddress(pseudonym=pseudonym, channel=channel, sealed=data))
    else:
        address.channel, address.sealed, address.created_at = channel, data, utcnow()


def set_reachable(session: Session, *, pseudonym: str, reachable: bool) -> None:
    """Record whether the adapter can reach this participant (false once they blocked it)."""
    participant = session.get(Participant, pseudonym)
    if participant is None:
        raise NotFound("No participant with that pseudonym.")
    participant.reachable = reachable
