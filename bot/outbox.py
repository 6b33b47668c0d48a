"""The outbox sender: deliver the API's queued messages within Telegram's limits.

Telegram allows a bot about 30 messages a second overall and about one a second to one chat.
The sender claims a batch from the API, opens each sealed address, sends one task per chat
(each chat's messages in order, a gap apart) through a shared pace, and reports each result.
It keeps going when the API restarts, and stops cleanly.
"""

import asyncio
import contextlib
import logging

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.client import ApiUnavailable, ChannelClient, ChannelError, OutboxItem, Reply
from bot.identity import Identity, UnsealError
from bot.relay import Relay, retry_seconds
from bot.rendering import markup_for, render_text

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 4
MAX_BACKOFF = 60.0


class Pacer:
    """Space sends: at most `rate` a second overall, `gap` seconds apart to any one chat."""

    def __init__(self, rate: float, gap: float) -> None:
        self._interval = 1.0 / rate
        self._gap = gap
        self._next_any = 0.0
        self._next_chat: dict[int, float] = {}
        self._lock = asyncio.Lock()

    async def wait(self, chat_id: int) -> None:
        """Sleep until a message may go to `chat_id`."""
        loop = asyncio.get_running_loop()
        chat_ready = self._next_chat.get(chat_id, 0.0)
        if chat_ready > loop.time():
            await asyncio.sleep(chat_ready - loop.time())
        async with self._lock:
            slot = max(loop.time(), self._next_any)
            self._next_any = slot + self._interval
        if slot > loop.time():
            await asyncio.sleep(slot - loop.time())

    def sent(self, chat_id: int) -> None:
        """Note a message went to `chat_id` just now."""
        now = asyncio.get_running_loop().time()
        self._next_chat[chat_id] = now + self._gap
        if len(self._next_chat) > 10_000:
            self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}

    def pause(self, seconds: float) -> None:
        """Hold every send for `seconds` (Telegram said to slow down)."""
        resume = asyncio.get_running_loop().time() + seconds
        self._next_any = max(self._next_any, resume)


class OutboxSender:
    """Claim outbox messages from the API and send them, until stopped."""

    def __init__(
        self,
        *,
        bot: Bot,
        client: ChannelClient,
        identity: Identity,
        relay: Relay,
        interval: float = 5.0,
        batch: int = 50,
        rate: float = 25.0,
        chat_gap: float = 1.0,
        lease_seconds: int = 120,
    ) -> None:
        self._bot = bot
        self._client = client
        self._identity = identity
        self._relay = relay
        self._interval = interval
        self._batch = batch
        self._lease = lease_seconds
        self.pacer = Pacer(rate, chat_gap)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sending in the background."""
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self.run(), name="heard-outbox")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop after the batch in hand (or after `grace` seconds)."""
        self._stopping.set()
        if self._task is None:
            return
        task, self._task = self._task, None
        try:
            await asyncio.wait_for(asyncio.shield(task), grace)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> None:
        """Send batches until stopped; wait with backoff while the API is away."""
        backoff = self._interval
        while not self._stopping.is_set():
            try:
                sent = await self.drain_once()
                backoff = self._interval
            except ApiUnavailable:
                log.warning("Outbox: the API is unreachable; trying again in %.0f s", backoff)
                sent = 0
                backoff = min(backoff * 2, MAX_BACKOFF)
            except Exception as exc:  # the loop must outlive any single failure
                log.error("Outbox: a batch failed (%s)", type(exc).__name__)
                sent = 0
            if sent < self._batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), backoff)

    async def drain_once(self) -> int:
        """Claim one batch and send it; return how many messages were claimed."""
        items = await self._client.claim_outbox(self._batch, self._lease)
        by_chat: dict[int, list[OutboxItem]] = {}
        for item in items:
            try:
                chat_id = self._identity.unseal(item.sealed_bytes())
            except (UnsealError, ValueError):
                # No key will ever open it: the person cannot be reached this way.
                log.warning("Outbox: an address could not be opened; reported as blocked")
                await self._report(item, "blocked")
                continue
            by_chat.setdefault(chat_id, []).append(item)
        await asyncio.gather(*(self._send_chat(chat, queued) for chat, queued in by_chat.items()))
        return len(items)

    async def _send_chat(self, chat_id: int, items: list[OutboxItem]) -> None:
        for item in items:
            status, retry_after = await self._send(chat_id, item)
            await self._report(item, status, retry_after)
            if status == "blocked":
                for rest in items[items.index(item) + 1 :]:
                    await self._report(rest, "blocked")
                return

    async def _send(self, chat_id: int, item: OutboxItem) -> tuple[str, float | None]:
        language = self._relay.language(item.participant)
        reply = Reply(text=item.text, options=item.options, language=language, question=True)
        backoff = 1.0
        retry_after: float | None = None
        for _ in range(SEND_ATTEMPTS):
            await self.pacer.wait(chat_id)
            try:
                await self._bot.send_message(
                    chat_id,
                    render_text(reply),
                    reply_markup=markup_for(reply, last=True),
                    protect_content=True,
                )
            except RetryAfter as exc:
                retry_after = retry_seconds(exc)
                log.warning("Outbox: Telegram asked to wait %.0f s", retry_after)
                self.pacer.pause(retry_after)
                continue
            except Forbidden:
                return "blocked", None
            except BadRequest as exc:
                log.warning("Outbox: Telegram refused a message (%s)", type(exc).__name__)
                return "failed", None
            except NetworkError as exc:
                log.warning("Outbox: network trouble (%s); retrying", type(exc).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            except TelegramError as exc:
                log.warning("Outbox: sending failed (%s)", type(exc).__name__)
                return "failed", None
            finally:
                self.pacer.sent(chat_id)
            self._relay.choices.show(item.participant, item.options)
            return "delivered", None
        return "failed", retry_after

    async def _report(
        self, item: OutboxItem, status: str, retry_after: float | None = None
    ) -> None:
        # A lost report means a second delivery once the lease runs out: try a few times.
        delay = 0.5
        for _ in range(4):
            try:
                await self._client.report_result(item.id, status, retry_after=retry_after)
                return
            except ApiUnavailable:
                await asyncio.sleep(delay)
                delay *= 2
            except ChannelError as exc:
                log.warning("Outbox: the API refused a result (%s)", type(exc).__name__)
                return
        log.warning("Outbox: a result could not be reported; the message may be sent again")
