"""Run the real bot (a PTB Application) against the fake Telegram and the real API in a test.

`BotRig` is the test's handle: it injects updates into the fake, waits until the bot has
handled them, and reads what the bot sent. The API runs in-process (ASGITransport), or under
uvicorn with `ApiServer` when a test needs to stop and restart it on the same port.
"""

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from cryptography.fernet import Fernet
from fake_telegram import FakeTelegram, SentCall
from fastapi import FastAPI
from heard_testing import CHANNEL_TOKEN
from pydantic import SecretStr
from telegram import Update
from telegram.ext import ContextTypes, SimpleUpdateProcessor

from bot.application import HeardApplication, build_application, running
from bot.client import ChannelClient
from bot.settings import BotSettings
from bot.webhook import webhook_router

PSEUDONYM_KEY = "test-pseudonym-key-made-for-tests-only"
WEBHOOK_SECRET = "test-webhook-secret_0123456789"


def bot_settings(tg: FakeTelegram, data_dir: Path, **overrides: Any) -> BotSettings:
    """Return bot settings pointing at the fake Telegram, with test keys and quick loops."""
    values: dict[str, Any] = {
        "env": "test",
        "data_dir": data_dir,
        "telegram_token": SecretStr(tg.token),
        "telegram_api_base_url": tg.base_url,
        "channel_token": SecretStr(CHANNEL_TOKEN),
        "pseudonym_key": SecretStr(PSEUDONYM_KEY),
        "address_key": SecretStr(Fernet.generate_key().decode()),
        "outbox_interval": 0.1,
        "spool_interval": 0.1,
        "concurrent_updates": 32,
    }
    values.update(overrides)
    return BotSettings(**values)


def asgi_client(api_app: FastAPI) -> ChannelClient:
    """Return a channel client that reaches the API in-process, as `heard serve` does."""
    transport = httpx.ASGITransport(app=api_app, raise_app_exceptions=False)
    return ChannelClient("http://api.heard.test", CHANNEL_TOKEN, transport=transport)


@dataclass
class BotRig:
    """The running bot, the fake Telegram it talks to, and what it has handled so far."""

    tg: FakeTelegram
    application: HeardApplication
    handled: set[int] = field(default_factory=set)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    errors: list[BaseException] = field(default_factory=list)

    def mark(self, update: object) -> None:
        """Note an update the Application is done with (whatever its handlers did)."""
        if isinstance(update, Update):
            self.handled.add(update.update_id)
        self.changed.set()

    async def collect_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Keep every error a handler raised, so a test can insist there were none."""
        if context.error is not None:
            self.errors.append(context.error)

    async def wait_handled(self, update_id: int, timeout: float = 10.0) -> None:
        """Wait until the bot has handled an update."""
        async with asyncio.timeout(timeout):
            while update_id not in self.handled:
                self.changed.clear()
                await self.changed.wait()

    async def send(self, update: dict[str, Any], timeout: float = 10.0) -> list[SentCall]:
        """Inject an update, wait until it is handled; return what the bot sent meanwhile."""
        before = len(self.tg.sent)
        queued = self.tg.inject(update)
        await self.wait_handled(queued["update_id"], timeout)
        return self.tg.sent[before:]

    def texts_to(self, chat_id: int) -> list[str]:
        """Return the texts of every message sent to a chat, in order."""
        return [c.text or "" for c in self.tg.messages_to(chat_id) if c.method == "sendMessage"]


class _MarkingProcessor(SimpleUpdateProcessor):
    """Process updates as PTB does, then tell the rig (even when a handler stopped early)."""

    def __init__(self, rig: BotRig, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._rig = rig

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        try:
            await coroutine
        finally:
            self._rig.mark(update)


def _with_marker(application: HeardApplication, rig: BotRig) -> None:
    concurrency = application.update_processor.max_concurrent_updates
    # Swapped before initialize(); a test-only look inside PTB, to know when an update is done.
    application._update_processor = _MarkingProcessor(rig, concurrency)
    application.add_error_handler(rig.collect_error)


@contextlib.asynccontextmanager
async def running_bot(
    tg: FakeTelegram, settings: BotSettings, client: ChannelClient, *, webhook: bool = False
) -> AsyncIterator[BotRig]:
    """Run the bot (polling, or webhook served by uvicorn in this loop) for the block."""
    application = build_application(settings, client=client)
    rig = BotRig(tg=tg, application=application)
    _with_marker(application, rig)
    if not webhook:
        async with running(application):
            yield rig
        return
    web = FastAPI()
    web.include_router(webhook_router(application, WEBHOOK_SECRET))
    async with LoopServer(web) as server:
        url = f"{server.url}/telegram/webhook"
        async with running(application, webhook_url=url, webhook_secret=WEBHOOK_SECRET):
            yield rig


class LoopServer:
    """Serve an ASGI app with uvicorn inside the running event loop (where the bot lives)."""

    def __init__(self, app: Any, port: int = 0) -> None:
        self.app = app
        self.port = port
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """The server's root URL."""
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> "LoopServer":
        sock = _bound_socket(self.port)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, lifespan="on", log_config=None, log_level="warning", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.005)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None and self._task is not None
        self._server.should_exit = True
        await self._task


class ApiServer:
    """Run the API under uvicorn in a thread on a fixed port, to stop and start it again."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        probe = _bound_socket(0)
        self.port = probe.getsockname()[1]
        probe.close()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The API's root URL (the same across restarts)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start serving on the port; return once it accepts connections."""
        sock = _bound_socket(self.port)
        config = uvicorn.Config(
            self.app, lifespan="on", log_config=None, log_level="warning", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "the API did not start"
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop serving; connections to the port are refused until `start` again."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
        self._server = self._thread = None

    def client(self, timeout: float = 2.0) -> ChannelClient:
        """Return a channel client reaching this API over HTTP."""
        return ChannelClient(self.url, CHANNEL_TOKEN, timeout=timeout)


def _bound_socket(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@contextlib.contextmanager
def api_running(server: ApiServer) -> Iterator[ApiServer]:
    """Run an ApiServer for the block."""
    server.start()
    try:
        yield server
    finally:
        server.stop()


def staff_client(api_app: FastAPI, key: str) -> httpx.AsyncClient:
    """Return an HTTP client for staff endpoints of the in-process API, with this key."""
    transport = httpx.ASGITransport(app=api_app, raise_app_exceptions=False)
    return httpx.AsyncClient(
        transport=transport,
        base_url="http://api.heard.test",
        headers={"Authorization": f"Bearer {key}"},
    )


async def make_checkin(api_app: FastAPI, keys: dict[str, str], flow: str = "checkin") -> str:
    """Create a site (admin) and a check-in code for it (outreach); return the code."""
    async with staff_client(api_app, keys["admin"]) as admin:
        site = await admin.post("/v1/sites", json={"name": "Riverside day centre"})
        assert site.status_code == 201, site.text
    async with staff_client(api_app, keys["outreach"]) as outreach:
        made = await outreach.post(
            "/v1/checkins", json={"site_id": site.json()["id"], "flow": flow}
        )
        assert made.status_code == 201, made.text
    code: str = made.json()["code"]
    return code


async def welcome(rig: BotRig, user_id: int, *, followups: bool = False, **profile: Any) -> None:
    """Take a person through the welcome: consent yes, follow-ups as asked, voice no."""
    from fake_telegram import updates

    await rig.send(updates.command(user_id, "/start", **profile))
    await rig.send(updates.text(user_id, "1", **profile))  # consent: yes
    await rig.send(updates.text(user_id, "1" if followups else "2", **profile))
    await rig.send(updates.text(user_id, "2", **profile))  # read aloud: no
