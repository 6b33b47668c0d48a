"""The keep-alive Bot API client: reuses connections, survives servers closing them, maps errors."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from bot_harness import asgi_client, bot_settings, running_bot, welcome
from fake_telegram import FakeTelegram
from fastapi import FastAPI
from telegram import InputFile
from telegram.error import NetworkError, TimedOut
from telegram.request import HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.application import _request_layer
from bot.keepalive import KeepAliveRequest
from bot.settings import BotSettings

OK = json.dumps({"ok": True, "result": True}).encode()


@dataclass
class RawServer:
    """A tiny HTTP/1.1 server whose answers a test shapes, counting connections and requests."""

    answer: Callable[[bytes, int], bytes | None]
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                reply = self.answer(head + body, len(self.requests))
                if reply is None:  # hang up without answering
                    break
                writer.write(reply)
                await writer.drain()
                if b"close-after" in reply:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/botTOKEN/sendMessage"


def response(body: bytes = OK, status: str = "200 OK", extra: str = "") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


Launch = Callable[[Callable[[bytes, int], bytes | None]], Awaitable[RawServer]]


@pytest.fixture
async def serve() -> AsyncIterator[Launch]:
    """Start RawServers on free ports; close them after the test."""
    servers: list[asyncio.Server] = []

    async def launch(answer: Callable[[bytes, int], bytes | None]) -> RawServer:
        raw = RawServer(answer)
        server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
        raw.port = server.sockets[0].getsockname()[1]
        servers.append(server)
        return raw

    yield launch
    for server in servers:
        server.close()


def form(**params: object) -> RequestData:
    return RequestData([RequestParameter.from_input(k, v) for k, v in params.items()])


async def test_requests_share_one_kept_alive_connection(serve: Launch) -> None:
    raw = await serve(lambda request, n: response())
    client = KeepAliveRequest()
    await client.initialize()
    for n in range(5):
        status, body = await client.do_request(raw.url, "POST", form(chat_id=n, text="hé ✅"))
        assert (status, json.loads(body)) == (200, {"ok": True, "result": True})
    assert raw.connections == 1 and len(raw.requests) == 5
    first = raw.requests[0]
    assert first.startswith(b"POST /botTOKEN/sendMessage HTTP/1.1\r\n")
    assert b"application/x-www-form-urlencoded" in first
    assert first.endswith(b"chat_id=0&text=h%C3%A9+%E2%9C%85")
    await client.shutdown()


async def test_error_statuses_come_back_as_they_are(serve: Launch) -> None:
    denied = json.dumps({"ok": False, "error_code": 403, "description": "Forbidden"}).encode()
    raw = await serve(lambda request, n: response(denied, "403 Forbidden"))
    client = KeepAliveRequest()
    status, body = await client.do_request(raw.url, "POST", form(chat_id=1, text="x"))
    assert status == 403 and json.loads(body)["description"] == "Forbidden"


async def test_a_chunked_answer_is_put_together(serve: Launch) -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5\r\n{"ok"\r\n10;x=y\r\n: true, "result"\r\n7\r\n: true}\r\n0\r\n\r\n'
    )
    raw = await serve(lambda request, n: chunked)
    client = KeepAliveRequest()
    for _ in range(2):
        _, body = await client.do_request(raw.url, "POST", form(a=1))
        assert json.loads(body) == {"ok": True, "result": True}
    assert raw.connections == 1


async def test_connection_close_is_honoured(serve: Launch) -> None:
    raw = await serve(
        lambda request, n: response(extra="Connection: close\r\nX-Note: close-after\r\n")
    )
    client = KeepAliveRequest()
    for _ in range(3):
        assert (await client.do_request(raw.url, "POST", form(a=1)))[0] == 200
    assert raw.connections == 3


async def test_a_connection_the_server_dropped_is_replaced_and_nothing_sent_twice(
    serve: Launch,
) -> None:
    # The server hangs up after each answer without saying so, as an idle timeout would.
    raw = await serve(lambda request, n: response(extra="X-Note: close-after\r\n"))
    client = KeepAliveRequest()
    for n in range(3):
        await asyncio.sleep(0.05)  # let the hang-up arrive, as it would between replies
        assert (await client.do_request(raw.url, "POST", form(n=n)))[0] == 200
    assert len(raw.requests) == 3 and raw.connections == 3


async def test_a_reused_connection_closed_before_answering_is_retried_once_anew(
    serve: Launch,
) -> None:
    # The race a keep-alive timeout makes: the server drops the connection as a request
    # goes out on it. The request is sent again on a new connection, once.
    raw = await serve(lambda request, n: None if n == 2 else response())
    client = KeepAliveRequest()
    assert (await client.do_request(raw.url, "POST", form(n=1)))[0] == 200
    assert (await client.do_request(raw.url, "POST", form(n=2)))[0] == 200
    assert raw.connections == 2
    assert [r.rsplit(b"\r\n\r\n", 1)[1] for r in raw.requests] == [b"n=1", b"n=2", b"n=2"]


async def test_a_silent_server_times_out(serve: Launch) -> None:
    raw = await serve(lambda request, n: b"")  # reads, never answers
    client = KeepAliveRequest(read_timeout=0.2, connect_timeout=0.2)
    with pytest.raises(TimedOut):
        await client.do_request(raw.url, "POST", form(a=1))


async def test_a_server_that_hangs_up_on_a_new_connection_is_a_network_error(
    serve: Launch,
) -> None:
    raw = await serve(lambda request, n: None)
    client = KeepAliveRequest()
    with pytest.raises(NetworkError):
        await client.do_request(raw.url, "POST", form(a=1))
    assert len(raw.requests) == 1  # not retried on a fresh connection: it may have acted


async def test_nobody_listening_is_a_network_error() -> None:
    client = KeepAliveRequest(connect_timeout=1)
    with pytest.raises(NetworkError):
        await client.do_request("http://127.0.0.1:9/botX/getMe", "POST", form())


async def test_uploads_and_downloads_go_to_the_fallback(serve: Launch) -> None:
    raw = await serve(lambda request, n: response())
    client = KeepAliveRequest()
    await client.initialize()
    voice = InputFile(b"OggS" + b"\0" * 10, filename="a.ogg")
    upload = RequestData(
        [RequestParameter.from_input("chat_id", 1), RequestParameter.from_input("voice", voice)]
    )
    assert (await client.do_request(raw.url, "POST", upload))[0] == 200
    assert b"multipart/form-data" in raw.requests[-1]
    status, _ = await client.do_request(raw.url.replace("sendMessage", "file"), "GET")
    assert status == 200 and raw.requests[-1].startswith(b"GET ")
    await client.shutdown()


# --- which layer the bot uses ----------------------------------------------------------------


def test_the_bot_replies_through_the_lean_layer_by_default(
    bot_config: BotSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(_request_layer(bot_config), KeepAliveRequest)
    chosen = bot_config.model_copy(update={"telegram_http": "httpx"})
    assert type(_request_layer(chosen)) is HTTPXRequest


def test_a_proxy_in_the_environment_sends_everything_through_httpx(
    bot_config: BotSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheme = bot_config.telegram_api_base_url.split(":")[0]
    monkeypatch.setenv(f"{scheme}_proxy", "http://proxy.example:3128")
    assert type(_request_layer(bot_config)) is HTTPXRequest


async def test_a_whole_welcome_works_over_pythons_telegram_bots_httpx_layer(
    fake_telegram: FakeTelegram, live_api: FastAPI, tmp_path: Path
) -> None:
    settings = bot_settings(fake_telegram, tmp_path / "bot", telegram_http="httpx")
    async with running_bot(fake_telegram, settings, asgi_client(live_api)) as rig:
        assert isinstance(rig.application.bot.request, HTTPXRequest)
        await welcome(rig, 5_550_009_001)
        texts = rig.texts_to(5_550_009_001)
        assert "Are you happy to take part?" in "\n".join(texts)
        assert len(texts) >= 6  # hello, consent, follow-ups, voice, then the menu
        sent = fake_telegram.messages_to(5_550_009_001)
        assert all(str(c.params.get("protect_content")).lower() == "true" for c in sent)
    assert rig.errors == []
