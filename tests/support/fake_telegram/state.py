"""Thread-safe state shared by the fake server's thread and the test's thread."""

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

# Update types Telegram leaves out unless a bot asks for them in allowed_updates.
OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class SentCall:
    """One Bot API request the bot made, with its decoded parameters and the answer it got."""

    method: str
    params: dict[str, Any]
    status: int = 200
    result: Any = None
    files: dict[str, UploadedFile] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    """When the request arrived, by ``time.monotonic()`` (for rate-limit tests)."""

    @property
    def chat_id(self) -> int | str | None:
        """The ``chat_id`` parameter, as an int when it is numeric."""
        value = self.params.get("chat_id")
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
        return value

    @property
    def ok(self) -> bool:
        """Whether the fake answered with success."""
        return self.status == 200

    @property
    def text(self) -> str | None:
        """The ``text`` (or ``caption``) parameter, if any."""
        return self.params.get("text", self.params.get("caption"))

    def summary(self) -> str:
        """Describe the call on one line, for failure messages."""
        shown = {
            k: (f"<{len(v)} bytes>" if isinstance(v, bytes) else v) for k, v in self.params.items()
        }
        return f"{self.method} -> {self.status} {shown}"


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to POST an update to the webhook."""

    update_id: int
    url: str
    attempt: int
    status: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the receiver answered 2xx."""
        return self.status is not None and 200 <= self.status < 300


@dataclass(frozen=True)
class StoredFile:
    """A file the fake can hand out through getFile and the download URL."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes

    def as_file(self) -> dict[str, Any]:
        """Return the Bot API File object."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass(frozen=True)
class Failure:
    """An error answer queued by ``fail_next``."""

    status: int
    description: str
    retry_after: int | None = None


class Changes:
    """Wake threads and event loops (in any thread) that wait for the state to change."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._condition = threading.Condition(lock)
        self._events: dict[asyncio.Event, asyncio.AbstractEventLoop] = {}

    def notify(self) -> None:
        """Wake every waiter; call with the lock held."""
        self._condition.notify_all()
        for event, loop in list(self._events.items()):
            with contextlib.suppress(RuntimeError):  # that loop has closed
                loop.call_soon_threadsafe(event.set)

    def wait(self, predicate: Callable[[], T], timeout: float | None) -> T:
        """Block this thread until ``predicate()`` is truthy or time runs out; return it."""
        with self._condition:
            return self._condition.wait_for(predicate, timeout)

    async def wait_async(self, predicate: Callable[[], T], timeout: float | None) -> T:
        """Wait in the running loop until ``predicate()`` is truthy or time runs out; return it."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            event = asyncio.Event()
            with self._lock:
                result = predicate()
                if result or (deadline is not None and loop.time() >= deadline):
                    return result
                self._events[event] = loop
            try:
                remaining = None if deadline is None else deadline - loop.time()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
            finally:
                with self._lock:
                    self._events.pop(event, None)


def update_type(update: dict[str, Any]) -> str:
    """Return the kind of an update, such as ``message`` or ``callback_query``."""
    return next((key for key in update if key != "update_id"), "unknown")


class BotApiState:
    """Everything the fake remembers; every method takes the lock."""

    def __init__(self, *, token: str, bot_user: dict[str, Any], max_long_poll: float = 1.0) -> None:
        self.token = token
        self.bot_user = bot_user
        self.max_long_poll = max_long_poll
        self.lock = threading.RLock()
        self.changes = Changes(self.lock)
        self.closing = False
        self.calls: list[SentCall] = []
        self.pending: list[dict[str, Any]] = []
        self.filtered: list[dict[str, Any]] = []
        self.next_update_id = 100_000_001
        self.allowed_updates: list[str] | None = None
        self.webhook: dict[str, Any] | None = None
        self.deliveries: list[WebhookDelivery] = []
        self.last_webhook_error: tuple[int, str] | None = None
        self.files: dict[str, StoredFile] = {}
        self.failures: dict[str, deque[Failure]] = {}
        self.blocked: set[int | str] = set()
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._last_message_id: dict[int | str, int] = {}

    def changed(self) -> None:
        """Wake waiters after a change."""
        with self.lock:
            self.changes.notify()

    # Updates -----------------------------------------------------------------------------

    def inject(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update, numbering it if it has no update_id; return the queued update."""
        with self.lock:
            queued = dict(update)
            if "update_id" not in queued:
                queued["update_id"] = self.next_update_id
            self.next_update_id = max(self.next_update_id, queued["update_id"] + 1)
            body = queued.get(update_type(queued))
            chat = body.get("chat") if isinstance(body, dict) else None
            if isinstance(chat, dict) and "message_id" in body:
                self.note_message_id(chat.get("id"), body["message_id"])
            self.pending.append(queued)
            self.changes.notify()
            return queued

    def _allowed(self, update: dict[str, Any]) -> bool:
        kind = update_type(update)
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in OPT_IN_UPDATE_TYPES

    def _prune(self, offset: int | None = None) -> None:
        """Forget updates confirmed by ``offset`` and set aside ones the bot did not ask for."""
        if offset is not None and offset < 0:
            self.pending = self.pending[offset:]
        elif offset:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        kept = []
        for update in self.pending:
            (kept if self._allowed(update) else self.filtered).append(update)
        self.pending = kept

    def has_updates(self, offset: int | None) -> bool:
        """Whether getUpdates with this offset would answer something now."""
        with self.lock:
            self._prune(offset)
            return bool(self.pending)

    def take_updates(self, offset: int | None, limit: int | None) -> list[dict[str, Any]]:
        """Confirm updates before ``offset`` and return up to ``limit`` of the rest."""
        with self.lock:
            self._prune(offset)
            return list(self.pending[: max(1, min(limit or 100, 100))])

    def next_webhook_job(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """Return (webhook, first undelivered update) when there is something to deliver."""
        with self.lock:
            if self.webhook is None:
                return None
            self._prune()
            if not self.pending:
                return None
            return dict(self.webhook), self.pending[0]

    def finish_webhook_job(self, update: dict[str, Any], *, delivered: bool) -> None:
        """Forget an update after delivery, or after giving up while the webhook is still set."""
        with self.lock:
            if (delivered or self.webhook is not None) and update in self.pending:
                self.pending.remove(update)
            self.changes.notify()

    def record_delivery(self, delivery: WebhookDelivery, now: int) -> None:
        """Remember a webhook attempt (and its error, for getWebhookInfo)."""
        with self.lock:
            self.deliveries.append(delivery)
            if not delivery.ok:
                reason = delivery.error or f"Wrong response from the webhook: {delivery.status}"
                self.last_webhook_error = (now, reason)
            self.changes.notify()

    # Calls and messages -----------------------------------------------------------------

    def record(self, call: SentCall) -> None:
        """Remember a call the bot made."""
        with self.lock:
            self.calls.append(call)
            self.changes.notify()

    def note_message_id(self, chat_id: Any, message_id: int) -> None:
        """Keep message ids in a chat increasing across both sides of the conversation."""
        with self.lock:
            self._last_message_id[chat_id] = max(self._last_message_id.get(chat_id, 0), message_id)

    def next_message_id(self, chat_id: int | str) -> int:
        """Allocate the next message id in a chat."""
        with self.lock:
            self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
            return self._last_message_id[chat_id]

    def pop_failure(self, method: str) -> Failure | None:
        """Take the next error queued for a method, if any."""
        with self.lock:
            queue = self.failures.get(method.lower())
            return queue.popleft() if queue else None

    def add_file(self, stored: StoredFile) -> None:
        """Make a file available to getFile and download."""
        with self.lock:
            self.files[stored.file_id] = stored

    def file_at(self, file_path: str) -> StoredFile | None:
        """Find a stored file by its download path."""
        with self.lock:
            return next((f for f in self.files.values() if f.file_path == file_path), None)
