"""The shared texts: short, plain, in every language, and the option hint the bot shows."""

from __future__ import annotations

import pytest

from flows import hint_for, system_text
from flows.inspection import reading_ease
from flows.texts import LANGUAGES, SYSTEM_TEXTS


@pytest.mark.parametrize("key", sorted(SYSTEM_TEXTS))
def test_every_shared_text_is_in_every_language_and_fits(key) -> None:
    for language in LANGUAGES:
        text = SYSTEM_TEXTS[key][language]
        assert 0 < len(text) <= 160
    if len(SYSTEM_TEXTS[key]["en"].split()) > 2:
        assert reading_ease(SYSTEM_TEXTS[key]["en"]) >= 80


@pytest.mark.parametrize(
    ("count", "language", "hint"),
    [
        (0, "en", ""),
        (1, "en", "Reply 1"),
        (2, "en", "Reply 1 or 2"),
        (3, "en", "Reply 1, 2 or 3"),
        (5, "en", "Reply 1, 2, 3, 4 or 5"),
        (2, "pl", "Odpowiedz 1 lub 2"),
        (3, "ro", "Răspunde 1, 2 sau 3"),
        (2, "xx", "Reply 1 or 2"),
    ],
)
def test_hint_lists_the_numbers_to_reply_with(count, language, hint) -> None:
    assert hint_for(count, language) == hint


def test_system_text_falls_back_to_english() -> None:
    assert system_text("goodbye", "xx") == system_text("goodbye", "en")
    assert system_text("yes", "pl") == "Tak"
