"""Voice answers over POST /v1/channel/voice: stored encrypted when they answer a question."""

from collections.abc import Callable

from channel_chat import Chat
from fastapi.testclient import TestClient
from heard_testing import CHANNEL_TOKEN, bearer
from privacy_scan import rows_mentioning
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.models import Answer, VoiceNote
from api.settings import Settings
from api.voice.storage import voice_dir

CHANNEL = bearer(CHANNEL_TOKEN)
OGG = b"OggS\x00\x02" + b"opus voice note payload " * 40


def _upload(client: TestClient, person: Chat, data: bytes, message_id: str = "v1") -> object:
    return client.post(
        "/v1/channel/voice",
        data={"channel": "telegram", "participant": person.pseudonym, "message_id": message_id},
        files={"audio": ("voice.ogg", data, "audio/ogg")},
        headers=CHANNEL,
    )


def test_a_voice_note_answers_the_waiting_question_and_is_stored_encrypted(
    chat: Callable[..., Chat],
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_code: Callable[..., str],
) -> None:
    person = chat()
    person.consent(checkin_code=make_code())
    person.send(choice="ok")  # now at "what helped", which takes voice or text
    response = _upload(client, person, OGG)
    assert response.status_code == 200, response.text
    assert "hard for you" in response.json()["replies"][-1]["text"]
    with Session(engine) as session:
        notes = session.exec(select(VoiceNote)).all()
        answer = session.exec(select(Answer).where(Answer.result == "helped")).one()
    assert len(notes) == 1
    note = notes[0]
    assert (note.pseudonym, note.flow, note.question, note.size) == (
        person.pseudonym,
        "checkin",
        "helped",
        len(OGG),
    )
    assert note.site_id is not None and note.run_id == answer.run_id
    assert answer.value == note.id and answer.category == "voice"
    files = list(voice_dir(settings).iterdir())
    assert len(files) == 1
    assert b"opus voice note payload" not in files[0].read_bytes()  # encrypted at rest
    # A retry stores nothing twice.
    assert _upload(client, person, OGG).json() == response.json()
    with Session(engine) as session:
        assert len(session.exec(select(VoiceNote)).all()) == 1


def test_forgetting_deletes_the_audio_file(
    chat: Callable[..., Chat],
    client: TestClient,
    engine: Engine,
    settings: Settings,
    make_code: Callable[..., str],
) -> None:
    person = chat()
    person.consent(checkin_code=make_code())
    person.send(choice="ok")
    _upload(client, person, OGG)
    assert list(voice_dir(settings).iterdir())
    client.delete(f"/v1/channel/participants/{person.pseudonym}", headers=CHANNEL)
    assert list(voice_dir(settings).iterdir()) == []
    assert rows_mentioning(engine, person.pseudonym) == []


def test_a_voice_note_with_nothing_to_answer_is_not_kept(
    chat: Callable[..., Chat], client: TestClient, engine: Engine, settings: Settings
) -> None:
    newcomer = chat()
    response = _upload(client, newcomer, OGG)
    assert response.status_code == 200
    texts = [reply["text"] for reply in response.json()["replies"]]
    assert "cannot take a voice note" in texts[0]
    assert response.json()["replies"][-1]["options"]  # and the welcome's question
    with Session(engine) as session:
        assert session.exec(select(VoiceNote)).all() == []
    assert not voice_dir(settings).exists() or list(voice_dir(settings).iterdir()) == []


def test_not_ogg_is_a_422_and_too_big_a_413(chat: Callable[..., Chat], client: TestClient) -> None:
    person = chat()
    person.send(text="hi")
    not_ogg = _upload(client, person, b"RIFF....WAVEfmt ")
    assert not_ogg.status_code == 422
    assert "OGG" in not_ogg.json()["detail"]
    too_big = _upload(client, person, b"OggS" + b"\x00" * (20 * 1024 * 1024), message_id="v2")
    assert too_big.status_code == 413
    assert "20 MB" in too_big.json()["detail"]


def test_a_voice_upload_without_its_fields_is_a_422(client: TestClient) -> None:
    response = client.post(
        "/v1/channel/voice",
        data={"channel": "telegram"},
        files={"audio": ("voice.ogg", OGG, "audio/ogg")},
        headers=CHANNEL,
    )
    assert response.status_code == 422
