"""Voice notes for coordinators: list them, play them, and replace them with a transcript."""

import logging
from collections.abc import Sequence

from sqlalchemy import delete
from sqlmodel import Session, col, select

from api.errors import NotFound
from api.models import Answer, AnswerTheme, VoiceNote, utcnow
from api.redaction import redact
from api.settings import Settings
from api.themes.service import tag_answers
from api.voice.storage import delete_audio_after_commit, is_voice_id, load_audio
from flows.loader import Library

logger = logging.getLogger(__name__)


def list_voice_notes(
    session: Session,
    *,
    site_id: int | None = None,
    pending: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[VoiceNote]:
    """Return voice notes, newest first; `pending` keeps those still waiting for a transcript."""
    query = select(VoiceNote)
    if site_id is not None:
        query = query.where(VoiceNote.site_id == site_id)
    if pending:
        query = query.where(
            col(VoiceNote.transcript).is_(None), col(VoiceNote.audio_deleted).is_(False)
        )
    query = query.order_by(col(VoiceNote.created_at).desc(), col(VoiceNote.id)).offset(offset)
    return session.exec(query.limit(limit)).all()


def get_voice_note(session: Session, *, voice_id: str) -> VoiceNote:
    """Return a voice note, or raise NotFound."""
    note = session.get(VoiceNote, voice_id) if is_voice_id(voice_id) else None
    if note is None:
        raise NotFound("No voice note has that id.")
    return note


def voice_audio(session: Session, *, settings: Settings, voice_id: str) -> bytes:
    """Return a voice note's decrypted audio, or raise NotFound once it is deleted."""
    note = get_voice_note(session, voice_id=voice_id)
    if note.audio_deleted:
        raise NotFound("That voice note's audio is gone (transcribed or past retention).")
    return load_audio(settings, voice_id=voice_id)


def _voice_answer(session: Session, note: VoiceNote) -> Answer | None:
    # The engine saved the voice note as an answer whose value is the note's id; after a
    # transcript that answer holds the transcript instead, so look for either.
    query = select(Answer).where(
        Answer.pseudonym == note.pseudonym,
        Answer.flow == note.flow,
        Answer.question == note.question,
    )
    if note.run_id is not None:
        query = query.where(Answer.run_id == note.run_id)
    candidates = session.exec(query.order_by(col(Answer.id))).all()
    for answer in candidates:
        if answer.value == note.id:
            return answer
    if note.transcript is not None:
        for answer in candidates:
            if answer.free_text and answer.category == "voice":
                return answer
    return None


def _result_name(library: Library | None, note: VoiceNote) -> str:
    flow = library.get(note.flow) if library is not None else None
    node = flow.nodes.get(note.question) if flow is not None else None
    return node.ask.result if node is not None and node.ask is not None else note.question


def save_transcript(
    session: Session,
    *,
    settings: Settings,
    voice_id: str,
    text: str,
    library: Library | None = None,
) -> VoiceNote:
    """Store a redacted transcript as the answer's text, then delete the audio."""
    note = get_voice_note(session, voice_id=voice_id)
    transcript = redact(text.strip())
    answer = _voice_answer(session, note)
    if answer is None:
        # The voice answer is gone (an older note, or a flow edited since): add one, so the
        # transcript is still tagged and counted like typed text.
        answer = Answer(
            run_id=note.run_id,
            pseudonym=note.pseudonym,
            site_id=note.site_id,
            flow=note.flow,
            question=note.question,
            result=_result_name(library, note),
            category="voice",
            created_at=note.created_at,
        )
        session.add(answer)
    # One answer either way: the spoken answer becomes its text, so nothing counts twice.
    answer.value = transcript
    answer.free_text = True
    session.flush()
    session.execute(delete(AnswerTheme).where(col(AnswerTheme.answer_id) == answer.id))
    tag_answers(session, [answer])
    note.transcript = transcript
    if not note.audio_deleted:
        delete_audio_after_commit(session, settings, [note.id])
        note.audio_deleted = True
    session.add(note)
    logger.info("voice note transcribed", extra={"voice_note_age_s": _age(note)})
    return note


def _age(note: VoiceNote) -> int:
    return int((utcnow() - note.created_at).total_seconds())
