"""`heard serve`, `heard api` and `heard bot`: run the API, the bot, or both in one process."""

import secrets

import typer
from pydantic import SecretStr

from api.app import create_app
from api.db import create_schema, make_engine
from api.settings import Settings, get_settings
from heard.server import run_server


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
    engine = make_engine(settings.database_url)
    create_schema(engine)
    app = create_app(settings, engine=engine)
    typer.echo("Heard: the Telegram bot is off. Set HEARD_TELEGRAM_TOKEN to turn it on.")
    run_server(app, host=host or settings.host, port=port or settings.port)


def api(
    host: str = typer.Option(None, help="Address to listen on (default HEARD_HOST)."),
    port: int = typer.Option(None, help="Port to listen on (default HEARD_PORT, 8000)."),
) -> None:
    """Run the API alone (the bot runs elsewhere with `heard bot`)."""
    settings = get_settings()
    app = create_app(settings)
    run_server(app, host=host or settings.host, port=port or settings.port)


def bot() -> None:
    """Run the Telegram bot alone; it reaches the API at HEARD_API_URL."""
    raise typer.Exit(code=2)
