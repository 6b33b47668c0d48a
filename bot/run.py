"""Run the bot on its own: `heard bot` polls, or serves a webhook when one is configured.

Logging is set up by the caller (`heard` configures its privacy-filtered root handler).
"""

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from fastapi import FastAPI

from bot.application import ALLOWED_UPDATES, build_application, running
from bot.settings import BotSettings
from bot.webhook import webhook_path, webhook_router


def webhook_secret(settings: BotSettings) -> str:
    """Return the webhook secret: the configured one, or a fresh one for this run."""
    if settings.telegram_webhook_secret is not None:
        return settings.telegram_webhook_secret.get_secret_value()
    # setWebhook is called on every start, so a secret made now is as good as a stored one.
    return secrets.token_urlsafe(32)


def run_polling(settings: BotSettings) -> None:
    """Poll Telegram for updates until interrupted."""
    application = build_application(settings)
    application.run_polling(allowed_updates=ALLOWED_UPDATES)


def webhook_app(settings: BotSettings) -> FastAPI:
    """Return a small web app that serves the webhook and runs the bot in its lifespan."""
    application = build_application(settings)
    secret = webhook_secret(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(
            application, webhook_url=settings.telegram_webhook_url, webhook_secret=secret
        ):
            yield

    app = FastAPI(title="Heard Telegram webhook", lifespan=lifespan)
    app.include_router(
        webhook_router(application, secret, path=webhook_path(settings.telegram_webhook_url))
    )
    return app


def run_webhook(settings: BotSettings) -> None:
    """Serve the webhook (on HEARD_WEBHOOK_HOST:HEARD_WEBHOOK_PORT) until interrupted."""
    uvicorn.run(
        webhook_app(settings),
        host=settings.webhook_host,
        port=settings.webhook_port,
        log_config=None,  # keep the caller's (privacy-filtered) logging
        access_log=False,  # raw paths and client addresses have no place in the log
    )
