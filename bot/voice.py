"""Spoken questions: fetch a reply's audio from the API once, then send it by Telegram file id."""

import asyncio
import logging
import re

from telegram import Bot, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.error import BadRequest

from bot.client import ChannelClient, ChannelError
from bot.spool import Spool

log = logging.getLogger(__name__)

_AUDIO_ID = re.compile(r"/audio/([A-Za-z0-9_.-]{1,128})\.ogg$")


def audio_id(audio_url: str) -> str | None:
    """Return the audio id in `/v1/channel/audio/{id}.ogg`, or None for another URL."""
    found = _AUDIO_ID.search(audio_url.split("?", 1)[0])
    return found.group(1) if found else None


class VoicePrompts:
    """Send a reply's audio as a voice note, uploading each audio only once."""

    def __init__(self, client: ChannelClient, spool: Spool) -> None:
        self._client = client
        self._spool = spool
        self._file_ids: dict[str, str] = {}
        self._uploading: dict[str, asyncio.Lock] = {}

    async def send(
        self,
        bot: Bot,
        chat_id: int,
        audio_url: str,
        *,
        markup: ReplyKeyboardMarkup | ReplyKeyboardRemove | None = None,
    ) -> bool:
        """Send the audio at `audio_url` to a chat; False when there is none to send."""
        key = audio_id(audio_url)
        if key is None:
            return False
        # One upload per audio, even when two people need the same question at once.
        async with self._uploading.setdefault(key, asyncio.Lock()):
            return await self._send(bot, chat_id, key, audio_url, markup)

    async def _send(
        self,
        bot: Bot,
        chat_id: int,
        key: str,
        audio_url: str,
        markup: ReplyKeyboardMarkup | ReplyKeyboardRemove | None,
    ) -> bool:
        file_id = self._file_ids.get(key) or self._spool.file_id(key)
        if file_id is not None:
            try:
                await bot.send_voice(chat_id, file_id, protect_content=True, reply_markup=markup)
                self._file_ids[key] = file_id
                return True
            except BadRequest:
                # Telegram no longer knows the file: upload it again below.
                self._file_ids.pop(key, None)
                self._spool.forget_file_id(key)
        try:
            audio = await self._client.fetch_audio(audio_url)
        except ChannelError as exc:
            log.warning("No prompt audio to send (%s)", type(exc).__name__)
            return False
        sent = await bot.send_voice(
            chat_id, audio, filename=f"{key}.ogg", protect_content=True, reply_markup=markup
        )
        if sent.voice is not None:
            self._file_ids[key] = sent.voice.file_id
            self._spool.remember_file_id(key, sent.voice.file_id)
        return True
