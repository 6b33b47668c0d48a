"""The channel client maps the API's answers the same way in one process and over HTTP."""

import json

import httpx
import pytest

from bot.client import ApiRejected, ApiUnavailable, ChannelClient

TOKEN = "client-test-token-" + "x" * 20
REPLY = {"replies": [{"text": "Hello", "options": [{"key": "yes", "emoji": "✅", "label": "Yes"}]}]}


def answering(status: int, body: object) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle), seen


async def test_a_message_in_one_process_carries_the_token_and_the_json_body() -> None:
    transport, seen = answering(200, {**REPLY, "ended": False, "new_field": 1})
    client = ChannelClient("http://heard.internal", TOKEN, transport=transport)
    response = await client.send_message("p" * 24, "17", text="مرحبا 👍", choice=None)
    assert response.replies[0].text == "Hello" and response.replies[0].options[0].key == "yes"
    (request,) = seen
    assert request.method == "POST" and request.url.path == "/v1/channel/messages"
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["content-type"] == "application/json"
    assert json.loads(request.content) == {
        "channel": "telegram",
        "participant": "p" * 24,
        "message_id": "17",
        "text": "مرحبا 👍",
    }
    await client.aclose()


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_an_unavailable_api_is_worth_trying_again(status: int) -> None:
    transport, _ = answering(status, {"error": "unavailable"})
    client = ChannelClient("http://heard.internal", TOKEN, transport=transport)
    with pytest.raises(ApiUnavailable):
        await client.send_message("p" * 24, "1", text="hi")


async def test_a_refused_message_says_why() -> None:
    transport, _ = answering(422, {"error": "invalid", "detail": "too long"})
    client = ChannelClient("http://heard.internal", TOKEN, transport=transport)
    with pytest.raises(ApiRejected) as refused:
        await client.send_message("p" * 24, "1", text="x" * 5000)
    assert (refused.value.status, refused.value.error) == (422, "invalid")


async def test_a_transport_that_cannot_connect_is_unavailable_not_a_crash() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client = ChannelClient("http://heard.internal", TOKEN, transport=httpx.MockTransport(handle))
    with pytest.raises(ApiUnavailable):
        await client.send_message("p" * 24, "1", text="hi")


async def test_an_app_that_crashes_in_process_is_a_rejection_not_an_exception() -> None:
    async def broken_app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    transport = httpx.ASGITransport(app=broken_app, raise_app_exceptions=False)
    client = ChannelClient("http://heard.internal", TOKEN, transport=transport)
    with pytest.raises(ApiRejected) as refused:
        await client.send_message("p" * 24, "1", text="hi")
    assert refused.value.status == 500
