"""`heard serve`, `heard api` and `heard bot`: run the API, the bot, or both in one process."""

import os
import secrets
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from fastapi import FastAPI
from pydantic import SecretStr

from api.app import create_app
from api.db import make_engine
from api.migrations import upgrade_database
from api.settings import Settings, get_settings
from bot.settings import BotSettings, get_bot_settings
from heard.server import run_server

if TYPE_CHECKING:
    from bot.application import HeardApplication

# python-telegram-bot and the bot's modules are imported only when a token is set, so an
# API-only process does not carry them (see bench/memory.py).


def _api_settings() -> Settings:
    settings = get_settings()
    if settings.channel_token is None and settings.env != "production":
        # One process: the in-process bot and the API share a token made for this run.
        settings = settings.model_copy(
            update={"channel_token": SecretStr(secrets.token_urlsafe(32))}
        )
    return settings


def serve(
    host: str = typer.Option(None, help="Address to listen on (default HEARD_HOST)."),
    port: int = typer.Option(None, help="Port to listen on (default HEARD_PORT, 8000)."),
) -> None:
    """Run the API and, when HEARD_TELEGRAM_TOKEN is set, the Telegram bot, in one process."""
    settings = _api_settings()
    upgrade_database(settings.database_url)
    engine = make_engine(settings.database_url)
    app = create_app(settings, engine=engine)
    bot_settings = get_bot_settings()
    if bot_settings.telegram_token is None:
        typer.echo("Heard: the Telegram bot is off. Set HEARD_TELEGRAM_TOKEN to turn it on.")
    else:
        from bot.application import BotConfigError
        from bot.identity import IdentityKeyError

        try:
            attach_bot(app, settings, bot_settings)
        except (BotConfigError, IdentityKeyError) as exc:
            typer.echo(f"Heard: the Telegram bot cannot start: {exc}", err=True)
            raise typer.Exit(code=2) from exc
        mode = "webhook" if bot_settings.webhook_mode else "polling"
        typer.echo(f"Heard: the Telegram bot is on ({mode}), in this process.")
    run_server(app, host=host or settings.host, port=port or settings.port)


def attach_bot(app: FastAPI, settings: Settings, bot_settings: BotSettings) -> "HeardApplication":
    """Run the bot inside the API's process: it calls the API in-process, lives in its lifespan."""
    import httpx

    from bot.application import build_application, running
    from bot.client import ChannelClient
    from bot.run import webhook_secret
    from bot.webhook import webhook_path, webhook_router

    assert settings.channel_token is not None
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    client = ChannelClient(
        "http://heard.internal",
        settings.channel_token.get_secret_value(),
        timeout=bot_settings.api_timeout,
        transport=transport,
    )
    application = build_application(bot_settings, client=client)
    webhook_url = bot_settings.telegram_webhook_url
    secret = webhook_secret(bot_settings)
    if webhook_url:
        app.include_router(webhook_router(application, secret, path=webhook_path(webhook_url)))
        # Routers are matched in order, each walked before the next: Telegram's updates, the
        # most frequent request here, should not walk every API router first.
        app.router.routes.insert(0, app.router.routes.pop())
    stack = AsyncExitStack()

    async def start_bot(_app: FastAPI) -> None:
        await stack.enter_async_context(
            running(application, webhook_url=webhook_url, webhook_secret=secret)
        )

    async def stop_bot(_app: FastAPI) -> None:
        await stack.aclose()

    app.state.startup_hooks.append(start_bot)
    app.state.shutdown_hooks.append(stop_bot)
    return application


def api(
    host: str = typer.Option(None, help="Address to listen on (default HEARD_HOST)."),
    port: int = typer.Option(None, help="Port to listen on (default HEARD_PORT, 8000)."),
) -> None:
    """Run the API alone (the bot runs elsewhere with `heard bot`)."""
    settings = get_settings()
    if settings.env == "development":
        upgrade_database(settings.database_url)
        if settings.channel_token is None:
            settings = _with_stored_channel_token(settings)
    app = create_app(settings)
    run_server(app, host=host or settings.host, port=port or settings.port)


def _with_stored_channel_token(settings: Settings) -> Settings:
    """Use (or make) a development channel token kept in <data_dir>/channel_token, mode 0600."""
    path = Path(settings.data_dir) / "channel_token"
    if path.exists():
        token = path.read_text().strip()
    else:
        token = secrets.token_urlsafe(32)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(token + "\n")
    typer.echo(f"Heard: adapters authenticate with the channel token in {path}.", err=True)
    return settings.model_copy(update={"channel_token": SecretStr(token)})


def bot() -> None:
    """Run the Telegram bot alone; it reaches the API at HEARD_API_URL."""
    settings = get_bot_settings()
    if settings.telegram_token is None:
        typer.echo("Heard: set HEARD_TELEGRAM_TOKEN (from @BotFather) to run the bot.", err=True)
        raise typer.Exit(code=2)
    from bot.application import BotConfigError
    from bot.identity import IdentityKeyError
    from bot.run import run_polling, run_webhook

    try:
        if settings.webhook_mode:
            typer.echo(
                "Heard: the Telegram bot serves its webhook on "
                f"{settings.webhook_host}:{settings.webhook_port}; "
                f"the API is at {settings.api_url}."
            )
            run_webhook(settings)
        else:
            typer.echo(f"Heard: the Telegram bot is polling; the API is at {settings.api_url}.")
            run_polling(settings)
    except (BotConfigError, IdentityKeyError) as exc:
        typer.echo(f"Heard: the Telegram bot cannot start: {exc}", err=True)
        raise typer.Exit(code=2) from exc
