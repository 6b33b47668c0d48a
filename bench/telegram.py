"""The Telegram path: webhook update in, reply out at the Bot API (goal: 300 updates a second).

Runs what `heard serve` runs in webhook mode, in this process: the API on SQLite with the bot
inside it (the bot reaches the API through httpx.ASGITransport; Telegram's updates arrive at
the API's /telegram/webhook). A child process plays Telegram and the people: the tests' fake
Bot API server, and N people who each POST their updates to the webhook over a kept-alive
connection, as Telegram does. Each person goes through the welcome, a check-in and a feedback
(15 updates); an update counts as done when its last reply has reached the fake Bot API.

Prints updates a second, latency percentiles and the CPU time per update of each process
(the figures depend on what else the machine runs: a busy neighbour halves them).
`--apart` runs the API in a process of its own and the bot alone (`heard api` + `heard bot`).

    .venv/bin/python bench/telegram.py [--users 50] [--apart]
"""

import argparse
import asyncio
import contextlib
import json
import logging
import multiprocessing
import os
import secrets
import socket
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Coroutine
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import uvicorn
from cryptography.fernet import Fernet
from pydantic import SecretStr

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder is sys.path[0], and this file would shadow the `telegram` package.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "support")]

from fake_telegram import FakeTelegram, SentCall, updates  # noqa: E402

from api.app import create_app  # noqa: E402
from api.db import create_schema, make_engine  # noqa: E402
from api.settings import Settings  # noqa: E402
from bot.run import webhook_app  # noqa: E402
from bot.settings import BotSettings  # noqa: E402
from bot.webhook import SECRET_HEADER  # noqa: E402
from heard.serve import attach_bot  # noqa: E402
from heard.server import settle_garbage_collector  # noqa: E402

T = TypeVar("T")
GOAL = 300  # updates a second
SECRET = "bench-webhook-secret"
# (what the person sends, how many replies the bot sends back)
SCRIPT: list[tuple[str, int]] = [
    ("/start", 4),  # hello, anonymous, not for emergencies, consent?
    ("1", 1),  # consent yes -> follow-ups?
    ("2", 1),  # no follow-ups -> read aloud?
    ("2", 3),  # no voice -> all set, intro, menu
    ("1", 1),  # check-in -> how are things?
    ("4", 1),  # good -> what helped?
    ("The hot food", 1),  # -> what is hard?
    ("Noise at night", 1),  # -> anything else?
    ("2", 1),  # no -> thank you
    ("/help", 2),  # intro, menu
    ("2", 1),  # feedback -> how was the service?
    ("5", 1),  # great -> what was good?
    ("Kind staff", 1),  # -> what should change?
    ("Longer hours", 1),  # -> tell a friend?
    ("👍", 1),  # yes -> thank you
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Replies:
    """Count replies per chat as the fake records them, waking the waiting person at once."""

    def __init__(self, tg: FakeTelegram, loop: asyncio.AbstractEventLoop) -> None:
        self.counts: dict[int, int] = defaultdict(int)
        self.last_at: dict[int, float] = {}
        self.waiters: dict[int, tuple[int, asyncio.Future[float]]] = {}
        self.loop = loop
        self.tg = tg
        state = tg._state  # a benchmark may look inside the fake to avoid polling it
        original = state.record

        def record(call: SentCall) -> None:
            original(call)
            if call.method == "sendMessage" and call.ok and isinstance(call.chat_id, int):
                loop.call_soon_threadsafe(self._arrived, call.chat_id, call.at)

        state.record = record  # type: ignore[method-assign]

    def _arrived(self, chat_id: int, at: float) -> None:
        self.counts[chat_id] += 1
        self.last_at[chat_id] = at
        waiting = self.waiters.get(chat_id)
        if waiting and self.counts[chat_id] >= waiting[0] and not waiting[1].done():
            waiting[1].set_result(at)

    async def until(self, chat_id: int, total: int, timeout: float = 30.0) -> float:
        """Wait until a chat has `total` replies; return when the last one arrived."""
        if self.counts[chat_id] >= total:
            return self.last_at[chat_id]
        future: asyncio.Future[float] = self.loop.create_future()
        self.waiters[chat_id] = (total, future)
        try:
            return await asyncio.wait_for(future, timeout)
        finally:
            self.waiters.pop(chat_id, None)


class Webhook:
    """POST updates to the webhook over one kept-alive connection, as lean as Telegram's."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port, self.path = parts.hostname or "", parts.port or 80, parts.path
        self.stream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, update: dict[str, Any]) -> int:
        """Send one update; return the status code."""
        if self.stream is None:
            self.stream = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.stream
        body = json.dumps(update).encode()
        writer.write(
            f"POST {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\n{SECRET_HEADER}: {SECRET}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        return int(head[9:12])

    def close(self) -> None:
        """Close the connection."""
        if self.stream is not None:
            self.stream[1].close()


async def person(chat_id: int, webhook_url: str, replies: Replies, latencies: list[float]) -> None:
    """Play one person through the script, timing each update until its last reply."""
    webhook = Webhook(webhook_url)
    expected = 0
    try:
        for step, (text, count) in enumerate(SCRIPT):
            if text.startswith("/"):
                update = updates.command(chat_id, text)
            else:
                update = updates.text(chat_id, text)
            update["update_id"] = chat_id * 100 + step
            expected += count
            started = time.monotonic()
            status = await webhook.post(update)
            if status != 200:
                raise RuntimeError(f"the webhook answered {status}")
            try:
                arrived = await replies.until(chat_id, expected)
            except TimeoutError:
                said = [c.text for c in replies.tg.messages_to(chat_id)]
                raise RuntimeError(f"no reply to {text!r}: {said}") from None
            latencies.append(arrived - started)
    finally:
        webhook.close()


def play_telegram(users: int, rounds: int, pipe: Connection) -> None:
    """In a child process: be Telegram and the people (so Heard's process has its CPU)."""
    logging.basicConfig(level=logging.ERROR)
    # The fake serves from a thread while this one drives the people: switch between them
    # quickly, or each waits out the other's 5 ms GIL slice (a convoy that caps the fake).
    sys.setswitchinterval(0.0005)

    async def play() -> dict[str, Any]:
        with FakeTelegram() as tg:
            pipe.send({"token": tg.token, "base_url": tg.base_url})
            webhook_url = pipe.recv()["webhook_url"]
            replies = Replies(tg, asyncio.get_running_loop())
            latencies: list[float] = []
            # One person first, to check the script still matches the flows.
            await person(1_000, webhook_url, replies, [])
            started, cpu = time.monotonic(), time.process_time()

            async def one_after_another(slot: int) -> None:
                # Each of the people talking at once is followed by a new one, `rounds` times.
                for round_ in range(rounds):
                    chat_id = 2_000 + slot + round_ * users
                    await person(chat_id, webhook_url, replies, latencies)

            await asyncio.gather(*(one_after_another(slot) for slot in range(users)))
            elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
            return {"latencies": latencies, "elapsed": elapsed, "cpu": cpu}

    try:
        pipe.send(asyncio.run(play()))
    except Exception as exc:
        pipe.send({"error": f"{type(exc).__name__}: {exc}"})


def run_api(database_url: str, data_dir: str, token: str, port: int) -> None:
    """In a child process: run the API alone, as `heard api` does (for --apart)."""
    settings = Settings(
        env="test",
        database_url=database_url,
        data_dir=Path(data_dir),
        channel_token=SecretStr(token),
        voice_key=SecretStr(Fernet.generate_key().decode()),
    )
    app = create_app(settings, engine=make_engine(database_url))
    uvicorn.run(app, host="127.0.0.1", port=port, log_config=None, access_log=False)


async def serve_heard(
    users: int, folder: Path, *, rounds: int = 1, apart: bool = False
) -> dict[str, Any]:
    """Run Heard in webhook mode while a child process plays Telegram; return the figures.

    By default the bot runs inside the API's process, as `heard serve` does; with `apart`
    the API runs in a process of its own and the bot reaches it over HTTP (`heard api` plus
    `heard bot`).
    """
    spawn = multiprocessing.get_context("spawn")
    port = free_port()
    settings = Settings(
        env="test",
        database_url=f"sqlite:///{folder / 'heard.db'}",
        data_dir=folder / "data",
        channel_token=SecretStr(secrets.token_urlsafe(24)),
        voice_key=SecretStr(Fernet.generate_key().decode()),
    )
    assert settings.channel_token is not None
    engine = make_engine(settings.database_url)
    create_schema(engine)
    ours, theirs = spawn.Pipe()
    child = spawn.Process(target=play_telegram, args=(users, rounds, theirs), daemon=True)
    child.start()
    loop = asyncio.get_running_loop()
    fake = await loop.run_in_executor(None, ours.recv)
    api_port = free_port()
    bot_settings = BotSettings(
        env="test",
        data_dir=folder / "data",
        telegram_token=SecretStr(fake["token"]),
        telegram_api_base_url=fake["base_url"],
        telegram_webhook_url=f"http://127.0.0.1:{port}/telegram/webhook",
        telegram_webhook_secret=SecretStr(SECRET),
        pseudonym_key=SecretStr(secrets.token_urlsafe(32)),
        address_key=SecretStr(Fernet.generate_key().decode()),
        api_url=f"http://127.0.0.1:{api_port}",
        channel_token=settings.channel_token,
    )
    api_process = None
    if apart:
        api_process = spawn.Process(
            target=run_api,
            args=(settings.database_url, str(settings.data_dir),
                  settings.channel_token.get_secret_value(), api_port),
            daemon=True,
        )  # fmt: skip
        api_process.start()
        async with httpx.AsyncClient() as probe:
            for _ in range(500):
                with contextlib.suppress(httpx.TransportError):
                    if (await probe.get(f"{bot_settings.api_url}/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.02)
        app = webhook_app(bot_settings)
    else:
        app = create_app(settings, engine=engine)
        attach_bot(app, settings, bot_settings)
    settle_garbage_collector(app)  # as heard's run_server does
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    cpu = time.process_time()
    ours.send({"webhook_url": bot_settings.telegram_webhook_url})
    result: dict[str, Any] = await loop.run_in_executor(None, ours.recv)
    cpu = time.process_time() - cpu
    server.should_exit = True
    await serving
    child.join(10)
    if api_process is not None:
        api_process.terminate()
        api_process.join(10)
    if "error" in result:
        raise SystemExit(f"the benchmark failed: {result['error']}")
    latencies = sorted(result["latencies"])
    elapsed = result["elapsed"]
    return {
        "users": users,
        "updates": len(latencies),
        "seconds": round(elapsed, 2),
        "updates_per_second": round(len(latencies) / elapsed, 1),
        "heard_cpu_ms_per_update": round(cpu / len(latencies) * 1000, 2),
        "telegram_cpu_ms_per_update": round(result["cpu"] / len(latencies) * 1000, 2),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1),
    }


def run_like_heard(main: Coroutine[Any, Any, T]) -> T:
    """Run on the event loop `heard serve` gets from uvicorn: uvloop when it is installed."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="people talking at once")
    parser.add_argument(
        "--rounds", type=int, default=4, help="people who follow each other in each place"
    )
    parser.add_argument(
        "--apart", action="store_true", help="run the API in its own process (heard api + bot)"
    )
    parser.add_argument(
        "--http",
        choices=("httpx", "lean"),
        default="lean",
        help="how replies reach the Bot API (HEARD_TELEGRAM_HTTP): lean (the default) or httpx",
    )
    args = parser.parse_args()
    os.environ["HEARD_TELEGRAM_HTTP"] = args.http
    logging.basicConfig(level=logging.ERROR)
    folder = Path(tempfile.mkdtemp(prefix="heard-bench-telegram-"))
    result = run_like_heard(serve_heard(args.users, folder, rounds=args.rounds, apart=args.apart))
    verdict = "meets" if result["updates_per_second"] >= GOAL else "misses"
    print(
        f"telegram webhook -> reply ({args.http}): {result['updates_per_second']} updates/s "
        f"({result['updates']} updates, {result['users']} people at once, {result['seconds']} s); "
        f"latency p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms; "
        f"{verdict} the goal of {GOAL}/s; CPU an update: "
        f"Heard {result['heard_cpu_ms_per_update']} ms, "
        f"fake Telegram and people {result['telegram_cpu_ms_per_update']} ms"
    )


if __name__ == "__main__":
    main()
