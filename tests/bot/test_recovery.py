"""Blocking and recovery: blocked people become unreachable; an API outage loses nothing."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from bot_harness import ApiServer, BotRig, bot_settings, running_bot, welcome
from fake_telegram import FakeTelegram, updates
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.models import Answer, InboundMessage, Participant

ALEX = 5_550_005_005
SAM = 5_550_005_006


def reachable(engine: Engine, rig: BotRig, user_id: int) -> bool:
    who = rig.application.bot_data["relay"].identity.pseudonym(user_id)
    with Session(engine) as session:
        participant = session.get(Participant, who)
        assert participant is not None
        return participant.reachable


async def test_blocking_and_unblocking_the_bot_sets_reachability(
    rig: BotRig, engine: Engine
) -> None:
    await welcome(rig, ALEX)
    sent = await rig.send(updates.my_chat_member_blocked(ALEX))
    assert sent == []
    assert reachable(engine, rig, ALEX) is False
    await rig.send(updates.my_chat_member_unblocked(ALEX))
    assert reachable(engine, rig, ALEX) is True


async def test_a_reply_refused_with_403_marks_the_person_unreachable(
    rig: BotRig, engine: Engine
) -> None:
    await welcome(rig, ALEX)
    rig.tg.block_chat(ALEX)
    sent = await rig.send(updates.command(ALEX, "/help"))
    assert sent and all(c.status == 403 for c in sent if c.method == "sendMessage")
    assert reachable(engine, rig, ALEX) is False


async def test_a_stranger_blocking_the_bot_is_no_error(rig: BotRig) -> None:
    # The API has never heard of them (404): the bot notes it and carries on.
    await rig.send(updates.my_chat_member_blocked(SAM))


@pytest.fixture
def api_server(app: FastAPI) -> Iterator[ApiServer]:
    server = ApiServer(app)
    server.start()
    yield server
    server.stop()


def stored_answers(engine: Engine, rig: BotRig, user_id: int) -> list[tuple[str, str | None]]:
    who = rig.application.bot_data["relay"].identity.pseudonym(user_id)
    with Session(engine) as session:
        rows = session.exec(select(Answer).where(Answer.pseudonym == who).order_by(Answer.id))
        return [(row.result, row.value) for row in rows]


async def test_api_down_then_back_loses_nothing_and_doubles_nothing(
    fake_telegram: FakeTelegram, api_server: ApiServer, engine: Engine, tmp_path: Path
) -> None:
    settings = bot_settings(fake_telegram, tmp_path / "bot", spool_interval=0.2)
    async with running_bot(fake_telegram, settings, api_server.client()) as rig:
        await welcome(rig, ALEX)
        await rig.send(updates.command(ALEX, "/help"))
        await rig.send(updates.text(ALEX, "1"))  # check-in: "How are things?"

        api_server.stop()
        spooled = ["4", "A warm meal", "Sleeping rough", "no"]
        for text in spooled:
            sent = await rig.send(updates.text(ALEX, text))
            assert [c.method for c in sent] == ["sendMessage"]
            assert "try again in a minute" in sent[0].text
        relay = rig.application.bot_data["relay"]
        assert [m.payload["text"] for m in relay.spool.pending()] == spooled

        before = len(rig.tg.messages_to(ALEX))
        api_server.start()
        await rig.tg.wait_for_async(lambda: not relay.spool.pending(), timeout=10)
        await rig.tg.wait_for_sent_async(before + 4, chat_id=ALEX, method="sendMessage")
        replies = [c.text for c in rig.tg.messages_to(ALEX)[before:]]
        assert replies == [
            "What is one thing that helped you lately?",
            "What is one thing that is hard for you right now?",
            "Is there anything else you want to tell us?\n\n1 ✅ Yes\n2 ❌ No\nReply 1 or 2",
            "Thank you. This helps the people who run the service hear you. Take care.",
        ]
        answers = stored_answers(engine, rig, ALEX)
        # Welcome answers are settings, not kept as answers: the check-in's four are, once each.
        assert [result for result, _ in answers] == ["mood", "helped", "hard", "more"]
        assert [value for _, value in answers[1:3]] == ["A warm meal", "Sleeping rough"]
        assert rig.errors == []
    with Session(engine) as session:
        ids = [m.message_id for m in session.exec(select(InboundMessage))]
    assert len(ids) == len(set(ids))


async def test_a_new_message_waits_behind_spooled_ones(
    fake_telegram: FakeTelegram, api_server: ApiServer, engine: Engine, tmp_path: Path
) -> None:
    # A long replay interval: only the person's next message can trigger the replay.
    settings = bot_settings(fake_telegram, tmp_path / "bot", spool_interval=3600)
    async with running_bot(fake_telegram, settings, api_server.client()) as rig:
        await welcome(rig, ALEX)
        await rig.send(updates.command(ALEX, "/help"))
        await rig.send(updates.text(ALEX, "1"))
        api_server.stop()
        await rig.send(updates.text(ALEX, "2"))
        api_server.start()
        sent = await rig.send(updates.text(ALEX, "A friend"))
        texts = [c.text for c in sent]
        assert texts[0] == "Sorry it is hard right now."
        assert texts[-1] == "What is one thing that is hard for you right now?"
        assert [r for r, _ in stored_answers(engine, rig, ALEX)][-2:] == ["mood", "helped"]
        assert rig.application.bot_data["relay"].spool.pending() == []


async def test_a_reply_waits_out_telegrams_flood_control(rig: BotRig) -> None:
    await welcome(rig, ALEX)
    rig.tg.fail_next("sendMessage", 429, retry_after=1)
    sent = await rig.send(updates.command(ALEX, "/help"))
    refused, *rest = [c for c in sent if c.method == "sendMessage"]
    assert refused.status == 429
    assert [c.ok for c in rest] == [True, True]  # the same reply again, then the next
    assert rest[0].text == refused.text and rest[0].at - refused.at >= 0.95
