"""Retention: raw text and voices go after HEARD_RETENTION_DAYS; tags and counts stay."""

import os
import time
import uuid
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from api.db import session_scope
from api.models import Answer, AnswerTheme, InboundMessage, Site, Theme, VoiceNote, utcnow
from api.retention import PurgeReport, purge, run_purge, schedule_daily_purge
from api.settings import Settings
from api.voice.storage import store_audio, voice_dir

NOW = datetime(2030, 6, 1, 12, 0)
OLD = NOW - timedelta(days=91)
RECENT = NOW - timedelta(days=89)
PSEUDONYM = "retention-participant-01"


def _answer(session: Session, *, when: datetime, value: str, free_text: bool = True) -> Answer:
    answer = Answer(
        pseudonym=PSEUDONYM,
        flow="checkin",
        question="hard",
        result="hard",
        category="text" if free_text else "good",
        value=value,
        free_text=free_text,
        created_at=when,
    )
    session.add(answer)
    session.flush()
    return answer


def _voice(
    session: Session, settings: Settings, *, when: datetime, transcript: str | None = None
) -> str:
    voice_id = str(uuid.uuid4())
    deleted = transcript is not None
    if not deleted:
        store_audio(settings, voice_id=voice_id, data=b"OggS voice of someone")
    session.add(
        VoiceNote(
            id=voice_id,
            pseudonym=PSEUDONYM,
            flow="checkin",
            question="helped",
            size=21,
            transcript=transcript,
            audio_deleted=deleted,
            created_at=when,
        )
    )
    return voice_id


@pytest.fixture
def seeded(engine: Engine, settings: Settings) -> dict[str, object]:
    """Old and recent answers, voice notes and delivery records, with theme tags."""
    with session_scope(engine) as session:
        site = Site(name="Hostel")
        theme = Theme(slug="retention_food", name="Food", terms={"en": ["food"]})
        session.add_all([site, theme])
        session.flush()
        old_text = _answer(session, when=OLD, value="the food was cold, ring [phone]")
        recent_text = _answer(session, when=RECENT, value="more food please")
        old_choice = _answer(session, when=OLD, value="4", free_text=False)
        assert theme.id is not None
        for answer in (old_text, recent_text):
            assert answer.id is not None
            session.add(AnswerTheme(answer_id=answer.id, theme_id=theme.id))
        ids: dict[str, object] = {
            "old_text": old_text.id,
            "recent_text": recent_text.id,
            "old_choice": old_choice.id,
            "old_voice": _voice(session, settings, when=OLD),
            "recent_voice": _voice(session, settings, when=RECENT),
            "old_transcribed": _voice(session, settings, when=OLD, transcript="cold food"),
        }
        for n, when in enumerate((NOW - timedelta(days=3), NOW - timedelta(hours=47))):
            session.add(
                InboundMessage(
                    channel="telegram",
                    pseudonym=PSEUDONYM,
                    message_id=str(n),
                    response={"replies": []},
                    created_at=when,
                )
            )
    return ids


def test_purge_clears_old_free_text_and_keeps_tags_counts_and_recent_words(
    engine: Engine, settings: Settings, seeded: dict[str, object]
) -> None:
    with session_scope(engine) as session:
        report = purge(session, settings=settings, now=NOW)
    assert report.answers_cleared == 1
    with session_scope(engine) as session:
        old_text = session.get(Answer, seeded["old_text"])
        recent_text = session.get(Answer, seeded["recent_text"])
        old_choice = session.get(Answer, seeded["old_choice"])
        assert old_text is not None and recent_text is not None and old_choice is not None
        assert old_text.value is None
        assert old_text.category == "text"
        assert recent_text.value == "more food please"
        assert old_choice.value == "4"
        assert session.exec(select(func.count()).select_from(Answer)).one() == 3
        assert session.exec(select(func.count()).select_from(AnswerTheme)).one() == 2


def test_purge_deletes_old_audio_files_and_transcripts(
    engine: Engine, settings: Settings, seeded: dict[str, object]
) -> None:
    folder = voice_dir(settings)
    old_file = folder / f"{seeded['old_voice']}.bin"
    recent_file = folder / f"{seeded['recent_voice']}.bin"
    assert old_file.exists() and recent_file.exists()
    with session_scope(engine) as session:
        report = purge(session, settings=settings, now=NOW)
        # Files go only when the purge commits.
        assert old_file.exists()
    assert report.voice_notes_cleared == 2
    assert not old_file.exists()
    assert recent_file.exists()
    with session_scope(engine) as session:
        old = session.get(VoiceNote, seeded["old_voice"])
        transcribed = session.get(VoiceNote, seeded["old_transcribed"])
        recent = session.get(VoiceNote, seeded["recent_voice"])
        assert old is not None and transcribed is not None and recent is not None
        assert old.audio_deleted is True
        assert transcribed.transcript is None
        assert recent.audio_deleted is False


def test_a_purge_that_rolls_back_keeps_the_audio(
    engine: Engine, settings: Settings, seeded: dict[str, object]
) -> None:
    old_file = voice_dir(settings) / f"{seeded['old_voice']}.bin"
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        purge(session, settings=settings, now=NOW)
        raise RuntimeError("the job failed before commit")
    assert old_file.exists()
    with session_scope(engine) as session:
        note = session.get(VoiceNote, seeded["old_voice"])
        assert note is not None and note.audio_deleted is False


def test_delivery_records_go_after_two_days(
    engine: Engine, settings: Settings, seeded: dict[str, object]
) -> None:
    with session_scope(engine) as session:
        report = purge(session, settings=settings, now=NOW)
    assert report.delivery_records_deleted == 1
    with session_scope(engine) as session:
        assert [m.message_id for m in session.exec(select(InboundMessage))] == ["1"]


def test_purge_twice_removes_nothing_more(
    engine: Engine, settings: Settings, seeded: dict[str, object]
) -> None:
    with session_scope(engine) as session:
        purge(session, settings=settings, now=NOW)
    with session_scope(engine) as session:
        again = purge(session, settings=settings, now=NOW)
    assert again == PurgeReport()


def test_shorter_retention_reaches_recent_words(
    engine: Engine, settings: Settings, seeded: dict[str, object]
) -> None:
    short = settings.model_copy(update={"retention_days": 1})
    with session_scope(engine) as session:
        report = purge(session, settings=short, now=NOW)
    assert report.answers_cleared == 2
    assert report.voice_notes_cleared == 3
    assert list(voice_dir(settings).glob("*.bin")) == []


def test_stray_voice_files_go_once_an_hour_old(
    engine: Engine, settings: Settings, seeded: dict[str, object]
) -> None:
    folder = voice_dir(settings)
    stray = folder / f"{uuid.uuid4()}.bin"
    fresh_stray = folder / f"{uuid.uuid4()}.bin"
    half_written = folder / ".tmp-abc123"
    not_ours = folder / "README"
    for path in (stray, fresh_stray, half_written, not_ours):
        path.write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    for path in (stray, half_written, not_ours, folder / f"{seeded['recent_voice']}.bin"):
        os.utime(path, (two_hours_ago, two_hours_ago))
    report = run_purge(engine, settings)  # now: nothing is past retention
    assert report.orphan_files_deleted == 2
    assert not stray.exists() and not half_written.exists()
    assert fresh_stray.exists() and not_ours.exists()
    assert (folder / f"{seeded['recent_voice']}.bin").exists()


def test_daily_purge_runs_soon_after_start_and_stops_with_the_app(
    app: FastAPI, engine: Engine, settings: Settings
) -> None:
    with session_scope(engine) as session:
        _answer(session, when=utcnow() - timedelta(days=400), value="very old words")
    schedule_daily_purge(app, first_delay_s=0, interval_s=3600)
    with TestClient(app):
        deadline = time.monotonic() + 20
        while getattr(app.state, "last_purge", None) is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert app.state.last_purge.answers_cleared == 1
        task = app.state.purge_task
    assert task.done()
    with session_scope(engine) as session:
        assert session.exec(select(Answer.value)).all() == [None]


def test_report_reads_as_a_sentence() -> None:
    text = str(PurgeReport(answers_cleared=3, voice_notes_cleared=1))
    assert text.startswith("3 free-text answers cleared, 1 voice notes'")
