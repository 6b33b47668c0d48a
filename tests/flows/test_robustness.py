"""Odd input and damaged sessions: never a crash, never a loop, never user text as a template."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flows_chat import NOW, Chat

from flows import (
    Ended,
    Input,
    Library,
    Message,
    ResultSaved,
    parse_flow,
    resume,
    start,
    system_text,
)

INJECTIONS = [
    "'; DROP TABLE results; --",
    "<script>alert(1)</script>",
    "{0}",
    "%s %d %n",
    "{proposal}",
    "{org} {__class__}",
    "${jndi:ldap://x}",
    "\x00\x1b[31m",
]
ODD = [
    "asdkjh qwe zxcv",
    "x" * 4096,
    "مرحبا، كيف حالك؟",
    "שלום, מה שלומך?",
    "\u200b\u200c\u200d\ufeff",
    "\u202eevil\u202c",
    "🔥🔥🔥",
    "   ",
    "",
    *INJECTIONS,
]


@pytest.mark.parametrize("text", ODD)
def test_odd_free_text_is_saved_verbatim(library, text) -> None:
    chat = Chat(library, "checkin")
    chat.send("4")
    chat.send(text)
    saved = chat.results()[-1]
    assert (saved.name, saved.value, saved.category) == ("helped", text, "text")
    assert chat.question.node == "hard"
    assert all(text not in m.text for m in chat.step.messages if text.strip())


@pytest.mark.parametrize("text", ODD)
def test_odd_text_at_a_choice_is_asked_twice_then_kept_as_other(library, text) -> None:
    chat = Chat(library, "feedback")
    chat.send(text)
    assert chat.step.messages[0].text == system_text("not_understood", "en")
    assert chat.question.node == "rate"
    chat.send(text)
    saved = chat.results()[-1]
    assert (saved.name, saved.category, saved.value, saved.free_text) == (
        "rating",
        "other",
        text,
        True,
    )
    assert chat.question.node == "good"
    assert chat.session["results"]["rating"] == {"value": "", "category": "other"}


@pytest.mark.parametrize("text", INJECTIONS)
def test_params_are_filled_once_and_user_text_never(library, text) -> None:
    chat = Chat(library, "codesign", params={"proposal": text})
    assert chat.messages()[0].text == f"Here is an idea: {text}"
    chat.send("1")
    chat.send("yes")
    chat.send(text)
    assert chat.results()[-1].value == text
    assert chat.messages()[-1].text == "Thank you. We will tell you what happens next."


@pytest.mark.parametrize("key", ["__proto__", "awful ", "AWFUL", "yes", "", "x" * 500, "1"])
def test_forged_choice_keys_are_not_understood(library, key) -> None:
    chat = Chat(library, "feedback")
    chat.send(Input(choice=key))
    assert chat.step.messages[0].text == system_text("not_understood", "en")
    chat.send(Input(choice=key))
    assert chat.results()[-1].category == "other"


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("🙂🙂🙂", "good"),
        ("😄", "great"),
        ("😞 😞", "awful"),
        ("👍🏽", "good"),
        ("5️⃣", "great"),
        ("g\u200bo\u200bo\u200bd", "good"),
        ("  GrEaT!!! ", "great"),
        ("gud", "good"),
        ("okk", "ok"),
        ("meh", "ok"),
        ("3", "ok"),
        ("three", "ok"),
        ("\u202bbad\u202c", "bad"),
    ],
)
def test_faces_understand_emoji_words_numbers_and_slips(library, text, category) -> None:
    chat = Chat(library, "checkin")
    chat.send(text)
    saved = chat.results()[-1]
    assert saved.category == category
    assert saved.value == str(["awful", "bad", "ok", "good", "great"].index(category) + 1)


def test_voice_note_answers_a_voice_or_text_question(library) -> None:
    chat = Chat(library, "checkin")
    chat.send("4")
    chat.send(Input(voice="voice:abc123"))
    saved = chat.results()[-1]
    assert (saved.value, saved.category, saved.input, saved.free_text) == (
        "voice:abc123",
        "voice",
        "voice",
        False,
    )


def test_voice_note_at_a_choice_is_not_understood(library) -> None:
    chat = Chat(library, "feedback")
    chat.send(Input(voice="voice:1"))
    assert chat.step.messages[0].text == system_text("not_understood", "en")


def test_an_input_with_two_things_is_refused() -> None:
    with pytest.raises(ValueError):
        Input(text="a", choice="b")


@pytest.mark.parametrize(
    "session",
    [
        None,
        "garbage",
        [],
        {},
        {"flow": "nope"},
        {"flow": "checkin"},
        {"flow": "checkin", "node": "gone_after_an_edit", "status": "waiting"},
        {"flow": "checkin", "node": "sorry", "status": "waiting"},
        {"flow": "checkin", "node": "how", "status": 7},
        {"flow": 3, "node": ["how"], "status": "waiting"},
    ],
)
def test_untrusted_session_restarts_politely(library, session) -> None:
    step = resume(library, session, Input(text="hello"), now=NOW)
    assert step.messages[0].text == system_text("restart", "en")
    assert any(m.question for m in step.messages)
    assert not step.ended


def test_session_with_wrong_types_is_repaired_not_restarted(library) -> None:
    chat = Chat(library, "checkin")
    session = dict(chat.session)
    session.update(
        attempts="lots",
        history="how",
        results=[1],
        params=None,
        pending="x",
        expires_at=42,
        stack={"a": 1},
        language=5,
    )
    step = resume(library, session, Input(text="4"), now=NOW)
    assert [e.kind for e in step.events][:1] == ["result_saved"]
    assert step.session["language"] == "en"


def test_session_is_plain_json(library) -> None:
    import json

    chat = Chat(library, "checkin")
    chat.send("2")
    chat.send("x")
    copy = json.loads(json.dumps(chat.session))
    assert copy == chat.session
    assert set(copy) >= {
        "flow",
        "flow_version",
        "language",
        "node",
        "attempts",
        "history",
        "results",
        "params",
        "status",
        "waiting_since",
        "expires_at",
    }
    for event in chat.events():
        json.dumps(event.to_dict())


def test_resume_after_expiry_ends_as_expired(library) -> None:
    first = start(library, "checkin", now=NOW)
    later = resume(library, first.session, Input(text="4"), now=NOW + timedelta(days=4))
    assert later.messages[0].text == system_text("expired", "en")
    assert later.events[-1] == Ended("checkin", "expired")
    assert not [e for e in later.events if isinstance(e, ResultSaved)]


def test_activity_pushes_expiry_back(library) -> None:
    first = start(library, "checkin", now=NOW)
    second = resume(library, first.session, Input(text="4"), now=NOW + timedelta(days=2))
    third = resume(library, second.session, Input(text="x"), now=NOW + timedelta(days=4))
    assert not third.ended


def test_timeout_saves_timeout_and_follows_its_route(library) -> None:
    lib = Library([parse_flow(TIMEOUT_FLOW)])
    step = start(lib, "nudge", now=NOW)
    assert step.events[-1].timeout_at == (NOW + timedelta(hours=48)).isoformat()
    step = resume(lib, step.session, Input(timed_out=True), now=NOW + timedelta(hours=48))
    assert [(e.category, e.input) for e in step.events if isinstance(e, ResultSaved)] == [
        ("timeout", "timeout")
    ]
    assert [m.node for m in step.messages] == ["later"]


TIMEOUT_FLOW = """
id: nudge
version: 1
expiry: 7d
languages: {en: reviewed}
nodes:
  - id: ask
    say: {en: "Are you OK?"}
    ask: {type: yesno, result: ok, timeout: 48h}
    routes: {timeout: later}
    next: thanks
  - id: later
    say: {en: We will ask again later. Thank you.}
    thanks: true
  - id: thanks
    say: {en: Thank you.}
    thanks: true
"""


def test_start_in_an_unknown_language_uses_the_base_language(library) -> None:
    step = start(library, "checkin", language="xx", now=NOW)
    assert step.messages[0].language == "en"


def test_every_message_event_has_a_flow_and_node(library) -> None:
    chat = Chat(library, "welcome")
    chat.play(lambda q, c: Input(choice=q.options[0].key))
    for message in chat.messages():
        assert isinstance(message, Message) and message.flow and message.node
