"""Crisis words are caught in any typed text, signposted, and never lose the person's answer."""

from __future__ import annotations

import dataclasses

import pytest
from flows_chat import Chat

from flows import Ended, Input, Message, ResultSaved, Safeguarding, system_text
from flows.safeguarding import concern_in

CRISIS = [
    ("I want to kill myself", "suicide"),
    ("KILL MY SELF!!!", "suicide"),
    ("i just want to end it all", "suicide"),
    ("im suicidal", "suicide"),
    ("feeling sucidal tonight", "suicide"),
    ("I wish I was dead", "suicide"),
    ("kill\u200bmyself", "suicide"),
    ("I cut myself again", "self_harm"),
    ("been hurting myslef", "self_harm"),
    ("my mate OD'd last night", "overdose"),
    ("she overdosed", "overdose"),
    ("I took too many pills", "overdose"),
    ("he won't wake up", "unresponsive"),
    ("he wont wake up", "unresponsive"),
    ("my friend is not breathing", "unresponsive"),
    ("shes unconscious", "unresponsive"),
    ("he hits me", "violence"),
    ("my partner keeps hitting me", "violence"),
    ("I got beaten up", "violence"),
    ("they threatened me", "violence"),
    ("he said he would kill me", "violence"),
    ("I was raped", "abuse"),
    ("he sexually assaulted me", "abuse"),
    ("Chcę umrzeć", "suicide"),
    ("chce sie zabic", "suicide"),
    ("tnę się", "self_harm"),
    ("przedawkował", "overdose"),
    ("on nie oddycha", "unresponsive"),
    ("bije mnie", "violence"),
    ("mąż mnie bije", "violence"),
    ("zgwałcił mnie", "abuse"),
    ("vreau să mor", "suicide"),
    ("mă sinucid", "suicide"),
    ("mă tai", "self_harm"),
    ("supradoză", "overdose"),
    ("nu respiră", "unresponsive"),
    ("m-a bătut", "violence"),
    ("m-a violat", "abuse"),
]

NOT_CRISIS = [
    "I'd die for a coffee",
    "the staff killed it",
    "that is odd",
    "it hit me how kind they were",
    "the hostel was a dead end",
    "my phone died",
    "the service was ok",
    "therapist was good",
    "nie wiem",
    "bine",
    "Stop",
    "I want to stop smoking",
]


@pytest.mark.parametrize(("text", "category"), CRISIS)
def test_crisis_words_are_recognised(text, category) -> None:
    assert concern_in(text) == category


@pytest.mark.parametrize("text", NOT_CRISIS)
def test_everyday_words_do_not_raise_an_alarm(text) -> None:
    assert concern_in(text) is None


def test_crisis_free_text_is_kept_signposted_and_asked_to_carry_on(library) -> None:
    chat = Chat(library, "checkin")
    chat.send("2")
    step = chat.send("nothing helps, I want to end it all")

    kinds = [event.kind for event in step.events]
    assert kinds == ["safeguarding", "result_saved", "message", "message", "waiting"]
    assert step.events[0] == Safeguarding("suicide", "en", "checkin", "helped")
    saved = step.events[1]
    assert isinstance(saved, ResultSaved)
    assert (saved.name, saved.value, saved.free_text) == (
        "helped",
        "nothing helps, I want to end it all",
        True,
    )
    assert step.messages[0].text == system_text("signposting", "en")
    assert "999" in step.messages[0].text and "116 123" in step.messages[0].text
    assert step.messages[1].text == system_text("carry_on", "en")
    assert [o.key for o in step.messages[1].options] == ["yes", "no"]


def test_yes_after_signposting_carries_on_from_the_next_question(library) -> None:
    chat = Chat(library, "checkin")
    chat.send("2")
    chat.send("I cut myself")
    chat.send("yes")
    assert chat.question.node == "hard"
    assert chat.session["pending"] is None


def test_no_after_signposting_ends_kindly(library) -> None:
    chat = Chat(library, "checkin", "pl")
    chat.send("2")
    chat.send("chcę umrzeć")
    chat.send("nie")
    assert chat.step.messages[0].text == system_text("carry_on_stop", "pl")
    assert chat.ended() == Ended("checkin", "stopped")


def test_crisis_at_a_choice_question_asks_the_same_question_after(library) -> None:
    chat = Chat(library, "feedback")
    chat.send("he hits me")
    assert not [e for e in chat.step.events if isinstance(e, ResultSaved)]
    chat.send("1")
    assert chat.question.node == "rate"
    chat.send("1")
    assert chat.results()[-1].name == "rating"


def test_signposting_can_come_from_the_host(library) -> None:
    from flows import resume

    chat = Chat(library, "checkin")
    text = resume(library, chat.session, Input(text="overdosed"), signposting="Call 112.")
    assert text.messages[0].text == "Call 112."
    by_language = resume(
        library, chat.session, Input(text="overdosed"), signposting={"en": "Ring 999 now."}
    )
    assert by_language.messages[0].text == "Ring 999 now."


def test_safeguarding_event_carries_no_text() -> None:
    names = {field.name for field in dataclasses.fields(Safeguarding)}
    assert names == {"category", "language", "flow", "node"}


def test_crisis_after_the_flow_ended_is_still_signposted(library) -> None:
    chat = Chat(library, "forget")
    chat.send("no")
    step = chat.send("he won't wake up")
    assert step.events[0].kind == "safeguarding"
    assert isinstance(step.events[1], Message)
    assert step.events[1].text == system_text("signposting", "en")


def test_crisis_words_win_over_commands_in_the_same_message(library) -> None:
    chat = Chat(library, "checkin")
    step = chat.send("stop I want to die")
    assert step.events[0].kind == "safeguarding"
    assert not step.ended


def test_unclear_answer_after_signposting_twice_carries_on(library) -> None:
    chat = Chat(library, "checkin")
    chat.send("2")
    chat.send("suicidal")
    chat.send("hmm")
    assert chat.step.messages[0].text == system_text("not_understood", "en")
    chat.send("hmm")
    assert chat.question.node == "hard"


def test_every_signposting_text_fits_one_message() -> None:
    for language in ("en", "pl", "ro"):
        assert len(system_text("signposting", language)) <= 160
