"""Persona tables: every built-in flow, in every language, walked by different kinds of person."""

from __future__ import annotations

import pytest
from flows_chat import Chat

from flows import Input, Message, system_text

FLOWS = [
    ("welcome", {}),
    ("welcome", {"org": "The Day Centre"}),
    ("checkin", {}),
    ("feedback", {}),
    ("codesign", {}),
    ("codesign", {"proposal": "Open the drop-in on Sundays"}),
    ("forget", {}),
    ("help", {}),
]
LANGUAGES = ["en", "pl", "ro"]
FREE_TEXT = {"en": "The staff were kind", "pl": "Miła obsługa", "ro": "Personalul a fost bun"}
ONE_WORD_TEXT = {"en": "Food", "pl": "Jedzenie", "ro": "Mâncare"}
ONE_WORD_YES = {"en": "yeah", "pl": "tak", "ro": "da"}


def _misspell(label: str) -> str:
    """Swap two neighbouring letters after the first, or double the last letter."""
    chars = list(label)
    for i in range(1, len(chars) - 1):
        if chars[i].isalpha() and chars[i + 1].isalpha() and chars[i] != chars[i + 1]:
            if len(label) >= 4:
                chars[i], chars[i + 1] = chars[i + 1], chars[i]
                return "".join(chars)
            break
    return label + label[-1]


def taps_first(question: Message, chat: Chat) -> Input:
    if question.options:
        return Input(choice=question.options[0].key)
    return Input(text=FREE_TEXT[chat.language])


def taps_last(question: Message, chat: Chat) -> Input:
    if question.options:
        return Input(choice=question.options[-1].key)
    return Input(text=FREE_TEXT[chat.language])


def numbers(question: Message, chat: Chat) -> Input:
    return Input(text=" 1. " if question.options else "3")


def emoji(question: Message, chat: Chat) -> Input:
    if question.options:
        return Input(text=question.options[0].emoji)
    return Input(text="👍")


def misspelt(question: Message, chat: Chat) -> Input:
    if question.options:
        return Input(text=_misspell(question.options[0].label))
    return Input(text="teh staf wer nice")


def one_word(question: Message, chat: Chat) -> Input:
    keys = [option.key for option in question.options]
    if "yes" in keys:
        return Input(text=ONE_WORD_YES[chat.language])
    for option in question.options:
        if len(option.label.split()) == 1:
            return Input(text=option.label.lower())
    return Input(text=ONE_WORD_TEXT[chat.language])


PERSONAS = {
    "taps_first": taps_first,
    "taps_last": taps_last,
    "numbers": numbers,
    "emoji": emoji,
    "misspelt": misspelt,
    "one_word": one_word,
}


def _flow_id(case: tuple[str, dict[str, str]]) -> str:
    flow, params = case
    return flow + ("+" + "+".join(params) if params else "")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", FLOWS, ids=_flow_id)
def test_persona_finishes_flow_understood_every_time(library, case, language, persona) -> None:
    flow, params = case
    chat = Chat(library, flow, language, params).play(PERSONAS[persona])

    ended = chat.ended()
    assert ended is not None and ended.reason in ("completed", "declined")
    sorry = system_text("not_understood", language)
    assert all(message.text != sorry for message in chat.messages())
    assert chat.results(), "every built-in flow asks at least one question"
    assert all(result.category != "other" for result in chat.results())
    assert all(message.language == language for message in chat.messages())
    assert all(0 < len(message.text) <= 160 for message in chat.messages())
    assert chat.messages()[-1].question is False


def test_taps_on_last_option_decline_welcome(library) -> None:
    chat = Chat(library, "welcome").play(taps_last)
    assert chat.ended().reason == "declined"
    assert [r.name for r in chat.results()] == ["consent"]


def test_help_menu_number_enters_the_chosen_flow(library) -> None:
    chat = Chat(library, "help")
    chat.send("1")
    assert chat.session["flow"] == "checkin"
    assert chat.question.node == "how"


def test_codesign_with_proposal_says_it_then_asks_for_a_vote(library) -> None:
    chat = Chat(library, "codesign", params={"proposal": "Hot food at night"})
    texts = [m.text for m in chat.messages()]
    assert texts[0] == "Here is an idea: Hot food at night"
    assert chat.question.node == "vote"
    assert [o.emoji for o in chat.question.options] == ["👍", "🤷", "👎"]


def test_codesign_without_proposal_asks_for_an_idea_straight_away(library) -> None:
    chat = Chat(library, "codesign")
    assert chat.question.node == "idea"
    chat.send("More showers")
    assert [(r.name, r.value) for r in chat.results()] == [("idea", "More showers")]


def test_checkin_finishes_with_the_four_scripted_lines(library) -> None:
    chat = Chat(library, "checkin")
    for line in ["1", "2", "The staff listened", "no"]:
        chat.send(line)
    assert chat.step.ended and chat.ended().reason == "completed"
    assert [(r.name, r.value, r.category) for r in chat.results()] == [
        ("mood", "1", "awful"),
        ("helped", "2", "text"),
        ("hard", "The staff listened", "text"),
        ("more", "no", "no"),
    ]


def test_welcome_reads_fine_with_and_without_org(library) -> None:
    plain = Chat(library, "welcome").messages()[0].text
    named = Chat(library, "welcome", params={"org": "Crisis Skylight"}).messages()[0].text
    assert "{" not in plain and "{" not in named
    assert "Crisis Skylight runs it" in named
