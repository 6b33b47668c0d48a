"""`heard serve` runs the bot in the API's process; `heard bot` runs it alone."""

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from bot_harness import LoopServer, bot_settings
from fake_telegram import FakeTelegram, updates
from sqlalchemy.engine import Engine

from api.app import create_app
from api.settings import Settings, get_settings
from bot.settings import get_bot_settings
from heard import serve

ALEX = 5_550_007_007


async def test_serve_runs_the_polling_bot_inside_the_api(
    fake_telegram: FakeTelegram, settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    app = create_app(settings, engine=engine)
    application = serve.attach_bot(app, settings, bot_settings(fake_telegram, tmp_path / "bot"))
    async with LoopServer(app):
        assert application.running
        fake_telegram.inject(updates.command(ALEX, "/start"))
        sent = await fake_telegram.wait_for_sent_async(4, chat_id=ALEX, method="sendMessage")
        assert sent[-1].text.startswith("Are you happy to take part?")
    assert not application.running


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_serve_in_webhook_mode_takes_updates_on_the_api_port(
    fake_telegram: FakeTelegram, settings: Settings, engine: Engine, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/hooks/telegram"
    config = bot_settings(
        fake_telegram,
        tmp_path / "bot",
        telegram_webhook_url=url,
        telegram_webhook_secret="serve-secret-123",
    )
    app = create_app(settings, engine=engine)
    serve.attach_bot(app, settings, config)
    async with LoopServer(app, port=port):
        assert fake_telegram.webhook is not None
        assert fake_telegram.webhook["url"] == url
        assert fake_telegram.webhook["secret_token"] == "serve-secret-123"
        fake_telegram.inject(updates.command(ALEX, "/start"))
        await fake_telegram.wait_for_sent_async(4, chat_id=ALEX, method="sendMessage")
        # The webhook is matched first; the API's own routes answer as before.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            assert (await http.get("/healthz")).status_code == 200
            assert "/v1/channel/messages" in (await http.get("/openapi.json")).json()["paths"]
            assert (await http.post("/hooks/telegram", json={})).status_code == 403  # no secret
    assert all(d.ok for d in fake_telegram.webhook_deliveries)


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """A clean HEARD_* environment for the CLI functions, with their settings caches cleared."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("HEARD_TELEGRAM_TOKEN", "HEARD_TELEGRAM_WEBHOOK_URL", "HEARD_CHANNEL_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HEARD_ENV", "development")
    monkeypatch.setenv("HEARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HEARD_DATABASE_URL", f"sqlite:///{tmp_path / 'heard.db'}")
    get_settings.cache_clear()
    get_bot_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()
    get_bot_settings.cache_clear()


def served(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    apps: list[Any] = []
    monkeypatch.setattr(serve, "run_server", lambda app, **_: apps.append(app))
    return apps


def test_serve_without_a_token_says_the_bot_is_off_and_how_to_turn_it_on(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    apps = served(environment)
    serve.serve(host="127.0.0.1", port=8000)
    assert "the Telegram bot is off. Set HEARD_TELEGRAM_TOKEN" in capsys.readouterr().out
    (app,) = apps
    assert all(getattr(h, "__name__", "") != "start_bot" for h in app.state.startup_hooks)


def test_serve_with_a_token_hooks_the_bot_into_the_api_lifespan(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv("HEARD_TELEGRAM_TOKEN", "123456:TEST-token")
    apps = served(environment)
    serve.serve(host="127.0.0.1", port=8000)
    assert "the Telegram bot is on (polling)" in capsys.readouterr().out
    (app,) = apps
    assert [h.__name__ for h in app.state.startup_hooks][-1] == "start_bot"
    assert [h.__name__ for h in app.state.shutdown_hooks][-1] == "stop_bot"


def test_serve_in_production_without_bot_keys_stops_with_the_names(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv("HEARD_ENV", "production")
    environment.setenv("HEARD_CHANNEL_TOKEN", "a-channel-token-for-this-test")
    environment.setenv("HEARD_TELEGRAM_TOKEN", "123456:TEST-token")
    served(environment)
    with pytest.raises(typer.Exit) as stopped:
        serve.serve(host="127.0.0.1", port=8000)
    assert stopped.value.exit_code == 2
    assert "HEARD_PSEUDONYM_KEY" in capsys.readouterr().err


def test_heard_bot_without_a_token_says_what_to_set(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(typer.Exit) as stopped:
        serve.bot()
    assert stopped.value.exit_code == 2
    assert "HEARD_TELEGRAM_TOKEN" in capsys.readouterr().err


def test_heard_bot_without_a_channel_token_says_what_to_set(
    environment: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv("HEARD_TELEGRAM_TOKEN", "123456:TEST-token")
    with pytest.raises(typer.Exit) as stopped:
        serve.bot()
    assert stopped.value.exit_code == 2
    assert "HEARD_CHANNEL_TOKEN" in capsys.readouterr().err
