"""Odd and hostile inputs: a clear 4xx for a broken body, a kind reply for odd words, no 500."""

from collections.abc import Callable

import pytest
from channel_chat import Chat, new_pseudonym
from fastapi.testclient import TestClient
from heard_testing import CHANNEL_TOKEN, bearer
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.models import Answer

CHANNEL = bearer(CHANNEL_TOKEN)
INJECTIONS = [
    "'; DROP TABLE answer; --",
    "Robert'); DELETE FROM participant WHERE ('1'='1",
    "<script>alert(1)</script>",
    "{{7*7}} ${7*7} %s %n",
    "\x00\x01\x02 nul bytes",
    "../../../../etc/passwd",
]


@pytest.fixture
def at_free_text(chat: Callable[..., Chat], make_code: Callable[..., str]) -> Chat:
    """A participant whose check-in is waiting at a free-text question."""
    person = chat()
    person.consent(checkin_code=make_code())
    person.send(choice="ok")
    return person


def _stored_values(engine: Engine, pseudonym: str) -> list[str]:
    with Session(engine) as session:
        answers = session.exec(select(Answer).where(Answer.pseudonym == pseudonym)).all()
    return [a.value or "" for a in answers if a.result == "helped"]


def test_a_4096_character_answer_is_kept_and_4097_is_refused(
    at_free_text: Chat, engine: Engine
) -> None:
    longest = "word " * 819 + "a"
    assert len(longest) == 4096
    too_long = at_free_text.post(text=longest + "b")
    assert too_long.status_code == 422
    assert too_long.json()["error"] == "invalid"
    at_free_text.send(text=longest)
    assert _stored_values(engine, at_free_text.pseudonym) == [longest]


@pytest.mark.parametrize(
    "text",
    [
        "😀😀😀",
        "مرحبا، الموظفون كانوا لطفاء",  # right to left
        "שלום\u200f עזרה",
        "h\u200be\u200bl\u200bp\u200bful staff",  # zero-width spaces
        "\u202eevil override\u202c",
        *INJECTIONS,
    ],
)
def test_odd_free_text_is_an_answer(at_free_text: Chat, engine: Engine, text: str) -> None:
    reply = at_free_text.send(text=text)
    assert reply["replies"], "always a reply"
    assert len(_stored_values(engine, at_free_text.pseudonym)) == 1


@pytest.mark.parametrize("text", ["😀", "🙃🙃", "?!?!", "\u200b", "ᚠᛇᚻ", *INJECTIONS])
def test_odd_text_to_a_choice_gets_a_kind_reply(
    chat: Callable[..., Chat], make_code: Callable[..., str], text: str
) -> None:
    person = chat()
    person.consent(checkin_code=make_code())
    reply = person.send(text=text)
    assert reply["replies"]
    assert reply["ended"] is False


def test_a_forged_option_key_gets_didnt_get_that(
    chat: Callable[..., Chat], make_code: Callable[..., str]
) -> None:
    person = chat()
    person.consent(checkin_code=make_code())
    person.send(choice="../../admin")
    assert "did not get that" in person.texts[0]
    assert person.options == ["awful", "bad", "ok", "good", "great"]
    # Forged nudge keys are no way round it either.
    person.send(choice="nudge:welcome")
    assert person.last["ended"] is False


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"channel": "telegram"},
        {"channel": "telegram", "participant": "x" * 20, "message_id": "1"},  # nothing to say
        {"channel": "telegram", "participant": "short", "message_id": "1", "text": "hi"},
        {"channel": "telegram", "participant": "x" * 129, "message_id": "1", "text": "hi"},
        {
            "channel": "telegram",
            "participant": "has spaces in it ok",
            "message_id": "1",
            "text": "hi",
        },
        {
            "channel": "telegram",
            "participant": "ünïcödé-pseudonym-x",
            "message_id": "1",
            "text": "hi",
        },
        {"channel": "telegram", "participant": "x" * 20, "message_id": "1", "command": "reboot"},
        {"channel": "telegram", "participant": "x" * 20, "message_id": "", "text": "hi"},
        {"channel": "telegram", "participant": "x" * 20, "message_id": "m" * 65, "text": "hi"},
        {"channel": "telegram", "participant": "x" * 20, "message_id": "1", "text": ""},
        {
            "channel": "telegram",
            "participant": "x" * 20,
            "message_id": "1",
            "text": "hi",
            "chat_id": 1,
        },
        {"channel": "TeleGram!", "participant": "x" * 20, "message_id": "1", "text": "hi"},
        {"channel": "telegram", "participant": "x" * 20, "message_id": "1", "text": 5},
    ],
)
def test_broken_bodies_are_a_clear_422(client: TestClient, body: dict) -> None:
    response = client.post("/v1/channel/messages", json=body, headers=CHANNEL)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid"
    assert response.json()["problems"]


def test_a_body_that_is_not_json_is_a_clear_4xx(client: TestClient) -> None:
    response = client.post(
        "/v1/channel/messages",
        content=b"\xff\xfe not json",
        headers={**CHANNEL, "Content-Type": "application/json"},
    )
    assert response.status_code in (400, 422)
    assert response.json()["detail"]


def test_commands_work_before_anything_else(chat: Callable[..., Chat]) -> None:
    for command in ("help", "back", "skip", "repeat", "language", "stop", "forget", "changes"):
        person = chat()
        reply = person.send(command=command)
        assert reply["replies"], command


def test_pseudonyms_of_every_allowed_shape_work(client: TestClient) -> None:
    for pseudonym in ("a" * 16, "A-_9" * 32, new_pseudonym()):
        assert Chat(client, pseudonym).post(text="hi").status_code == 200
