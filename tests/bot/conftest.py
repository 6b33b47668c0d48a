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


# --- the bot against the fake Telegram and the real API (bot helper) ---------------------
from collections.abc import AsyncIterator  # noqa: E402
from pathlib import Path  # noqa: E402

from bot_harness import BotRig, asgi_client, bot_settings, running_bot  # noqa: E402
from fastapi import FastAPI  # noqa: E402

from bot.settings import BotSettings  # noqa: E402


@pytest.fixture
async def live_api(app: FastAPI) -> AsyncIterator[FastAPI]:
    """The real API app with its lifespan run, for in-process calls."""
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
def bot_config(fake_telegram: FakeTelegram, tmp_path: Path) -> BotSettings:
    """Bot settings pointing at the fake Telegram, with test keys and quick loops."""
    return bot_settings(fake_telegram, tmp_path / "bot")


@pytest.fixture
async def rig(
    fake_telegram: FakeTelegram, live_api: FastAPI, bot_config: BotSettings
) -> AsyncIterator[BotRig]:
    """The bot polling the fake Telegram and reaching the API in-process."""
    async with running_bot(fake_telegram, bot_config, asgi_client(live_api)) as running:
        yield running
    assert running.errors == [], "a handler raised"


@pytest.fixture
async def webhook_rig(
    fake_telegram: FakeTelegram, live_api: FastAPI, bot_config: BotSettings
) -> AsyncIterator[BotRig]:
    """The bot in webhook mode: the fake POSTs updates to a uvicorn-served webhook route."""
    client = asgi_client(live_api)
    async with running_bot(fake_telegram, bot_config, client, webhook=True) as running:
        yield running
    assert running.errors == [], "a handler raised"
