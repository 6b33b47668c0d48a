"""Every built-in flow, run through Telegram: the real bot, the fake Bot API and the real API."""

from typing import Any

from bot_harness import BotRig, make_checkin, staff_client, welcome
from fake_telegram import updates
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.models import Answer, Participant, Run

ALEX = 5_550_001_001


def pseudonym(rig: BotRig, user_id: int) -> str:
    return rig.application.bot_data["relay"].identity.pseudonym(user_id)


def answers(engine: Engine, who: str, flow: str) -> dict[str, Any]:
    with Session(engine) as session:
        rows = session.exec(select(Answer).where(Answer.pseudonym == who, Answer.flow == flow))
        return {row.result: (row.category, row.value) for row in rows}


def last_text(rig: BotRig, chat_id: int) -> str:
    return rig.texts_to(chat_id)[-1]


async def test_start_with_a_checkin_code_welcomes_then_runs_the_checkin(
    rig: BotRig, live_api: FastAPI, keys: dict[str, str], engine: Engine
) -> None:
    code = await make_checkin(live_api, keys)
    sent = await rig.send(updates.command(ALEX, "/start", args=code))
    assert [c.method for c in sent] == ["sendMessage"] * 4
    assert sent[-1].text.startswith("Are you happy to take part?")
    await rig.send(updates.text(ALEX, "✅ Yes"))  # a tapped button
    await rig.send(updates.text(ALEX, "no"))  # follow-ups: a typed word
    sent = await rig.send(updates.text(ALEX, "2"))  # read aloud: a typed number
    assert "How are things for you today?" in sent[-1].text

    await rig.send(updates.text(ALEX, "4"))
    await rig.send(updates.text(ALEX, "The hot showers"))
    await rig.send(updates.text(ALEX, "Waiting lists"))
    sent = await rig.send(updates.text(ALEX, "❌ No"))
    assert sent[-1].text.startswith("Thank you.")

    who = pseudonym(rig, ALEX)
    saved = answers(engine, who, "checkin")
    assert saved["mood"][0] == "good"
    assert saved["helped"][1] == "The hot showers"
    assert saved["more"][0] == "no"
    with Session(engine) as session:
        run = session.exec(select(Run).where(Run.pseudonym == who, Run.flow == "checkin")).one()
        assert run.checkin_code == code and run.site_id is not None
        assert run.status == "completed"


async def test_feedback_by_numbers_words_and_emoji(rig: BotRig, engine: Engine) -> None:
    await welcome(rig, ALEX)
    sent = await rig.send(updates.command(ALEX, "/help"))
    assert sent[-1].text.startswith("What do you want to do?")
    await rig.send(updates.text(ALEX, "feedback"))
    await rig.send(updates.text(ALEX, "5"))
    await rig.send(updates.text(ALEX, "Friendly staff"))
    await rig.send(updates.text(ALEX, "Open on Sundays"))
    sent = await rig.send(updates.text(ALEX, "🤷"))
    assert sent[-1].text == "Thank you. We will share what you said with the service."
    saved = answers(engine, pseudonym(rig, ALEX), "feedback")
    assert saved["rating"][0] == "great"
    assert saved["recommend"][0] == "not_sure"
    assert saved["change"][1] == "Open on Sundays"


async def test_codesign_votes_on_the_open_proposal_and_takes_an_idea(
    rig: BotRig, live_api: FastAPI, keys: dict[str, str], engine: Engine
) -> None:
    async with staff_client(live_api, keys["coordinator"]) as coordinator:
        made = await coordinator.post("/v1/proposals", json={"text": "Open the café on Sundays"})
        assert made.status_code == 201, made.text
    await welcome(rig, ALEX)
    await rig.send(updates.command(ALEX, "/help"))
    sent = await rig.send(updates.text(ALEX, "3"))
    texts = [c.text for c in sent]
    assert any("Open the café on Sundays" in t for t in texts), texts
    await rig.send(updates.text(ALEX, "👍 Yes"))
    await rig.send(updates.text(ALEX, "yes"))
    sent = await rig.send(updates.text(ALEX, "A quiet room"))
    assert sent[-1].text.startswith("Thank you.")
    saved = answers(engine, pseudonym(rig, ALEX), "codesign")
    assert saved["vote"][0] == "yes"
    assert saved["idea"][1] == "A quiet room"


async def test_forget_deletes_everything_and_the_next_hello_starts_afresh(
    rig: BotRig, engine: Engine
) -> None:
    await welcome(rig, ALEX)
    await rig.send(updates.command(ALEX, "/help"))
    await rig.send(updates.text(ALEX, "1"))
    await rig.send(updates.text(ALEX, "3"))
    who = pseudonym(rig, ALEX)
    assert answers(engine, who, "checkin")

    sent = await rig.send(updates.command(ALEX, "/forget"))
    assert sent[-1].text.startswith("This deletes everything you told us.")
    sent = await rig.send(updates.text(ALEX, "1"))
    assert sent[-1].text == "Done. All gone."
    with Session(engine) as session:
        assert session.get(Participant, who) is None
        assert session.exec(select(Answer).where(Answer.pseudonym == who)).all() == []
        assert session.exec(select(Run).where(Run.pseudonym == who)).all() == []
    sent = await rig.send(updates.text(ALEX, "hello"))
    assert sent[-1].text.startswith("Are you happy to take part?")


async def test_help_back_skip_repeat_and_stop_work_mid_flow(rig: BotRig) -> None:
    await welcome(rig, ALEX)
    await rig.send(updates.command(ALEX, "/help"))
    await rig.send(updates.text(ALEX, "1"))
    sent = await rig.send(updates.text(ALEX, "4"))
    assert sent[-1].text == "What is one thing that helped you lately?"
    sent = await rig.send(updates.command(ALEX, "/back"))
    assert sent[-1].text.startswith("How are things for you today?")
    sent = await rig.send(updates.command(ALEX, "/repeat"))
    assert sent[-1].text.startswith("How are things for you today?")
    sent = await rig.send(updates.command(ALEX, "/skip"))
    assert sent[-1].text == "What is one thing that helped you lately?"
    sent = await rig.send(updates.command(ALEX, "/help"))
    assert sent and all(c.method == "sendMessage" for c in sent)
    sent = await rig.send(updates.command(ALEX, "/stop"))
    assert sent and "helped you lately" not in sent[-1].text
    # A command the bot doesn't know gets help, never becomes an answer.
    sent = await rig.send(updates.command(ALEX, "/whatever"))
    assert sent


async def test_language_switch_changes_the_flow_and_the_bots_own_words(rig: BotRig) -> None:
    await welcome(rig, ALEX)
    sent = await rig.send(updates.command(ALEX, "/language"))
    assert "🇷🇴 Română" in sent[-1].text
    sent = await rig.send(updates.text(ALEX, "🇷🇴 Română"))
    assert sent[-1].text.startswith("Ce vrei să faci?")
    assert sent[-1].text.endswith("Răspunde 1, 2, 3 sau 4")
    # What the bot says on its own follows the person's language too.
    sent = await rig.send(updates.sticker(ALEX))
    assert sent[-1].text.startswith("Scuze, pot citi doar")


async def test_a_polish_phone_is_welcomed_in_polish(rig: BotRig) -> None:
    sent = await rig.send(updates.command(ALEX, "/start", language_code="pl"))
    assert sent[0].text.startswith("Cześć")
    assert sent[-1].text.endswith("Odpowiedz 1 lub 2")


async def test_voice_command_toggles_reading_aloud(rig: BotRig, engine: Engine) -> None:
    await welcome(rig, ALEX)
    who = pseudonym(rig, ALEX)
    sent = await rig.send(updates.command(ALEX, "/voice"))
    texts = [c.text for c in sent if c.method == "sendMessage"]
    assert "I will read the questions out to you" in texts[0]
    with Session(engine) as session:
        assert session.get(Participant, who).voice_prompts is True
    await rig.send(updates.command(ALEX, "/voice"))
    with Session(engine) as session:
        assert session.get(Participant, who).voice_prompts is False


async def test_changes_says_what_changed(rig: BotRig) -> None:
    await welcome(rig, ALEX)
    sent = await rig.send(updates.command(ALEX, "/changes"))
    assert sent and sent[0].method == "sendMessage"


async def test_every_message_is_protected_and_every_question_numbered(rig: BotRig) -> None:
    code_free = [updates.command(ALEX, "/start"), updates.text(ALEX, "1")]
    for update in code_free:
        await rig.send(update)
    await rig.send(updates.text(ALEX, "1"))
    await rig.send(updates.text(ALEX, "2"))
    await rig.send(updates.text(ALEX, "1"))  # menu: check-in
    sent = rig.tg.messages_to(ALEX)
    assert sent and all(c.params.get("protect_content") is True for c in sent)
    keyboards = [c for c in sent if "keyboard" in (c.params.get("reply_markup") or {})]
    assert keyboards
    for call in keyboards:
        markup = call.params["reply_markup"]
        assert markup["resize_keyboard"] is True and markup["one_time_keyboard"] is True
        buttons = [row[0]["text"] for row in markup["keyboard"]]
        for n, button in enumerate(buttons, start=1):
            assert f"\n{n} {button}" in call.text
            emoji, _, word = button.partition(" ")
            assert emoji and word
        assert call.text.splitlines()[-1].startswith("Reply 1")
