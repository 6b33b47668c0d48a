"""``FakeTelegram``: a fake Bot API server on localhost, and the test's handle on it."""

import asyncio
import secrets
from collections import deque
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Self, TypeVar

from .app import create_app
from .methods import find
from .server import BackgroundServer
from .state import BotApiState, Failure, SentCall, StoredFile, WebhookDelivery
from .updates import BOT_USER

T = TypeVar("T")

_DESCRIPTIONS = {
    400: "Bad Request: fake failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class FakeTelegram:
    """A fake Telegram Bot API served by real uvicorn on 127.0.0.1, for real PTB to talk to.

    Use it as a context manager (sync or async); it runs in a background thread, so blocking
    ``wait_for*`` suit sync tests and ``await ..._async`` ones suit tests whose bot runs in
    the test's event loop.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        bot_user: dict[str, Any] | None = None,
        max_long_poll: float = 1.0,
        webhook_attempts: int = 5,
        webhook_backoff: float = 0.05,
    ) -> None:
        user = dict(bot_user or BOT_USER)
        self.token = token or f"{user['id']}:TEST-{secrets.token_hex(12)}"
        self._state = BotApiState(token=self.token, bot_user=user, max_long_poll=max_long_poll)
        app = create_app(
            self._state, webhook_attempts=webhook_attempts, webhook_backoff=webhook_backoff
        )
        self._server = BackgroundServer(app, name="fake-telegram")

    # Lifecycle --------------------------------------------------------------------------

    def start(self) -> Self:
        """Start serving; return once the port accepts connections."""
        self._server.start()
        return self

    def stop(self) -> None:
        """End long polls, stop the server and join its thread."""
        with self._state.lock:
            self._state.closing = True
            self._state.changes.notify()
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    @property
    def url(self) -> str:
        """The server root, ``http://127.0.0.1:{port}``."""
        return self._server.url

    @property
    def port(self) -> int | None:
        """The port served on, or None when stopped."""
        return self._server.port

    @property
    def thread(self) -> Any:
        """The server thread, or None when stopped."""
        return self._server.thread

    @property
    def base_url(self) -> str:
        """Pass to ``ApplicationBuilder().base_url(...)`` (PTB appends the token)."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Pass to ``ApplicationBuilder().base_file_url(...)`` (PTB appends the token)."""
        return f"{self.url}/file/bot"

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot's User, as getMe answers it."""
        return dict(self._state.bot_user)

    # Driving the fake -------------------------------------------------------------------

    def inject(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates or the webhook; return it with its update_id."""
        return self._state.inject(update)

    def fail_next(
        self,
        method: str,
        status: int = 429,
        *,
        retry_after: int | None = 1,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` answer an error (429 by default)."""
        if status != 429:
            retry_after = None
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if status == 429
                else _DESCRIPTIONS.get(status, f"Error {status}")
            )
        key = _canonical(method).lower()
        with self._state.lock:
            queue = self._state.failures.setdefault(key, deque())
            queue.extend(Failure(status, description, retry_after) for _ in range(times))

    def block_chat(self, chat_id: int) -> None:
        """Make sendMessage, sendVoice and sendChatAction to this chat answer 403."""
        with self._state.lock:
            self._state.blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        """Let messages reach this chat again."""
        with self._state.lock:
            self._state.blocked.discard(chat_id)

    def add_file(
        self,
        file_id: str,
        data: bytes,
        file_path: str = "voice/file_1.oga",
        *,
        file_unique_id: str | None = None,
    ) -> dict[str, Any]:
        """Store bytes for getFile and download; return the Bot API File object."""
        stored = StoredFile(file_id, file_unique_id or f"uq-{file_id[-16:]}", file_path, data)
        self._state.add_file(stored)
        return stored.as_file()

    def file_data(self, file_id: str) -> bytes:
        """Return the bytes stored under a file_id (uploads included)."""
        with self._state.lock:
            return self._state.files[file_id].data

    def clear_sent(self) -> None:
        """Forget the calls recorded so far."""
        with self._state.lock:
            self._state.calls.clear()

    # Observing the bot ------------------------------------------------------------------

    @property
    def calls(self) -> list[SentCall]:
        """Every call the bot made, in order, getUpdates included."""
        with self._state.lock:
            return list(self._state.calls)

    @property
    def sent(self) -> list[SentCall]:
        """Every call the bot made except getUpdates (whose count depends on timing)."""
        return [call for call in self.calls if call.method != "getUpdates"]

    def messages_to(self, chat_id: int) -> list[SentCall]:
        """Successful sendMessage and sendVoice calls to a chat, in order."""
        return [
            call
            for call in self.sent
            if call.ok and call.chat_id == chat_id and call.method in ("sendMessage", "sendVoice")
        ]

    @property
    def webhook(self) -> dict[str, Any] | None:
        """The webhook set (url, secret_token, allowed_updates, ...), or None."""
        with self._state.lock:
            return None if self._state.webhook is None else dict(self._state.webhook)

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        """Every attempt to POST an update to the webhook, in order."""
        with self._state.lock:
            return list(self._state.deliveries)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed or delivered."""
        with self._state.lock:
            return list(self._state.pending)

    @property
    def filtered_updates(self) -> list[dict[str, Any]]:
        """Updates set aside because their type was not in allowed_updates."""
        with self._state.lock:
            return list(self._state.filtered)

    @property
    def commands(self) -> list[dict[str, Any]]:
        """The default-scope command list set by setMyCommands."""
        with self._state.lock:
            return list(self._state.commands.get(('{"type": "default"}', ""), []))

    # Waiting ------------------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Block until ``predicate()`` is truthy and return it; AssertionError on timeout."""
        _refuse_inside_event_loop("wait_for")
        result = self._state.changes.wait(predicate, timeout)
        if not result:
            raise self._timed_out(predicate, timeout)
        return result

    async def wait_for_async(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:
        """Wait without blocking the event loop until ``predicate()`` is truthy; return it."""
        result = await self._state.changes.wait_async(predicate, timeout)
        if not result:
            raise self._timed_out(predicate, timeout)
        return result

    def wait_for_sent(
        self,
        count: int = 1,
        *,
        chat_id: int | None = None,
        method: str | Iterable[str] | None = None,
        timeout: float = 5.0,
    ) -> list[SentCall]:
        """Block until at least ``count`` matching calls were made; return all matching."""
        _refuse_inside_event_loop("wait_for_sent")
        return self.wait_for(self._matching(count, chat_id, method), timeout)

    async def wait_for_sent_async(
        self,
        count: int = 1,
        *,
        chat_id: int | None = None,
        method: str | Iterable[str] | None = None,
        timeout: float = 5.0,
    ) -> list[SentCall]:
        """Wait (async) until at least ``count`` matching calls were made; return all matching."""
        return await self.wait_for_async(self._matching(count, chat_id, method), timeout)

    def _matching(
        self, count: int, chat_id: int | None, method: str | Iterable[str] | None
    ) -> Callable[[], list[SentCall]]:
        methods = [method] if isinstance(method, str) else method
        names = None if methods is None else {_canonical(name) for name in methods}

        def matching() -> list[SentCall]:
            found = [
                call
                for call in self.sent
                if (chat_id is None or call.chat_id == chat_id)
                and (names is None or call.method in names)
            ]
            return found if len(found) >= count else []

        matching.__doc__ = f"at least {count} call(s) with chat_id={chat_id}, method={method}"
        return matching

    def _timed_out(self, predicate: Callable[[], Any], timeout: float) -> AssertionError:
        wanted = predicate.__doc__ or getattr(predicate, "__name__", repr(predicate))
        lines = [f"  {n}. {call.summary()}" for n, call in enumerate(self.sent, 1)] or ["  none"]
        pending = len(self.pending_updates)
        return AssertionError(
            f"fake Telegram waited {timeout}s for {wanted}; {pending} update(s) still pending; "
            "calls recorded (getUpdates left out):\n" + "\n".join(lines)
        )


def _refuse_inside_event_loop(name: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        f"FakeTelegram.{name} would block the running event loop (and a bot running in it); "
        f"use `await tg.{name}_async(...)`"
    )


def _canonical(method: str) -> str:
    """Spell a method name as Telegram does (``sendmessage`` -> ``sendMessage``)."""
    found = find(method)
    return found[0] if found else method
