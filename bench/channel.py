"""Benchmark the channel endpoint under real uvicorn: messages a second and latency.

The API runs in its own process (uvicorn, as `heard` runs it) on SQLite in a temp folder,
and on PostgreSQL too when one answers at 127.0.0.1:5432. An httpx client plays N
participants at once, each walking the check-in flow from a /start code to the end, again
and again. The same uvicorn then serves a bare hello-world endpoint, driven the same way,
and the ratio says how much of the server's raw capacity the channel keeps.

Two loads:
- closed: every participant sends its next message as soon as it has the reply. This is
  the throughput. Its latency is mostly queueing: by Little's law p50 ~ N / throughput.
- paced: the same N participants pause between messages (like people typing) so that the
  offered load is a set rate; this shows the latency of one message when not saturated.

Run: .venv/bin/python bench/channel.py [--participants 200] [--seconds 10] [--paced-rate 400]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CHANNEL_TOKEN = "bench-channel-token-" + "x" * 24
# The app's startup work (theme codebook, prompt index) finishes before the clock starts.
STARTUP_SETTLE = 3.0
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
POSTGRES_BENCH = "postgresql+psycopg://postgres@127.0.0.1:5432/heard_bench"

# One walk through /start -> welcome -> the check-in flow, as a person taps and types.
WALK: list[dict[str, str]] = [
    {"choice": "yes"},  # consent
    {"choice": "no"},  # follow-ups
    {"choice": "no"},  # read questions out
    {"choice": "good"},  # how are things
    {"text": "The staff listened and the food was hot"},
    {"text": "Finding somewhere to sleep that is safe"},
    {"choice": "no"},  # anything else
]


# --- the server process --------------------------------------------------------------------


def serve(app_name: str, database_url: str, port: int, data_dir: str) -> None:
    """Run one app (channel API or hello world) under uvicorn with heard's options."""
    import uvicorn
    from pydantic import SecretStr

    from heard.server import settle_garbage_collector, uvicorn_options

    if app_name == "hello":
        from fastapi import FastAPI

        app = FastAPI()

        @app.get("/hello")
        async def hello() -> dict[str, str]:
            return {"hello": "world"}

    else:
        from api.app import create_app
        from api.settings import Settings

        settings = Settings(
            env="test",
            database_url=database_url,
            data_dir=Path(data_dir),
            channel_token=SecretStr(CHANNEL_TOKEN),
            log_level="WARNING",
        )
        app = create_app(settings)
    options = uvicorn_options()
    settle_garbage_collector(app)  # as heard's run_server does
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", **options)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """The app in a child process, so the client does not share its interpreter."""

    def __init__(self, app_name: str, database_url: str, data_dir: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            __file__,
            "--serve",
            app_name,
            database_url,
            str(self.port),
            data_dir,
        ]
        env = {**os.environ, "HEARD_LOG_LEVEL": "WARNING"}
        self.process = subprocess.Popen(command, env=env, cwd=ROOT)

    def wait_ready(self, path: str) -> None:
        import httpx

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url + path, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def cpu_seconds(self) -> float:
        """Return the CPU time the server process has used (user + system)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


# --- the client ------------------------------------------------------------------------------


def _keepalive_transport(port: int):  # type: ignore[no-untyped-def]
    """Return an httpx transport holding one keep-alive HTTP/1.1 connection.

    httpx's own pool spends more CPU than the server does once 200 connections share it
    (on 2 cores it measured ~140 hello-world requests a second at 200 connections); with one
    client per participant on this lean transport the client keeps up, so the figures are
    the server's. Requests and responses are still httpx's.
    """
    import httpx

    class KeepAlive(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.reader: asyncio.StreamReader | None = None
            self.writer: asyncio.StreamWriter | None = None

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
            assert self.reader is not None
            body = request.read()
            lines = [f"{request.method} {request.url.raw_path.decode()} HTTP/1.1", "host: bench"]
            skip = ("host", "content-length", "transfer-encoding", "connection")
            lines += [f"{k}: {v}" for k, v in request.headers.items() if k not in skip]
            lines.append(f"content-length: {len(body)}")
            self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            headers = [tuple(line.split(": ", 1)) for line in head[1:] if ": " in line]
            length = next(int(v) for k, v in headers if k.lower() == "content-length")
            content = await self.reader.readexactly(length)
            return httpx.Response(int(head[0].split(" ")[1]), headers=headers, content=content)

        async def aclose(self) -> None:
            if self.writer is not None:
                self.writer.close()

    return KeepAlive()


def _client(url: str, port: int):  # type: ignore[no-untyped-def]
    import httpx

    return httpx.AsyncClient(base_url=url, transport=_keepalive_transport(port), timeout=60)


async def _raw_hello(port: int, participants: int, seconds: float, warmup: float = 1.0) -> Tally:
    """Drive hello world over bare sockets: the server's ceiling, with no client library."""
    tally = Tally()
    request = b"GET /hello HTTP/1.1\r\nhost: bench\r\n\r\n"
    tally.started = time.perf_counter() + warmup
    until = tally.started + seconds

    async def one() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < until:
            began = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            tally.handled += 1
            if began >= tally.started:
                tally.latencies.append(time.perf_counter() - began)
        writer.close()

    await asyncio.gather(*(one() for _ in range(participants)))
    tally.ended = until
    return tally


# --- the load --------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    started: float = 0.0
    ended: float = 0.0
    server_cpu: float = 0.0  # CPU seconds the server used over the whole run, warm-up too
    handled: int = 0  # requests the server answered over the whole run

    @property
    def rate(self) -> float:
        return len(self.latencies) / max(self.ended - self.started, 1e-9)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    def line(self, label: str) -> str:
        cpu = ""
        if self.server_cpu and self.handled:
            per = self.server_cpu / self.handled
            cpu = f"; server CPU {per * 1000:.2f} ms each = {1 / per:,.0f}/s on a free core"
        return (
            f"{label:<34} {self.rate:8.0f} msg/s   p50 {self.percentile(0.5):6.1f} ms   "
            f"p95 {self.percentile(0.95):6.1f} ms   ({len(self.latencies)} messages, "
            f"{self.errors} errors{cpu})"
        )


def _pace(rate: float | None, participants: int) -> float:
    """Return one participant's pause between messages for the whole to offer `rate`."""
    if not rate:
        return 0.0
    return participants / rate


async def _participant(
    url: str, port: int, code: str, until: float, tally: Tally, pause: float
) -> None:
    headers = {"Authorization": f"Bearer {CHANNEL_TOKEN}"}
    async with _client(url, port) as client:
        await _walks(client, headers, code, until, tally, pause)


async def _walks(client, headers, code, until, tally, pause) -> None:  # type: ignore[no-untyped-def]
    while time.perf_counter() < until:
        pseudonym = secrets.token_urlsafe(24)
        for index, fields in enumerate([{"checkin_code": code}, *WALK]):
            if pause:
                await asyncio.sleep(random.uniform(0.5, 1.5) * pause)
            body = {
                "channel": "telegram",
                "participant": pseudonym,
                "message_id": str(index),
                **fields,
            }
            began = time.perf_counter()
            response = await client.post("/v1/channel/messages", json=body, headers=headers)
            took = time.perf_counter() - began
            tally.handled += 1
            if response.status_code != 200:
                tally.errors += 1
            elif began >= tally.started and time.perf_counter() < until:
                tally.latencies.append(took)
            if time.perf_counter() >= until:
                return


async def _drive_channel(
    url: str,
    port: int,
    code: str,
    participants: int,
    seconds: float,
    rate: float | None = None,
    warmup: float = 2.0,
) -> Tally:
    tally = Tally()
    tally.started = time.perf_counter() + warmup
    until = tally.started + seconds
    pause = _pace(rate, participants)
    await asyncio.gather(
        *(_participant(url, port, code, until, tally, pause) for _ in range(participants))
    )
    tally.ended = until
    return tally


async def _drive_hello(
    url: str, port: int, participants: int, seconds: float, warmup: float = 1.0
) -> Tally:
    tally = Tally()
    tally.started = time.perf_counter() + warmup
    until = tally.started + seconds

    async def one() -> None:
        async with _client(url, port) as client:
            while time.perf_counter() < until:
                began = time.perf_counter()
                response = await client.get("/hello")
                took = time.perf_counter() - began
                tally.handled += 1
                if response.status_code != 200:
                    tally.errors += 1
                elif began >= tally.started:
                    tally.latencies.append(took)

    await asyncio.gather(*(one() for _ in range(participants)))
    tally.ended = until
    return tally


# --- the databases ---------------------------------------------------------------------------


def _prepare(database_url: str) -> str:
    """Migrate the database, add a site and a check-in code; return the code."""
    from api.db import make_engine, session_scope
    from api.migrations import upgrade_database
    from api.models import Checkin, Site

    upgrade_database(database_url)
    engine = make_engine(database_url)
    code = secrets.token_urlsafe(9)
    with session_scope(engine) as session:
        site = Site(name="Bench hostel")
        session.add(site)
        session.flush()
        session.add(Checkin(code=code, site_id=site.id or 0, flow="checkin"))
    engine.dispose()
    return code


def _fresh_postgres() -> str | None:
    """Return a new, empty bench database on the local PostgreSQL, or None if none answers."""
    from sqlalchemy import create_engine, text

    try:
        admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS heard_bench WITH (FORCE)"))
            connection.execute(text("CREATE DATABASE heard_bench"))
        admin.dispose()
    except Exception as exc:  # no server: the SQLite figures stand alone
        print(f"PostgreSQL: not reachable ({type(exc).__name__}); skipped")
        return None
    return POSTGRES_BENCH


def _run_channel(label: str, database_url: str, data_dir: str, args: argparse.Namespace) -> Tally:
    code = _prepare(database_url)
    server = Server("channel", database_url, data_dir)
    try:
        server.wait_ready("/healthz")
        time.sleep(STARTUP_SETTLE)
        before = server.cpu_seconds()
        closed = asyncio.run(
            _drive_channel(server.url, server.port, code, args.participants, args.seconds)
        )
        closed.server_cpu = server.cpu_seconds() - before
        print(closed.line(f"channel {label}, closed load"))
        if args.paced_rate:
            before = server.cpu_seconds()
            paced = asyncio.run(
                _drive_channel(
                    server.url,
                    server.port,
                    code,
                    args.participants,
                    args.seconds,
                    rate=args.paced_rate,
                )
            )
            paced.server_cpu = server.cpu_seconds() - before
            print(paced.line(f"channel {label}, paced {args.paced_rate:.0f}/s"))
    finally:
        server.stop()
    return closed


def _ratios(label: str, channel: Tally, hello: Tally, raw: Tally) -> None:
    per_message = channel.server_cpu / max(channel.handled, 1)
    per_hello = raw.server_cpu / max(raw.handled, 1)
    print(
        f"{label + ' channel / hello world':<34} {channel.rate / hello.rate:8.0%}"
        f"   (of the bare-socket ceiling: {channel.rate / raw.rate:.0%}; by server CPU "
        f"per request: {per_hello / per_message:.0%})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--paced-rate",
        type=float,
        default=400.0,
        help="messages/s offered in the paced run (0 to skip it)",
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(
        f"{args.participants} participants, {args.seconds:.0f} s per run, "
        f"{os.cpu_count()} CPUs; server in its own process, one uvicorn worker"
    )

    with tempfile.TemporaryDirectory(prefix="heard-bench-") as tmp:
        hello_server = Server("hello", "", tmp)
        try:
            hello_server.wait_ready("/hello")
            before = hello_server.cpu_seconds()
            hello = asyncio.run(
                _drive_hello(hello_server.url, hello_server.port, args.participants, args.seconds)
            )
            hello.server_cpu = hello_server.cpu_seconds() - before
            before = hello_server.cpu_seconds()
            raw = asyncio.run(_raw_hello(hello_server.port, args.participants, args.seconds))
            raw.server_cpu = hello_server.cpu_seconds() - before
        finally:
            hello_server.stop()
        print(hello.line("hello world (same uvicorn)"))
        print(raw.line("hello world, bare-socket client"))

        sqlite = _run_channel("SQLite", f"sqlite:///{tmp}/bench.db", tmp, args)
        _ratios("SQLite", sqlite, hello, raw)
        postgres_url = None if args.no_postgres else _fresh_postgres()
        if postgres_url:
            postgres = _run_channel("PostgreSQL", postgres_url, tmp, args)
            _ratios("PostgreSQL", postgres, hello, raw)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        main()
