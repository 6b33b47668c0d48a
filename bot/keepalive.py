"""A lean HTTP/1.1 keep-alive client for the Bot API calls the bot makes most.

Every reply is a Bot API request. Through httpx one costs 0.7 to 1.3 ms of CPU, most of it in
the connection pool's bookkeeping (it polls each pooled socket on every request); written
straight to a few kept-alive asyncio streams the same request costs about 0.15 ms
(bench/telegram.py). So plain form POSTs (sendMessage, answerCallbackQuery, getFile, ...) go
here, and anything else (uploads, file downloads) goes to PTB's own httpx request, as before.
"""

import asyncio
import contextlib
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

# Servers close idle keep-alive connections (uvicorn after 5 s, nginx after 75 s): retire
# ours before that, so a request is rarely written to a socket the server is closing.
MAX_IDLE_SECONDS = 4.0
MAX_HEAD_BYTES = 64 * 1024
Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class _StaleConnection(Exception):
    """A reused connection closed before answering: safe to try once on a new one."""


@dataclass
class _Pool:
    """Idle connections to one origin, and a cap on how many exist at once."""

    slots: asyncio.Semaphore
    idle: list[tuple[Stream, float]] = field(default_factory=list)


class KeepAliveRequest(BaseRequest):
    """Send form POSTs over a few kept-alive connections; hand the rest to httpx."""

    def __init__(
        self,
        *,
        connections: int = 8,
        connect_timeout: float = 5.0,
        read_timeout: float = 5.0,
        pool_timeout: float = 10.0,
        fallback: BaseRequest | None = None,
    ) -> None:
        self._connections = connections
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._pool_timeout = pool_timeout
        self._fallback = fallback or HTTPXRequest(
            connection_pool_size=2, connect_timeout=connect_timeout, read_timeout=read_timeout
        )
        self._pools: dict[tuple[str, str, int], _Pool] = {}
        self._ssl: ssl.SSLContext | None = None

    @property
    def read_timeout(self) -> float | None:
        """The read timeout used when a call gives none."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Get the fallback ready."""
        await self._fallback.initialize()

    async def shutdown(self) -> None:
        """Close every kept connection and the fallback."""
        for pool in self._pools.values():
            for (_, writer), _ in pool.idle:
                writer.close()
            pool.idle.clear()
        await self._fallback.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return the status code and the body."""
        parts = urlsplit(url)
        if (
            method != "POST"
            or parts.scheme not in ("http", "https")
            or (request_data is not None and request_data.contains_files)
        ):
            return await self._fallback.do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout,
                pool_timeout,
            )  # fmt: skip
        body = request_data.url_encoded_parameters().encode() if request_data else b""
        timeout = read_timeout if isinstance(read_timeout, int | float) else self._read_timeout
        try:
            async with asyncio.timeout(timeout + self._connect_timeout):
                return await self._post(parts, body)
        except TimeoutError as exc:
            raise TimedOut() from exc

    async def _post(self, parts: SplitResult, body: bytes) -> tuple[int, bytes]:
        scheme, host = parts.scheme, parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, host, port)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = _Pool(asyncio.Semaphore(self._connections))
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        authority = host if parts.port is None else f"{host}:{port}"
        head = (
            f"POST {target} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: {self.USER_AGENT}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        try:
            async with asyncio.timeout(self._pool_timeout):
                await pool.slots.acquire()
        except TimeoutError as exc:
            raise TimedOut("Pool timeout: every connection to Telegram is busy.") from exc
        try:
            stream = self._idle_stream(pool)
            if stream is not None:
                try:
                    return await self._exchange(pool, stream, head + body)
                except _StaleConnection:
                    pass  # the server had closed it: once more on a new connection
            stream = await self._connect(scheme, host, port)
            try:
                return await self._exchange(pool, stream, head + body)
            except _StaleConnection as exc:
                raise NetworkError("Telegram closed the connection without answering.") from exc
        finally:
            pool.slots.release()

    def _idle_stream(self, pool: _Pool) -> Stream | None:
        now = time.monotonic()
        while pool.idle:
            (reader, writer), since = pool.idle.pop()
            if now - since < MAX_IDLE_SECONDS and not reader.at_eof() and not writer.is_closing():
                return reader, writer
            writer.close()
        return None

    async def _connect(self, scheme: str, host: str, port: int) -> Stream:
        context = None
        if scheme == "https":
            if self._ssl is None:
                self._ssl = _ssl_context()
            context = self._ssl
        try:
            async with asyncio.timeout(self._connect_timeout):
                return await asyncio.open_connection(host, port, ssl=context)
        except TimeoutError as exc:
            raise TimedOut("Connecting to Telegram timed out.") from exc
        except OSError as exc:
            raise NetworkError(f"Cannot connect to Telegram ({type(exc).__name__}).") from exc

    async def _exchange(self, pool: _Pool, stream: Stream, request: bytes) -> tuple[int, bytes]:
        reader, writer = stream
        answered = False
        try:
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            answered = True
            status, headers = _parse_head(head)
            body = await _read_body(reader, headers)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            writer.close()
            if not answered:
                raise _StaleConnection() from exc
            raise NetworkError(f"Telegram's answer broke off ({type(exc).__name__}).") from exc
        except (asyncio.LimitOverrunError, ValueError, OSError) as exc:
            writer.close()
            raise NetworkError(
                f"Telegram's answer could not be read ({type(exc).__name__})."
            ) from exc
        except BaseException:
            writer.close()  # cancelled or timed out mid-answer: the stream is unusable
            raise
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            pool.idle.append((stream, time.monotonic()))
        return status, body


def _ssl_context() -> ssl.SSLContext:
    with contextlib.suppress(ImportError):
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    return ssl.create_default_context()


def _parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    if len(head) > MAX_HEAD_BYTES:
        raise ValueError("response head too long")
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError("not an HTTP/1.x response")
    status = int(rest[:3])
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return status, headers


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers from Telegram: the blank line
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    if "content-length" in headers:
        return await reader.readexactly(int(headers["content-length"]))
    headers["connection"] = "close"  # the body runs to the end of the stream
    return await reader.read()
