"""Webhook mode: Telegram's updates come by POST, checked by secret, answered 200 at once."""

from pathlib import Path

import httpx
from bot_harness import WEBHOOK_SECRET, BotRig, bot_settings, welcome
from fake_telegram import FakeTelegram, updates
from fastapi import FastAPI

from bot.application import ALLOWED_UPDATES, build_application
from bot.client import ChannelClient
from bot.webhook import DEFAULT_PATH, SECRET_HEADER, webhook_path, webhook_router

ALEX = 5_550_003_003


async def test_set_webhook_carries_the_secret_and_the_allowed_updates(webhook_rig: BotRig) -> None:
    webhook = webhook_rig.tg.webhook
    assert webhook is not None
    assert webhook["url"].endswith(DEFAULT_PATH)
    assert webhook["secret_token"] == WEBHOOK_SECRET
    assert webhook["allowed_updates"] == ALLOWED_UPDATES
    assert "my_chat_member" in ALLOWED_UPDATES


async def test_a_conversation_runs_over_the_webhook(webhook_rig: BotRig) -> None:
    await welcome(webhook_rig, ALEX)
    sent = await webhook_rig.send(updates.command(ALEX, "/help"))
    assert sent[-1].text.startswith("What do you want to do?")
    deliveries = webhook_rig.tg.webhook_deliveries
    assert len(deliveries) >= 5 and all(d.ok for d in deliveries)
    assert not any(c.method == "getUpdates" for c in webhook_rig.tg.calls)


def webhook_app(tg: FakeTelegram, tmp_path: Path) -> tuple[FastAPI, object]:
    settings = bot_settings(tg, tmp_path)
    application = build_application(settings, client=ChannelClient("http://127.0.0.1:9", "x"))
    app = FastAPI()
    app.include_router(webhook_router(application, WEBHOOK_SECRET))
    return app, application


async def post(app: FastAPI, body: object, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bot.test") as client:
        if isinstance(body, bytes):
            return await client.post(DEFAULT_PATH, content=body, headers=headers)
        return await client.post(DEFAULT_PATH, json=body, headers=headers)


async def test_a_missing_or_wrong_secret_is_refused_and_nothing_is_queued(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    app, application = webhook_app(fake_telegram, tmp_path)
    update = {"update_id": 1, **updates.text(ALEX, "hi")}
    for headers in ({}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: WEBHOOK_SECRET + "x"}):
        response = await post(app, update, headers)
        assert response.status_code == 403
        assert response.json()["error"] == "forbidden"
    assert application.update_queue.empty()


async def test_a_good_update_is_queued_and_answered_200_at_once(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    app, application = webhook_app(fake_telegram, tmp_path)
    update = {"update_id": 42, **updates.text(ALEX, "hi")}
    response = await post(app, update, {SECRET_HEADER: WEBHOOK_SECRET})
    assert response.status_code == 200
    queued = application.update_queue.get_nowait()
    assert queued.update_id == 42 and queued.message.text == "hi"


async def test_unreadable_bodies_are_dropped_with_200_so_telegram_stops_resending(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    app, application = webhook_app(fake_telegram, tmp_path)
    for body in (b"not json", b"[1, 2]", {"no_update_id": True}, {"update_id": "x", "message": 5}):
        response = await post(app, body, {SECRET_HEADER: WEBHOOK_SECRET})
        assert response.status_code == 200
    assert application.update_queue.empty()


def test_the_webhook_path_follows_the_public_url() -> None:
    assert webhook_path("https://heard.example.org/hooks/tg-9f3a") == "/hooks/tg-9f3a"
    assert webhook_path("https://heard.example.org") == DEFAULT_PATH
    assert webhook_path(None) == DEFAULT_PATH
