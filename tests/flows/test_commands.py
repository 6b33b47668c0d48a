"""Commands work at any point, typed in any flow language or sent by a button."""

from __future__ import annotations

import pytest
from flows_chat import Chat

from flows import Action, Input, system_text


@pytest.mark.parametrize(
    ("language", "word"),
    [
        ("en", "stop"),
        ("en", "STOP!!"),
        ("en", " Stop. "),
        ("pl", "koniec"),
        ("pl", "stop"),
        ("ro", "gata"),
        ("ro", "stop"),
    ],
)
def test_stop_mid_flow_keeps_saved_answers(library, language, word) -> None:
    chat = Chat(library, "checkin", language)
    chat.send("4")
    chat.send(word)

    assert chat.step.ended and chat.ended().reason == "stopped"
    assert chat.step.messages[0].text == system_text("goodbye", language)
    assert [(r.name, r.value) for r in chat.results()] == [("mood", "4")]
    assert chat.session["results"]["mood"] == {"value": "4", "category": "good"}


def test_stop_as_a_command_input(library) -> None:
    chat = Chat(library, "feedback")
    chat.send(Input(command="stop"))
    assert chat.ended().reason == "stopped"


def test_a_sentence_containing_stop_is_an_answer(library) -> None:
    chat = Chat(library, "checkin")
    chat.send("3")
    chat.send("They never stop talking over me")
    assert not chat.step.ended
    assert chat.results()[-1].value == "They never stop talking over me"
    assert chat.question.node == "hard"


@pytest.mark.parametrize("word", ["back", "wstecz", "înapoi", "inapoi", "BACK!"])
def test_back_reasks_the_previous_question(library, word) -> None:
    chat = Chat(library, "feedback")
    chat.send("5")
    chat.send("Warm")
    assert chat.question.node == "change"
    chat.send(word)
    assert chat.question.node == "good"
    chat.send(word)
    assert chat.question.node == "rate"


def test_back_then_a_new_answer_replaces_the_old_one(library) -> None:
    chat = Chat(library, "feedback")
    chat.send("5")
    chat.send("back")
    chat.send("2")
    assert chat.session["results"]["rating"] == {"value": "2", "category": "bad"}
    assert chat.question.node == "good"


def test_back_at_the_first_question_says_so_and_asks_again(library) -> None:
    chat = Chat(library, "checkin")
    chat.send("back")
    texts = [m.text for m in chat.step.messages]
    assert texts[0] == system_text("first_question", "en")
    assert chat.question.node == "how"


@pytest.mark.parametrize(("language", "word"), [("en", "skip"), ("pl", "pomiń"), ("ro", "sari")])
def test_skipping_everything_saves_skipped_and_finishes(library, language, word) -> None:
    chat = Chat(library, "feedback", language)
    chat.play(lambda question, chat: Input(text=word))
    assert chat.ended().reason == "completed"
    results = chat.results()
    assert [r.name for r in results] == ["rating", "good", "change", "recommend"]
    assert all(r.category == "skipped" and r.value == "" and r.input == "skip" for r in results)


def test_skipping_consent_is_not_consent(library) -> None:
    chat = Chat(library, "welcome")
    chat.send(Input(command="skip"))
    assert chat.ended().reason == "declined"
    assert not any(isinstance(e, Action) and e.name == "consent" for e in chat.events())


def test_repeat_sends_the_question_again_without_using_a_try(library) -> None:
    chat = Chat(library, "checkin")
    chat.send("blah")
    chat.send("repeat")
    assert [m.node for m in chat.step.messages] == ["how"]
    chat.send("blah")
    assert chat.results()[-1].category == "other"


def test_help_says_what_to_do_then_asks_again(library) -> None:
    chat = Chat(library, "checkin", "ro")
    chat.send("ajutor")
    texts = [m.text for m in chat.step.messages]
    assert texts == [system_text("help", "ro"), "Cum îți merge azi?"]
    assert chat.step.events[-1].kind == "waiting"


def test_a_lone_question_mark_asks_for_help(library) -> None:
    chat = Chat(library, "checkin")
    chat.send("?")
    assert chat.step.messages[0].text == system_text("help", "en")


def test_switching_language_midway_asks_again_in_the_new_language(library) -> None:
    chat = Chat(library, "checkin")
    chat.send("4")
    chat.send("language")
    options = chat.question.options
    assert [(o.key, o.emoji, o.label) for o in options] == [
        ("en", "🇬🇧", "English"),
        ("pl", "🇵🇱", "Polski"),
        ("ro", "🇷🇴", "Română"),
    ]
    chat.send("🇷🇴")
    assert Action("language", "ro") in chat.step.events
    assert chat.question.text == "Ce te-a ajutat în ultima vreme? Scrie un lucru."
    assert chat.session["language"] == "ro"
    chat.send("Mâncarea")
    assert chat.results()[-1].value == "Mâncarea"
    assert chat.question.language == "ro"


@pytest.mark.parametrize(
    "answer", [Input(choice="pl"), Input(text="2"), Input(text="polski"), Input(text="POLISH")]
)
def test_language_question_understands_taps_numbers_and_names(library, answer) -> None:
    chat = Chat(library, "feedback")
    chat.send("język")
    chat.send(answer)
    assert chat.session["language"] == "pl"
    assert chat.question.text == "Jak oceniasz tę usługę?"


def test_unclear_language_answer_twice_goes_back_to_the_question(library) -> None:
    chat = Chat(library, "feedback")
    chat.send("language")
    chat.send("klingon")
    chat.send("klingon")
    assert chat.session["language"] == "en"
    assert chat.question.node == "rate" and chat.question.options[0].key == "awful"


def test_forget_mid_flow_confirms_and_no_returns_to_the_question(library) -> None:
    chat = Chat(library, "checkin")
    chat.send("4")
    chat.send("delete my data")
    assert chat.session["flow"] == "forget"
    assert chat.question.text == "This deletes everything you told us. Are you sure?"
    chat.send("no")
    assert not any(isinstance(e, Action) and e.name == "forget" for e in chat.events())
    assert chat.session["flow"] == "checkin"
    assert chat.question.node == "helped"
    assert chat.session["results"]["mood"]["value"] == "4"


def test_forget_mid_flow_yes_asks_the_host_to_delete_and_ends(library) -> None:
    chat = Chat(library, "checkin")
    chat.send("4")
    chat.send(Input(command="forget"))
    chat.send("yes")
    assert Action("forget", "yes") in chat.step.events
    assert chat.step.messages[-1].text == "Done. All gone."
    assert chat.step.ended and chat.ended().reason == "completed"
    assert chat.session["stack"] == []


@pytest.mark.parametrize("command", ["dance", "", "HELP", "Stop"])
def test_unknown_command_input_is_not_understood(library, command) -> None:
    chat = Chat(library, "feedback")
    chat.send(Input(command=command))
    assert chat.step.messages[0].text == system_text("not_understood", "en")
    assert not chat.step.ended


def test_help_menu_enters_each_flow(library) -> None:
    for key, flow, node in [
        ("checkin", "checkin", "how"),
        ("feedback", "feedback", "rate"),
        ("ideas", "codesign", "idea"),
        ("delete", "forget", "confirm"),
    ]:
        chat = Chat(library, "help")
        chat.send(Input(choice=key))
        assert (chat.session["flow"], chat.question.node) == (flow, node)


def test_after_a_flow_ends_help_starts_the_help_flow(library) -> None:
    chat = Chat(library, "forget")
    chat.send("no")
    assert chat.step.ended
    chat.send("hello?")
    assert chat.step.messages[0].text == system_text("ended", "en")
    chat.send("help")
    assert chat.session["flow"] == "help" and not chat.step.ended


def test_polish_no_is_not_taken_for_yes_or_no(library) -> None:
    chat = Chat(library, "welcome", "pl")
    chat.send("no")
    assert chat.step.messages[0].text == system_text("not_understood", "pl")
    chat.send("nie")
    assert chat.ended().reason == "declined"


def test_english_no_declines(library) -> None:
    chat = Chat(library, "welcome")
    chat.send("no")
    assert Action("consent", "no") in chat.step.events
    assert chat.ended().reason == "declined"
