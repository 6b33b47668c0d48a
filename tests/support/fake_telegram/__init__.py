"""A fake Telegram Bot API server for testing a real python-telegram-bot Application.

    from fake_telegram import FakeTelegram, updates

    with FakeTelegram() as tg:
        app = (ApplicationBuilder().token(tg.token)
               .base_url(tg.base_url).base_file_url(tg.base_file_url).build())
        tg.inject(updates.command(42, "/start", args="CODE"))
        ...
        tg.wait_for_sent(count=1, chat_id=42)       # or: await tg.wait_for_sent_async(...)

See ``FakeTelegram`` for the handle, ``updates`` for update builders and ``methods`` for the
Bot API methods served.
"""

from . import updates
from .fake import FakeTelegram
from .server import BackgroundServer
from .state import SentCall, UploadedFile, WebhookDelivery
from .updates import BOT_USER
from .webhook import SECRET_HEADER

__all__ = [
    "BOT_USER",
    "SECRET_HEADER",
    "BackgroundServer",
    "FakeTelegram",
    "SentCall",
    "UploadedFile",
    "WebhookDelivery",
    "updates",
]
