"""Replies become short texts with numbered options and big one-time buttons."""

import pytest
from telegram import ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot.client import Reply, ReplyOption
from bot.rendering import MAX_TEXT, Choices, button_text, keyboard_for, markup_for, render_text
from bot.texts import COMMANDS, TEXTS, say

FACES = [
    ReplyOption(key="bad", emoji="😞", label="Bad"),
    ReplyOption(key="ok", emoji="😐", label="OK"),
    ReplyOption(key="good", emoji="😊", label="Good"),
]


def test_options_are_numbered_under_the_question_with_a_hint() -> None:
    text = render_text(Reply(text="How was it?", options=FACES))
    assert text == "How was it?\n\n1 😞 Bad\n2 😐 OK\n3 😊 Good\nReply 1, 2 or 3"


def test_the_hint_follows_the_reply_language() -> None:
    text = render_text(Reply(text="Jak było?", options=FACES[:2], language="pl"))
    assert text.splitlines()[-1] != "Reply 1 or 2"
    assert "1" in text.splitlines()[-1] and "2" in text.splitlines()[-1]


def test_a_reply_without_options_is_its_text() -> None:
    assert render_text(Reply(text="Thank you.")) == "Thank you."


def test_a_huge_reply_still_fits_one_telegram_message_with_its_options() -> None:
    text = render_text(Reply(text="x" * 10_000, options=FACES))
    assert len(text) <= MAX_TEXT
    assert text.endswith("Reply 1, 2 or 3")


def test_keyboard_is_resized_one_time_with_emoji_and_word_buttons() -> None:
    keyboard = keyboard_for(FACES)
    assert keyboard.resize_keyboard and keyboard.one_time_keyboard
    assert [[b.text for b in row] for row in keyboard.keyboard] == [
        ["😞 Bad"],
        ["😐 OK"],
        ["😊 Good"],
    ]


def test_markup_clears_old_buttons_only_on_the_last_reply_without_options() -> None:
    assert isinstance(markup_for(Reply(text="q", options=FACES), last=False), ReplyKeyboardMarkup)
    assert isinstance(markup_for(Reply(text="Thanks"), last=True), ReplyKeyboardRemove)
    assert markup_for(Reply(text="Thanks"), last=False) is None


def test_a_tapped_button_maps_back_to_its_key_and_typing_goes_as_text() -> None:
    choices = Choices()
    choices.show("p" * 20, FACES)
    assert choices.choice_for("p" * 20, "😐 OK") == "ok"
    assert choices.choice_for("p" * 20, " 😊 Good ") == "good"
    assert choices.choice_for("p" * 20, "2") is None  # numbers are the API's to read
    assert choices.choice_for("q" * 20, "😐 OK") is None  # someone else's buttons
    choices.show("p" * 20, [])
    assert choices.choice_for("p" * 20, "😐 OK") is None


def test_choices_forget_the_oldest_beyond_their_size() -> None:
    choices = Choices(size=2)
    for name in ("a", "b", "c"):
        choices.show(name * 20, FACES)
    assert choices.choice_for("a" * 20, "😐 OK") is None
    assert choices.choice_for("c" * 20, "😐 OK") == "ok"


def test_an_option_without_emoji_or_label_still_has_a_button() -> None:
    assert button_text(ReplyOption(key="x")) == "x"


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_the_bots_own_texts_are_short_in_every_language(key: str) -> None:
    assert set(TEXTS[key]) == {"en", "pl", "ro"}
    for text in TEXTS[key].values():
        assert 0 < len(text) <= 160


def test_unknown_languages_fall_back_to_english() -> None:
    assert say("only_words", "xx") == TEXTS["only_words"]["en"]
    assert say("only_words", None) == TEXTS["only_words"]["en"]


def test_the_command_menu_fits_telegrams_limits() -> None:
    for name, description in COMMANDS:
        assert name.islower() and 1 <= len(name) <= 32
        assert 3 <= len(description) <= 256
