"""The outbox sender: paced within Telegram's limits, obeying RetryAfter, reporting blocks."""

from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from bot_harness import (
    ApiServer,
    BotRig,
    bot_settings,
    make_checkin,
    running_bot,
    staff_client,
    welcome,
)
from fake_telegram import FakeTelegram, SentCall
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.models import OutboxMessage, Participant, SealedAddress
from bot.identity import Identity

FIRST_CHAT = 5_550_006_000


def add_participants(engine: Engine, identity: Identity, chats: list[int]) -> dict[int, str]:
    """Store opted-in participants with the bot's sealed addresses; return chat -> pseudonym."""
    made = {}
    with Session(engine) as session:
        for chat in chats:
            who = identity.pseudonym(chat)
            session.add(Participant(pseudonym=who, consented=True, followups=True))
            session.add(
                SealedAddress(pseudonym=who, channel="telegram", sealed=identity.seal(chat))
            )
            made[chat] = who
        session.commit()
    return made


def queue(engine: Engine, messages: list[tuple[str, str]]) -> list[int]:
    """Queue (pseudonym, text) outbox messages in one transaction; return their ids."""
    with Session(engine) as session:
        rows = [
            OutboxMessage(channel="telegram", pseudonym=who, kind="loop_update", text=text)
            for who, text in messages
        ]
        session.add_all(rows)
        session.commit()
        return [row.id for row in rows if row.id is not None]


def statuses(engine: Engine, ids: list[int]) -> list[str]:
    with Session(engine) as session:
        return [session.get(OutboxMessage, i).status for i in ids]  # type: ignore[union-attr]


def sends(tg: FakeTelegram) -> list[SentCall]:
    return [c for c in tg.sent if c.method == "sendMessage"]


async def test_an_opted_in_person_gets_their_nudge(
    rig: BotRig, live_api: FastAPI, keys: dict[str, str], engine: Engine
) -> None:
    await make_checkin(live_api, keys)
    await welcome(rig, FIRST_CHAT, followups=True)
    with Session(engine) as session:
        assert len(session.exec(select(SealedAddress)).all()) == 1  # the bot handed it over
    async with staff_client(live_api, keys["outreach"]) as outreach:
        queued = await outreach.post("/v1/nudges", json={"flow": "checkin"})
        assert queued.status_code in (200, 201, 202), queued.text
        assert queued.json()["queued"] == 1
    before = len(rig.tg.messages_to(FIRST_CHAT))
    (nudge,) = (await rig.tg.wait_for_sent_async(before + 1, chat_id=FIRST_CHAT))[before:]
    assert nudge.params["protect_content"] is True
    with Session(engine) as session:
        message = session.exec(select(OutboxMessage)).one()
    await rig.tg.wait_for_async(lambda: statuses(engine, [message.id]) == ["delivered"])


async def test_messages_to_one_chat_go_a_second_apart_in_order(rig: BotRig, engine: Engine) -> None:
    relay = rig.application.bot_data["relay"]
    (who,) = add_participants(engine, relay.identity, [FIRST_CHAT]).values()
    ids = queue(engine, [(who, f"Update {n}") for n in range(3)])
    calls = await rig.tg.wait_for_sent_async(3, chat_id=FIRST_CHAT, method="sendMessage")
    assert [c.text for c in calls] == ["Update 0", "Update 1", "Update 2"]
    gaps = [b.at - a.at for a, b in pairwise(calls)]
    assert min(gaps) >= 0.95, gaps
    await rig.tg.wait_for_async(lambda: statuses(engine, ids) == ["delivered"] * 3)


async def test_the_overall_pace_stays_under_the_rate(
    fake_telegram: FakeTelegram, live_api: FastAPI, engine: Engine, tmp_path: Path
) -> None:
    from bot_harness import asgi_client

    rate = 20.0
    settings = bot_settings(fake_telegram, tmp_path / "bot", outbox_rate=rate)
    async with running_bot(fake_telegram, settings, asgi_client(live_api)) as rig:
        relay = rig.application.bot_data["relay"]
        chats = [FIRST_CHAT + n for n in range(30)]
        people = add_participants(engine, relay.identity, chats)
        queue(engine, [(people[chat], "News") for chat in chats])
        await rig.tg.wait_for_async(lambda: len(sends(rig.tg)) >= 30, timeout=10)
    times = sorted(c.at for c in sends(fake_telegram))
    # Any 11 consecutive sends span at least half a second: never more than 20 a second.
    spans = [times[i + 10] - times[i] for i in range(len(times) - 10)]
    assert min(spans) >= 10 / rate - 0.03, spans
    assert {c.chat_id for c in sends(fake_telegram)} == set(chats)


async def test_retry_after_is_obeyed_and_the_message_still_delivered(
    rig: BotRig, engine: Engine
) -> None:
    relay = rig.application.bot_data["relay"]
    (who,) = add_participants(engine, relay.identity, [FIRST_CHAT]).values()
    rig.tg.fail_next("sendMessage", 429, retry_after=1)
    ids = queue(engine, [(who, "You said, we did")])
    calls = await rig.tg.wait_for_async(
        lambda: [c for c in sends(rig.tg) if c.ok] and sends(rig.tg), timeout=10
    )
    refused, delivered = calls[0], calls[-1]
    assert refused.status == 429 and delivered.ok and len(calls) == 2
    assert delivered.at - refused.at >= 0.95
    await rig.tg.wait_for_async(lambda: statuses(engine, ids) == ["delivered"])


async def test_a_blocked_person_is_reported_blocked_and_unreachable(
    rig: BotRig, engine: Engine
) -> None:
    relay = rig.application.bot_data["relay"]
    people = add_participants(engine, relay.identity, [FIRST_CHAT, FIRST_CHAT + 1])
    rig.tg.block_chat(FIRST_CHAT)
    ids = queue(engine, [(people[FIRST_CHAT], "One"), (people[FIRST_CHAT], "Two"),
                         (people[FIRST_CHAT + 1], "Three")])  # fmt: skip
    await rig.tg.wait_for_async(
        lambda: statuses(engine, ids) == ["blocked", "blocked", "delivered"], timeout=10
    )
    with Session(engine) as session:
        assert session.get(Participant, people[FIRST_CHAT]).reachable is False  # type: ignore[union-attr]
        assert session.get(Participant, people[FIRST_CHAT + 1]).reachable is True  # type: ignore[union-attr]
    # Only one try at the blocked chat: the rest of its queue is reported without sending.
    assert len([c for c in sends(rig.tg) if c.chat_id == FIRST_CHAT]) == 1


async def test_an_address_no_key_opens_is_reported_blocked(rig: BotRig, engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Participant(pseudonym="p" * 43, consented=True, followups=True))
        session.add(SealedAddress(pseudonym="p" * 43, channel="telegram", sealed=b"gibberish"))
        session.commit()
    ids = queue(engine, [("p" * 43, "Hello")])
    await rig.tg.wait_for_async(lambda: statuses(engine, ids) == ["blocked"], timeout=10)
    assert sends(rig.tg) == []


@pytest.fixture
def api_server(app: FastAPI) -> Iterator[ApiServer]:
    server = ApiServer(app)
    server.start()
    yield server
    server.stop()


async def test_the_sender_outlives_an_api_restart(
    fake_telegram: FakeTelegram,
    api_server: ApiServer,
    engine: Engine,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = bot_settings(fake_telegram, tmp_path / "bot")
    async with running_bot(fake_telegram, settings, api_server.client()) as rig:
        relay = rig.application.bot_data["relay"]
        (who,) = add_participants(engine, relay.identity, [FIRST_CHAT]).values()
        api_server.stop()
        ids = queue(engine, [(who, "After the restart")])
        await rig.tg.wait_for_async(lambda: "Outbox: the API is unreachable" in caplog.text)
        api_server.start()
        await rig.tg.wait_for_sent_async(1, chat_id=FIRST_CHAT, method="sendMessage", timeout=15)
        await rig.tg.wait_for_async(lambda: statuses(engine, ids) == ["delivered"], timeout=10)
