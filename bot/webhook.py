"""The webhook: Telegram POSTs updates here; they are checked, queued and answered at once."""

import hmac
import logging
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from telegram import Update

from bot.application import HeardApplication

log = logging.getLogger(__name__)

DEFAULT_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_path(webhook_url: str | None) -> str:
    """Return the path the webhook listens on: the public URL's path, else the default."""
    path = urlsplit(webhook_url or "").path.rstrip("/")
    return path or DEFAULT_PATH


def webhook_router(
    application: HeardApplication, secret: str, *, path: str = DEFAULT_PATH
) -> APIRouter:
    """Return a router whose POST `path` hands Telegram's updates to the Application."""
    router = APIRouter(tags=["telegram"])
    expected = secret.encode()

    @router.post(
        path,
        summary="Receive a Telegram update",
        description=(
            "Telegram calls this with each update. The `X-Telegram-Bot-Api-Secret-Token` "
            "header must match the secret given to setWebhook (403 otherwise). The update is "
            "queued and answered with 200 at once; the bot replies through the Bot API."
        ),
        status_code=200,
        response_class=Response,
    )
    async def receive_update(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return JSONResponse(
                {"error": "forbidden", "detail": "The webhook secret is missing or wrong."},
                status_code=403,
            )
        try:
            data = await request.json()
            update = Update.de_json(data, application.bot) if isinstance(data, dict) else None
        except Exception as exc:  # anything unreadable is dropped, or Telegram resends it forever
            log.warning("Dropped an unreadable webhook update (%s)", type(exc).__name__)
            update = None
        if update is not None:
            await application.update_queue.put(update)
        return Response(status_code=200)

    return router
