"""Coordinator endpoints for voice answers: list, play, transcribe (which deletes the audio)."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, FastAPI, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from api.channel.library import LibraryDep
from api.deps import CoordinatorKey, SessionDep, SettingsDep
from api.models import VoiceNote
from api.voice import service
from api.voice.storage import voice_cipher

router = APIRouter(prefix="/v1/voice", tags=["voice"])

VoiceId = Annotated[str, Path(description="The voice note's id (a UUID).", max_length=64)]


class VoiceNoteOut(BaseModel):
    """A voice answer, without anything that could tell who left it."""

    id: str
    flow: str
    question: str = Field(description="The flow node the voice note answers.")
    site_id: int | None
    size: int = Field(description="Size of the audio in bytes.")
    created_at: datetime
    has_transcript: bool
    audio_deleted: bool = Field(description="True once transcribed or past retention.")

    @classmethod
    def of(cls, note: VoiceNote) -> "VoiceNoteOut":
        return cls(
            id=note.id,
            flow=note.flow,
            question=note.question,
            site_id=note.site_id,
            size=note.size,
            created_at=note.created_at,
            has_transcript=note.transcript is not None,
            audio_deleted=note.audio_deleted,
        )


class VoiceNoteList(BaseModel):
    voice_notes: list[VoiceNoteOut]


class TranscriptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=4096,
        pattern=r"\S",
        description="What was said. Personal details are redacted before it is stored.",
    )


@router.get(
    "",
    response_model=VoiceNoteList,
    summary="List voice answers",
    description="Newest first. `pending=true` lists only those still waiting for a transcript.",
)
def list_voice(
    _key: CoordinatorKey,
    session: SessionDep,
    site_id: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Only this site's notes.")
    ] = None,
    pending: Annotated[bool, Query(description="Only notes with audio and no transcript.")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> VoiceNoteList:
    notes = service.list_voice_notes(
        session, site_id=site_id, pending=pending, limit=limit, offset=offset
    )
    return VoiceNoteList(voice_notes=[VoiceNoteOut.of(note) for note in notes])


@router.get(
    "/{voice_id}/audio",
    response_class=Response,
    summary="Play a voice answer",
    description="The decrypted OGG/Opus audio. 404 once it is transcribed or past retention.",
    responses={200: {"content": {"audio/ogg": {}}}, 404: {"description": "Unknown or deleted."}},
)
def get_audio(
    voice_id: VoiceId, _key: CoordinatorKey, session: SessionDep, settings: SettingsDep
) -> Response:
    audio = service.voice_audio(session, settings=settings, voice_id=voice_id)
    # Someone's voice: no cache along the way may keep a copy.
    return Response(audio, media_type="audio/ogg", headers={"Cache-Control": "no-store"})


@router.put(
    "/{voice_id}/transcript",
    response_model=VoiceNoteOut,
    summary="Save a transcript (and delete the audio)",
    description="Redacts the text, stores it as the answer's text so it is tagged and counted "
    "like typed feedback, then deletes the audio for good. Saving again corrects the text.",
)
def put_transcript(
    voice_id: VoiceId,
    body: TranscriptIn,
    _key: CoordinatorKey,
    session: SessionDep,
    settings: SettingsDep,
    library: LibraryDep,
) -> VoiceNoteOut:
    note = service.save_transcript(
        session, settings=settings, voice_id=voice_id, text=body.text, library=library
    )
    return VoiceNoteOut.of(note)


def setup(app: FastAPI) -> None:
    """Check the voice key at startup: refuse to start in production without one."""

    async def _check_voice_key(app: FastAPI) -> None:
        # Raises VoiceKeyError with a clear message; in development it makes a key instead.
        voice_cipher(app.state.settings)

    app.state.startup_hooks.append(_check_voice_key)
