"""Fixtures for bot tests."""

from collections.abc import Iterator

import pytest
from fake_telegram import FakeTelegram


# --- fake Telegram Bot API: keep this fixture first; add other bot fixtures below it. ---
@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A fake Bot API server on 127.0.0.1 for this test; point PTB at its base_url."""
    with FakeTelegram() as tg:
        yield tg
