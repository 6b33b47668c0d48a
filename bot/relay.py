"""Carry a person's message to the API and its replies back, one message at a time per person.

Messages of one participant are handled in order (a per-pseudonym lock), because each answers
the question before it. When the API cannot be reached the message goes to the local spool and
the person is told kindly; the spool is replayed, in order, as soon as the API answers again.
"""

import asyncio
import contextlib
import logging
import warnings
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable
from datetime import timedelta
from typing import Any

from telegram import Bot, ReplyKeyboardMarkup, ReplyKeyboardRemove
from telegram.error import Forbidden, RetryAfter, TelegramError

from bot.client import ApiRejected, ApiUnavailable, ChannelClient, ChannelError, ChannelResponse
from bot.identity import Identity, UnsealError
from bot.rendering import Choices, markup_for, render_text
from bot.spool import Spool, SpooledMessage
from bot.texts import say
from bot.voice import VoicePrompts

log = logging.getLogger(__name__)

MAX_VOICE_BYTES = 20 * 1024 * 1024
# A reply waits out Telegram's flood control this often, if the wait is short enough; after
# that it fails (and is logged) rather than hold the person's queue.
REPLY_ATTEMPTS = 3
MAX_REPLY_WAIT = 30.0
# A spooled message the API keeps failing on (a 500) is dropped after this many replays, so
# it cannot hold back that person's later messages for ever.
MAX_REPLAY_ATTEMPTS = 5


class KeyedLocks:
    """One asyncio lock per key, dropped again once nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        """Hold the lock of `key` for the duration of the block."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class SeenIds:
    """Remember recent ids, to notice a delivery Telegram makes twice."""

    def __init__(self, size: int = 20_000) -> None:
        self._size = size
        self._seen: OrderedDict[Hashable, None] = OrderedDict()

    def first_time(self, key: Hashable) -> bool:
        """Note `key`; True when it was not seen recently."""
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True


class Relay:
    """Turn a person's Telegram messages into channel calls and send back the replies."""

    def __init__(
        self, *, client: ChannelClient, identity: Identity, spool: Spool, voices: VoicePrompts
    ) -> None:
        self.client = client
        self.identity = identity
        self.spool = spool
        self.voices = voices
        self.choices = Choices()
        self.seen = SeenIds()
        self._locks = KeyedLocks()
        self._languages: OrderedDict[str, str] = OrderedDict()
        # Set to replay now (the API just answered someone while others wait in the spool).
        self.spool_waiting = asyncio.Event()
        self._spooled = bool(spool.participants())

    def language(self, participant: str, fallback: str | None = None) -> str:
        """Return the language last used with a participant (else Telegram's hint, else en)."""
        known = self._languages.get(participant)
        if known:
            return known
        return fallback if fallback in ("en", "pl", "ro") else "en"

    async def deliver(
        self, bot: Bot, *, user_id: int, chat_id: int, message_id: str, **fields: Any
    ) -> None:
        """Hand a message to the API (or to the spool) and send the replies."""
        await self._deliver(bot, user_id, chat_id, {"message_id": message_id, **fields})

    async def deliver_voice(
        self, bot: Bot, *, user_id: int, chat_id: int, message_id: str, file_id: str
    ) -> None:
        """Download a voice note from Telegram, hand it to the API and send the replies."""
        await self._deliver(bot, user_id, chat_id, {"message_id": message_id, "voice": file_id})

    async def _deliver(self, bot: Bot, user_id: int, chat_id: int, payload: dict[str, Any]) -> None:
        participant = self.identity.pseudonym(user_id)
        locale = payload.get("locale")
        async with self._locks.hold(participant):
            if self.spool.has(participant):
                # Earlier messages are still waiting: this one must queue behind them.
                self.spool.add(participant, self.identity.seal(chat_id), payload)
                self._spooled = True
                if not await self._replay(bot, participant):
                    await self._say(bot, chat_id, "api_away", self.language(participant, locale))
                return
            try:
                response = await self._send(bot, participant, payload)
            except ApiUnavailable:
                self.spool.add(participant, self.identity.seal(chat_id), payload)
                self._spooled = True
                log.warning("The API is unreachable; a message was kept in the spool")
                await self._say(bot, chat_id, "api_away", self.language(participant, locale))
                return
            except ApiRejected as exc:
                log.warning("The API refused a message (%s %s)", exc.status, exc.error)
                await self._say(bot, chat_id, "went_wrong", self.language(participant, locale))
                return
            except _VoiceUnavailable as exc:
                await self._say(bot, chat_id, exc.text_key, self.language(participant, locale))
                return
            if self._spooled:
                self.spool_waiting.set()  # the API is back: replay the others now
            try:
                await self._answer(bot, chat_id, participant, response)
            except Forbidden:
                await self._mark_unreachable(participant)

    async def _mark_unreachable(self, participant: str) -> None:
        # The person blocked the bot between their message and our reply.
        try:
            await self.client.set_reachable(participant, False)
        except ChannelError as exc:
            log.warning("Could not mark a participant unreachable (%s)", type(exc).__name__)

    async def _send(self, bot: Bot, participant: str, payload: dict[str, Any]) -> ChannelResponse:
        fields = dict(payload)
        message_id = fields.pop("message_id")
        voice_file = fields.pop("voice", None)
        if voice_file is not None:
            audio = await _download_voice(bot, voice_file)
            return await self.client.send_voice(participant, message_id, audio)
        return await self.client.send_message(participant, message_id, **fields)

    async def _answer(
        self, bot: Bot, chat_id: int, participant: str, response: ChannelResponse
    ) -> None:
        self._languages[participant] = response.language
        self._languages.move_to_end(participant)
        if len(self._languages) > 10_000:
            self._languages.popitem(last=False)
        if response.send_address:
            try:
                await self.client.post_address(participant, self.identity.seal(chat_id))
            except ChannelError as exc:
                log.warning("Could not hand over a sealed address (%s)", type(exc).__name__)
        await self.send_replies(bot, chat_id, participant, response)

    async def send_replies(
        self, bot: Bot, chat_id: int, participant: str, response: ChannelResponse
    ) -> None:
        """Send each reply: its voice note first when asked for, then the text and buttons."""
        replies = response.replies
        shown: list[Any] = []
        for index, reply in enumerate(replies):
            markup = markup_for(reply, last=index == len(replies) - 1)
            if response.voice_prompts and reply.audio_url:
                await self.voices.send(bot, chat_id, reply.audio_url)
            await send_text(bot, chat_id, render_text(reply), markup)
            if reply.options or index == len(replies) - 1:
                shown = list(reply.options)
        self.choices.show(participant, shown)

    async def _say(self, bot: Bot, chat_id: int, key: str, language: str) -> None:
        await send_text(bot, chat_id, say(key, language))

    # The spool --------------------------------------------------------------------------

    async def replay_forever(self, bot: Bot, interval: float) -> None:
        """Replay the spool every `interval` seconds, or at once when the API answers again."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.spool_waiting.wait(), interval)
            self.spool_waiting.clear()
            try:
                if self.spool.participants():
                    await self.replay_all(bot)
            except Exception as exc:  # the replayer must outlive any single failure
                log.error("Replaying the spool failed (%s)", type(exc).__name__)

    async def replay_all(self, bot: Bot) -> int:
        """Replay every participant's spooled messages; return how many reached the API."""
        delivered = 0
        for participant in self.spool.participants():
            async with self._locks.hold(participant):
                before = len(self.spool.pending(participant))
                ok = await self._replay(bot, participant)
                delivered += before - len(self.spool.pending(participant))
            if not ok:
                break
        self._spooled = bool(self.spool.participants())
        return delivered

    async def _replay(self, bot: Bot, participant: str) -> bool:
        """Replay one participant's messages in order (lock held); False if the API is away."""
        for message in self.spool.pending(participant):
            try:
                response = await self._send(bot, participant, message.payload)
            except ApiUnavailable:
                return False
            except ApiRejected as exc:
                if not self._give_up(message, exc):
                    break  # try this one again later, still ahead of the rest
                continue
            except _VoiceUnavailable:
                self.spool.remove(message.id)
                continue
            self.spool.remove(message.id)
            await self._answer_spooled(bot, participant, message, response)
        return True

    def _give_up(self, message: SpooledMessage, exc: ApiRejected) -> bool:
        """Drop a message the API refuses for good (a 4xx, or a 500 too often); True if dropped."""
        if exc.status < 500 or self.spool.count_attempt(message.id) >= MAX_REPLAY_ATTEMPTS:
            log.warning("Dropped a spooled message the API refused (%s %s)", exc.status, exc.error)
            self.spool.remove(message.id)
            return True
        return False

    async def _answer_spooled(
        self, bot: Bot, participant: str, message: SpooledMessage, response: ChannelResponse
    ) -> None:
        try:
            chat_id = self.identity.unseal(message.sealed)
        except UnsealError:
            log.warning("A spooled message's address could not be opened; its reply is lost")
            return
        try:
            await self._answer(bot, chat_id, participant, response)
        except Forbidden:
            await self._mark_unreachable(participant)
        except TelegramError as exc:
            log.warning("Could not send the reply to a spooled message (%s)", type(exc).__name__)


def retry_seconds(error: RetryAfter) -> float:
    """Return how long Telegram asked us to wait, in seconds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns about int vs timedelta here
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def send_text(
    bot: Bot,
    chat_id: int,
    text: str,
    markup: ReplyKeyboardMarkup | ReplyKeyboardRemove | None = None,
) -> None:
    """Send a protected message, waiting out Telegram's flood control a couple of times."""
    for attempt in range(REPLY_ATTEMPTS):
        try:
            await _post_message(bot, chat_id, text, markup)
            return
        except RetryAfter as exc:
            wait = retry_seconds(exc)
            if attempt == REPLY_ATTEMPTS - 1 or wait > MAX_REPLY_WAIT:
                raise
            await asyncio.sleep(wait)


async def _post_message(
    bot: Bot,
    chat_id: int,
    text: str,
    markup: ReplyKeyboardMarkup | ReplyKeyboardRemove | None,
) -> None:
    """Send one protected sendMessage, without reading Telegram's answer back into objects.

    `Bot.send_message` turns each answer into a `telegram.Message`: about 0.4 ms of CPU a
    reply, a tenth of the bot's work per update (bench/telegram.py), for an object the relay
    never reads. `_post` is the step below it in python-telegram-bot: the same request, the
    same errors (RetryAfter, Forbidden, ...) and the same defaults, just no parsing.
    """
    data: dict[str, Any] = {"chat_id": chat_id, "text": text, "protect_content": True}
    if markup is not None:
        data["reply_markup"] = markup
    await bot._post("sendMessage", data)


class _VoiceUnavailable(Exception):
    """The voice note cannot be fetched from Telegram (too big, or gone)."""

    def __init__(self, text_key: str) -> None:
        super().__init__(text_key)
        self.text_key = text_key


async def _download_voice(bot: Bot, file_id: str) -> bytes:
    try:
        telegram_file = await bot.get_file(file_id)
    except TelegramError as exc:
        # Bot API refuses files over 20 MB with "file is too big".
        raise _VoiceUnavailable(
            "voice_too_big" if "big" in str(exc).lower() else "went_wrong"
        ) from exc
    if telegram_file.file_size and telegram_file.file_size > MAX_VOICE_BYTES:
        raise _VoiceUnavailable("voice_too_big")
    try:
        data = bytes(await telegram_file.download_as_bytearray())
    except TelegramError as exc:
        raise _VoiceUnavailable("went_wrong") from exc
    if len(data) > MAX_VOICE_BYTES:
        raise _VoiceUnavailable("voice_too_big")
    return data
