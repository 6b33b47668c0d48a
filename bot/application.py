"""Build the bot's python-telegram-bot Application and run it (polling or webhook).

`build_application` wires everything; `running` is the whole lifecycle as one async context
(start, serve, stop cleanly) so `heard bot` and `heard serve` share it.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies

from telegram import BotCommand
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest, HTTPXRequest

from bot.client import ChannelClient
from bot.handlers import add_handlers
from bot.identity import Identity, load_identity
from bot.keepalive import KeepAliveRequest
from bot.logs import quiet_loggers
from bot.outbox import OutboxSender
from bot.relay import Relay
from bot.settings import BotSettings
from bot.spool import Spool
from bot.texts import COMMANDS
from bot.voice import VoicePrompts

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "channel_post", "callback_query", "my_chat_member"]
SPOOL_FILE = "bot_spool.db"

HeardApplication = Application[Any, Any, Any, Any, Any, Any]


class BotConfigError(RuntimeError):
    """The bot cannot start with these settings."""


def build_application(
    settings: BotSettings,
    *,
    client: ChannelClient | None = None,
    identity: Identity | None = None,
) -> HeardApplication:
    """Build the Application for these settings (tests and `heard serve` pass their own client)."""
    if settings.telegram_token is None:
        raise BotConfigError("HEARD_TELEGRAM_TOKEN is not set: the bot has nothing to log in with.")
    quiet_loggers()
    identity = identity or load_identity(settings)
    if client is None:
        if settings.channel_token is None:
            raise BotConfigError(
                "HEARD_CHANNEL_TOKEN is not set: the bot needs the API's channel token."
            )
        client = ChannelClient(
            settings.api_url,
            settings.channel_token.get_secret_value(),
            timeout=settings.api_timeout,
        )
    spool = Spool(settings.data_dir / SPOOL_FILE)
    relay = Relay(client=client, identity=identity, spool=spool, voices=VoicePrompts(client, spool))
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_file_base_url)
        .concurrent_updates(settings.concurrent_updates)
        .request(_request_layer(settings))
        .post_init(start_workers)
        .post_shutdown(stop_workers)
        .build()
    )
    application.bot_data["relay"] = relay
    application.bot_data["settings"] = settings
    application.bot_data["outbox"] = OutboxSender(
        bot=application.bot,
        client=client,
        identity=identity,
        relay=relay,
        interval=settings.outbox_interval,
        batch=settings.outbox_batch,
        rate=settings.outbox_rate,
        chat_gap=settings.outbox_chat_gap,
    )
    add_handlers(application)
    return application


async def start_workers(application: HeardApplication) -> None:
    """Publish the command menu and start the outbox sender and the spool replayer."""
    with contextlib.suppress(TelegramError):
        await application.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS])
    application.bot_data["outbox"].start()
    settings: BotSettings = application.bot_data["settings"]
    relay: Relay = application.bot_data["relay"]
    application.bot_data["replayer"] = asyncio.create_task(
        relay.replay_forever(application.bot, settings.spool_interval), name="heard-spool"
    )


async def stop_workers(application: HeardApplication) -> None:
    """Stop the outbox sender and the spool replayer, and close the API client and spool."""
    await application.bot_data["outbox"].stop()
    replayer: asyncio.Task[None] | None = application.bot_data.pop("replayer", None)
    if replayer is not None:
        replayer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await replayer
    relay: Relay = application.bot_data["relay"]
    await relay.client.aclose()
    relay.spool.close()


@contextlib.asynccontextmanager
async def running(
    application: HeardApplication,
    *,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
) -> AsyncIterator[HeardApplication]:
    """Run the bot for the duration of the block: polling, or webhook when a URL is given."""
    async with application:
        await start_workers(application)
        try:
            await application.start()
            if webhook_url:
                await application.bot.set_webhook(
                    webhook_url, secret_token=webhook_secret, allowed_updates=ALLOWED_UPDATES
                )
            else:
                assert application.updater is not None
                await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            try:
                yield application
            finally:
                if application.updater is not None and application.updater.running:
                    await application.updater.stop()
                await application.stop()
        finally:
            await stop_workers(application)


def _request_layer(settings: BotSettings) -> BaseRequest:
    """Choose how replies reach the Bot API: the lean keep-alive layer, or PTB's httpx one."""
    scheme = urlsplit(settings.telegram_api_base_url).scheme
    if settings.telegram_http == "lean":
        if scheme not in getproxies():
            return KeepAliveRequest(connections=settings.telegram_connections)
        # The lean layer speaks straight to the server; httpx knows how to go through a proxy.
        log.info("a %s proxy is set: replies to Telegram go through httpx", scheme)
    return HTTPXRequest(connection_pool_size=settings.telegram_connections)
