"""The API's channel endpoints, over HTTP (or in-process through `httpx.ASGITransport`).

Paths carry pseudonyms, so nothing here logs a URL; httpx's own request log is silenced in
`bot.logs`.
"""

import base64
import json
import math
from collections.abc import Awaitable
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

CHANNEL = "telegram"
# The API is unreachable, restarting or overloaded: worth trying again later.
_UNAVAILABLE_STATUSES = frozenset({502, 503, 504})


class ChannelError(Exception):
    """A channel call did not succeed."""


class ApiUnavailable(ChannelError):
    """The API could not be reached or said it is unavailable; try again later."""


class ApiRejected(ChannelError):
    """The API answered with an error status; trying again will not help."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"the API answered {status} ({error})")
        self.status = status
        self.error = error


class _Lenient(BaseModel):
    # Responses may grow fields; the bot reads what it knows.
    model_config = ConfigDict(extra="ignore")


class ReplyOption(_Lenient):
    """One answer a person can tap or type."""

    key: str
    emoji: str = ""
    label: str = ""


class Reply(_Lenient):
    """One message to show the person."""

    text: str
    options: list[ReplyOption] = Field(default_factory=list)
    audio_url: str | None = None
    language: str = "en"
    question: bool = False


class ChannelResponse(_Lenient):
    """What the API answers to a message or a voice note."""

    replies: list[Reply] = Field(default_factory=list)
    ended: bool = False
    language: str = "en"
    voice_prompts: bool = False
    send_address: bool = False


class OutboxItem(_Lenient):
    """A message the API wants delivered (a nudge, a "you said, we did" update)."""

    id: int
    participant: str
    sealed: str
    text: str
    options: list[ReplyOption] = Field(default_factory=list)

    def sealed_bytes(self) -> bytes:
        """Return the sealed address as the bytes the bot made."""
        return base64.b64decode(self.sealed)


class ChannelClient:
    """Call the API's `/v1/channel` endpoints with the channel token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        timeouts = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeouts,
            transport=transport,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )
        # In one process (heard serve) every message goes to the API through this transport.
        # Handing it the request straight skips the client's cookies, auth, redirects and URL
        # merging, a third of httpx's CPU per call, none of which an in-process call uses.
        self._direct = transport
        self._messages_url = httpx.URL(base_url.rstrip("/") + "/v1/channel/messages")
        self._direct_headers = [
            ("Host", self._messages_url.netloc.decode("ascii")),
            ("Authorization", f"Bearer {token}"),
            ("Content-Type", "application/json"),
        ]
        self._direct_extensions = {"timeout": timeouts.as_dict()}

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def send_message(
        self, participant: str, message_id: str, **fields: Any
    ) -> ChannelResponse:
        """Hand a person's message (text, choice, command or check-in code) to the API."""
        body = {"channel": CHANNEL, "participant": participant, "message_id": message_id}
        body.update({k: v for k, v in fields.items() if v is not None})
        if self._direct is None:
            response = await self._call("POST", "/v1/channel/messages", json=body)
        else:
            response = await self._call_direct(self._direct, json.dumps(body).encode())
        return ChannelResponse.model_validate_json(response.content)

    async def send_voice(self, participant: str, message_id: str, audio: bytes) -> ChannelResponse:
        """Upload a voice note that answers the person's current question."""
        response = await self._call(
            "POST",
            "/v1/channel/voice",
            data={"channel": CHANNEL, "participant": participant, "message_id": message_id},
            files={"audio": ("voice.ogg", audio, "audio/ogg")},
        )
        return ChannelResponse.model_validate(response.json())

    async def fetch_audio(self, audio_url: str) -> bytes:
        """Download the spoken version of a reply (OGG)."""
        response = await self._call("GET", audio_url)
        return response.content

    async def post_address(self, participant: str, sealed: bytes) -> bool:
        """Give the API the sealed address of an opted-in person; False if it declined."""
        body = {"channel": CHANNEL, "sealed": base64.b64encode(sealed).decode()}
        try:
            await self._call("POST", f"/v1/channel/participants/{participant}/address", json=body)
        except ApiRejected as exc:
            if exc.status == 409:
                return False
            raise
        return True

    async def set_reachable(self, participant: str, reachable: bool) -> None:
        """Tell the API whether the person can be reached (they blocked or unblocked the bot)."""
        await self._call(
            "POST",
            f"/v1/channel/participants/{participant}/reachability",
            json={"reachable": reachable},
        )

    async def forget(self, participant: str) -> None:
        """Ask the API to delete everything it holds about the person."""
        await self._call("DELETE", f"/v1/channel/participants/{participant}")

    async def claim_outbox(self, limit: int, lease_seconds: int = 60) -> list[OutboxItem]:
        """Lease up to `limit` outbox messages for this channel."""
        response = await self._call(
            "POST",
            "/v1/channel/outbox/claim",
            json={"channel": CHANNEL, "limit": limit, "lease_seconds": lease_seconds},
        )
        return [OutboxItem.model_validate(m) for m in response.json().get("messages", [])]

    async def report_result(
        self, message_id: int, status: str, *, retry_after: float | None = None
    ) -> None:
        """Report what happened to an outbox message: delivered, blocked or failed."""
        body: dict[str, Any] = {"status": status}
        if retry_after is not None:
            body["retry_after"] = math.ceil(retry_after)  # whole seconds, never sooner
        await self._call("POST", f"/v1/channel/outbox/{message_id}/result", json=body)

    async def _call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return await _answered(self._http.request(method, url, **kwargs))

    async def _call_direct(
        self, transport: httpx.AsyncBaseTransport, body: bytes
    ) -> httpx.Response:
        """POST a message straight through the transport: same answers, same errors."""
        request = httpx.Request(
            "POST",
            self._messages_url,
            headers=[*self._direct_headers, ("Content-Length", str(len(body)))],
            content=body,
            extensions=self._direct_extensions,
        )
        return await _answered(_read(transport.handle_async_request(request)))


async def _read(sent: Awaitable[httpx.Response]) -> httpx.Response:
    response = await sent
    try:
        await response.aread()
    finally:
        await response.aclose()
    return response


async def _answered(sent: Awaitable[httpx.Response]) -> httpx.Response:
    """Await a call to the API and turn its failures into the channel's errors."""
    try:
        response = await sent
    except httpx.TransportError as exc:
        raise ApiUnavailable(f"the API cannot be reached ({type(exc).__name__})") from exc
    if response.status_code in _UNAVAILABLE_STATUSES:
        raise ApiUnavailable(f"the API is unavailable ({response.status_code})")
    if response.status_code >= 400:
        raise ApiRejected(response.status_code, _error_code(response))
    return response


def _error_code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "unknown"
    error = body.get("error") if isinstance(body, dict) else None
    return str(error) if error else "unknown"
