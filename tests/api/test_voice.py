"""Voice answers: encrypted at rest, played and transcribed by coordinators, then deleted."""

import logging
import os
import stat
import uuid
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from heard_testing import bearer
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.app import create_app
from api.db import session_scope
from api.errors import Invalid, NotFound, Unavailable
from api.models import Answer, AnswerTheme, Checkin, Site, Theme, VoiceNote
from api.settings import Settings
from api.voice.storage import (
    VoiceKeyError,
    delete_audio,
    delete_audio_for,
    load_audio,
    store_audio,
    voice_cipher,
    voice_dir,
)

# Enough of an OGG page header for the channel to accept it; the API never decodes audio.
VOICE = b"OggS\x00\x02" + b"my name is Jo Bloggs and I sleep by the station" * 20
PARTICIPANT = "voice-participant-0123456789"


def _settings_with(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update=changes)


# --- storage ------------------------------------------------------------------------------


def test_audio_round_trips_and_is_encrypted_on_disk(settings: Settings) -> None:
    voice_id = str(uuid.uuid4())
    assert store_audio(settings, voice_id=voice_id, data=VOICE) == len(VOICE)
    path = voice_dir(settings) / f"{voice_id}.bin"
    on_disk = path.read_bytes()
    assert b"Jo Bloggs" not in on_disk
    assert b"OggS" not in on_disk
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_audio(settings, voice_id=voice_id) == VOICE


def test_delete_removes_the_file_once(settings: Settings) -> None:
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for voice_id in ids:
        store_audio(settings, voice_id=voice_id, data=VOICE)
    assert delete_audio(settings, voice_id=ids[0]) is True
    assert delete_audio(settings, voice_id=ids[0]) is False
    with pytest.raises(NotFound):
        load_audio(settings, voice_id=ids[0])
    assert delete_audio_for(settings, ids) == 2
    assert list(voice_dir(settings).iterdir()) == []


@pytest.mark.parametrize(
    "bad_id",
    ["../voice.key", "../../etc/passwd", "/etc/passwd", "", "x" * 36, str(uuid.uuid4()).upper()],
)
def test_ids_that_are_not_uuids_reach_no_file(settings: Settings, bad_id: str) -> None:
    with pytest.raises(Invalid):
        store_audio(settings, voice_id=bad_id, data=VOICE)
    with pytest.raises(NotFound):
        load_audio(settings, voice_id=bad_id)
    assert delete_audio(settings, voice_id=bad_id) is False


def test_development_makes_a_private_key_once_and_never_logs_it(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    dev = _settings_with(settings, env="development", voice_key=None)
    voice_id = str(uuid.uuid4())
    with caplog.at_level(logging.WARNING, logger="api.voice.storage"):
        store_audio(dev, voice_id=voice_id, data=VOICE)
    key_file = Path(dev.data_dir) / "voice.key"
    key = key_file.read_bytes().strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "HEARD_VOICE_KEY is not set" in caplog.text
    assert key.decode() not in caplog.text
    # A new process (new settings object) finds the same key and can read the audio.
    again = _settings_with(settings, env="development", voice_key=None)
    assert load_audio(again, voice_id=voice_id) == VOICE
    assert key_file.read_bytes().strip() == key


def test_production_without_a_key_refuses_to_start(settings: Settings, engine: Engine) -> None:
    prod = _settings_with(settings, env="production", voice_key=None)
    with pytest.raises(VoiceKeyError, match="HEARD_VOICE_KEY must be set"):
        voice_cipher(prod)
    app = create_app(prod, engine=engine)
    with pytest.raises(VoiceKeyError), TestClient(app):
        pass
    assert not (Path(prod.data_dir) / "voice.key").exists()


def test_a_malformed_key_is_a_clear_error(settings: Settings) -> None:
    bad = _settings_with(settings, voice_key=SecretStr("not-a-fernet-key"))
    with pytest.raises(VoiceKeyError, match="32 bytes"):
        voice_cipher(bad)


def test_audio_under_another_key_is_unavailable_not_a_crash(settings: Settings) -> None:
    voice_id = str(uuid.uuid4())
    store_audio(settings, voice_id=voice_id, data=VOICE)
    rotated = _settings_with(settings, voice_key=SecretStr(Fernet.generate_key().decode()))
    with pytest.raises(Unavailable):
        load_audio(rotated, voice_id=voice_id)


# --- through the app ----------------------------------------------------------------------


@pytest.fixture
def voice_note(client: TestClient, engine: Engine, channel_headers: dict[str, str]) -> str:
    """Walk a check-in to its first open question and answer it with a voice note."""
    with session_scope(engine) as session:
        site = Site(name="Day centre")
        session.add(site)
        session.flush()
        assert site.id is not None
        session.add(Checkin(code="voicecheckin01", site_id=site.id, flow="checkin"))
        # The app seeds the shipped codebook at start; make sure this theme is there.
        if session.exec(select(Theme).where(Theme.slug == "staff_attitude")).first() is None:
            session.add(Theme(slug="staff_attitude", name="Staff", terms={"en": ["staff"]}))
    steps: list[dict[str, str]] = [
        {"checkin_code": "voicecheckin01"},
        {"choice": "yes"},  # consent
        {"choice": "no"},  # follow-ups
        {"choice": "no"},  # spoken prompts
        {"choice": "good"},  # how are things
    ]
    for n, step in enumerate(steps):
        body = {"channel": "telegram", "participant": PARTICIPANT, "message_id": f"m{n}", **step}
        response = client.post("/v1/channel/messages", json=body, headers=channel_headers)
        assert response.status_code == 200, response.text
    response = client.post(
        "/v1/channel/voice",
        data={"channel": "telegram", "participant": PARTICIPANT, "message_id": "v1"},
        files={"audio": ("voice.ogg", VOICE, "audio/ogg")},
        headers=channel_headers,
    )
    assert response.status_code == 200, response.text
    with session_scope(engine) as session:
        note = session.exec(select(VoiceNote)).one()
    return note.id


def _staff_theme_id(session: Session) -> int | None:
    return session.exec(select(Theme.id).where(Theme.slug == "staff_attitude")).one()


def _tags(session: Session, answer_id: int | None) -> set[int]:
    rows = session.exec(select(AnswerTheme.theme_id).where(AnswerTheme.answer_id == answer_id))
    return set(rows)


def test_coordinator_lists_voice_notes_without_pseudonyms(
    client: TestClient, keys: dict[str, str], voice_note: str
) -> None:
    response = client.get("/v1/voice", headers=bearer(keys["coordinator"]))
    assert response.status_code == 200
    (note,) = response.json()["voice_notes"]
    assert note["id"] == voice_note
    assert note["flow"] == "checkin"
    assert note["question"] == "helped"
    assert note["size"] == len(VOICE)
    assert note["has_transcript"] is False
    assert note["audio_deleted"] is False
    assert PARTICIPANT not in response.text
    assert "pseudonym" not in response.text
    pending = client.get("/v1/voice?pending=true", headers=bearer(keys["coordinator"]))
    assert len(pending.json()["voice_notes"]) == 1


def test_only_coordinators_reach_voice(
    client: TestClient, keys: dict[str, str], voice_note: str
) -> None:
    for path in ("/v1/voice", f"/v1/voice/{voice_note}/audio"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=bearer("nonsense")).status_code == 401
        assert client.get(path, headers=bearer(keys["outreach"])).status_code == 403
        assert client.get(path, headers=bearer(keys["admin"])).status_code == 200
    put = client.put(
        f"/v1/voice/{voice_note}/transcript",
        json={"text": "hi"},
        headers=bearer(keys["outreach"]),
    )
    assert put.status_code == 403


def test_coordinator_plays_the_decrypted_audio(
    client: TestClient, keys: dict[str, str], voice_note: str
) -> None:
    response = client.get(f"/v1/voice/{voice_note}/audio", headers=bearer(keys["coordinator"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/ogg"
    assert response.headers["cache-control"] == "no-store"
    assert response.content == VOICE


def test_transcript_is_redacted_counted_once_tagged_and_the_audio_deleted(
    client: TestClient,
    engine: Engine,
    settings: Settings,
    keys: dict[str, str],
    voice_note: str,
) -> None:
    headers = bearer(keys["coordinator"])
    with session_scope(engine) as session:
        answers_before = len(session.exec(select(Answer)).all())
    said = "the staff were rude, ring me on 07700 900123 or jo.bloggs@gmail.com"
    response = client.put(
        f"/v1/voice/{voice_note}/transcript", json={"text": said}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["has_transcript"] is True
    assert response.json()["audio_deleted"] is True
    assert not (voice_dir(settings) / f"{voice_note}.bin").exists()
    assert client.get(f"/v1/voice/{voice_note}/audio", headers=headers).status_code == 404
    expected = "the staff were rude, ring me on [phone] or [email]"
    with session_scope(engine) as session:
        note = session.get(VoiceNote, voice_note)
        assert note is not None
        assert note.transcript == expected
        answers = session.exec(select(Answer)).all()
        assert len(answers) == answers_before
        (spoken,) = [a for a in answers if a.question == "helped"]
        assert spoken.value == expected
        assert spoken.free_text is True
        assert spoken.result == "helped"
        assert _staff_theme_id(session) in _tags(session, spoken.id)
    assert client.get("/v1/voice?pending=true", headers=headers).json()["voice_notes"] == []


def test_saving_again_corrects_the_transcript_without_a_second_answer(
    client: TestClient, engine: Engine, keys: dict[str, str], voice_note: str
) -> None:
    headers = bearer(keys["coordinator"])
    url = f"/v1/voice/{voice_note}/transcript"
    assert client.put(url, json={"text": "staff were rude"}, headers=headers).status_code == 200
    assert client.put(url, json={"text": "food was cold"}, headers=headers).status_code == 200
    with session_scope(engine) as session:
        spoken = session.exec(select(Answer).where(Answer.question == "helped")).all()
        assert [a.value for a in spoken] == ["food was cold"]
        assert _staff_theme_id(session) not in _tags(session, spoken[0].id)


def test_transcript_without_the_voice_answer_still_becomes_an_answer(
    client: TestClient, engine: Engine, keys: dict[str, str], voice_note: str
) -> None:
    with session_scope(engine) as session:
        for answer in session.exec(select(Answer).where(Answer.question == "helped")):
            session.delete(answer)
    response = client.put(
        f"/v1/voice/{voice_note}/transcript",
        json={"text": "more beds"},
        headers=bearer(keys["coordinator"]),
    )
    assert response.status_code == 200
    with session_scope(engine) as session:
        (answer,) = session.exec(select(Answer).where(Answer.question == "helped")).all()
        assert (answer.value, answer.result, answer.free_text, answer.pseudonym) == (
            "more beds",
            "helped",
            True,
            PARTICIPANT,
        )


@pytest.mark.parametrize(
    "body",
    [{"text": ""}, {"text": "   "}, {"text": "x" * 4097}, {"text": "ok", "extra": 1}, {}, []],
)
def test_bad_transcripts_are_refused_and_keep_the_audio(
    client: TestClient, settings: Settings, keys: dict[str, str], voice_note: str, body: object
) -> None:
    response = client.put(
        f"/v1/voice/{voice_note}/transcript", json=body, headers=bearer(keys["coordinator"])
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"
    assert (voice_dir(settings) / f"{voice_note}.bin").exists()


@pytest.mark.parametrize(
    ("raw_body", "stored"),
    [
        ('{"text": "👍👍"}', "👍👍"),
        ('{"text": "שלום 07700900123"}', "שלום [phone]"),
        ('{"text": "nul\\u0000 byte"}', "nul byte"),
        ('{"text": "0770\\u200b0900123"}', "[phone]"),
        ('{"text": "\'; DROP TABLE answer; --"}', "'; DROP TABLE answer; --"),
    ],
)
def test_odd_transcripts_are_stored_safely(
    client: TestClient,
    engine: Engine,
    keys: dict[str, str],
    voice_note: str,
    raw_body: str,
    stored: str,
) -> None:
    headers = {**bearer(keys["coordinator"]), "Content-Type": "application/json"}
    response = client.put(
        f"/v1/voice/{voice_note}/transcript", content=raw_body.encode(), headers=headers
    )
    assert response.status_code == 200, response.text
    with session_scope(engine) as session:
        note = session.get(VoiceNote, voice_note)
        assert note is not None and note.transcript == stored


def test_a_lone_surrogate_is_refused_clearly(
    client: TestClient, keys: dict[str, str], voice_note: str
) -> None:
    headers = {**bearer(keys["coordinator"]), "Content-Type": "application/json"}
    body = b'{"text": "half \\ud800 a character"}'
    response = client.put(f"/v1/voice/{voice_note}/transcript", content=body, headers=headers)
    assert response.status_code == 422


def test_longest_transcript_is_accepted(
    client: TestClient, keys: dict[str, str], voice_note: str
) -> None:
    response = client.put(
        f"/v1/voice/{voice_note}/transcript",
        json={"text": "a" * 4096},
        headers=bearer(keys["coordinator"]),
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "voice_id",
    ["..%2F..%2Fvoice.key", "..", "not-a-uuid", str(uuid.uuid4()), "%00", "a" * 64],
)
def test_unknown_or_hostile_ids_are_not_found(
    client: TestClient, keys: dict[str, str], voice_note: str, voice_id: str
) -> None:
    headers = bearer(keys["coordinator"])
    assert client.get(f"/v1/voice/{voice_id}/audio", headers=headers).status_code == 404
    put = client.put(f"/v1/voice/{voice_id}/transcript", json={"text": "x"}, headers=headers)
    assert put.status_code == 404


def test_rotated_key_answers_503_not_500(
    client: TestClient, app: object, settings: Settings, keys: dict[str, str], voice_note: str
) -> None:
    rotated = _settings_with(settings, voice_key=SecretStr(Fernet.generate_key().decode()))
    app.state.settings = rotated  # type: ignore[attr-defined]
    response = client.get(f"/v1/voice/{voice_note}/audio", headers=bearer(keys["coordinator"]))
    assert response.status_code == 503
    assert "HEARD_VOICE_KEY" in response.json()["detail"]


def test_forgetting_the_participant_deletes_the_audio(
    client: TestClient, settings: Settings, channel_headers: dict[str, str], voice_note: str
) -> None:
    path = voice_dir(settings) / f"{voice_note}.bin"
    assert path.exists()
    response = client.delete(f"/v1/channel/participants/{PARTICIPANT}", headers=channel_headers)
    assert response.status_code == 204
    assert not path.exists()
    assert not [p for p in os.listdir(voice_dir(settings)) if not p.startswith(".")]
