"""Updates the bot can't use get a short, kind reply (or are left on purpose), and nothing else."""

from typing import Any

import pytest
from bot_harness import BotRig, welcome
from fake_telegram import BOT_USER, updates
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from telegram import Update

from api.models import Answer, InboundMessage, Participant

ALEX = 5_550_004_004
GROUP = -1_001_234_567_890


def participants(engine: Engine) -> list[Participant]:
    with Session(engine) as session:
        return list(session.exec(select(Participant)))


def video(user_id: int) -> dict[str, Any]:
    update = updates.message(user_id)
    update["message"]["video"] = {
        "file_id": "BAACvideo", "file_unique_id": "AgADvid", "width": 640, "height": 480,
        "duration": 3,
    }  # fmt: skip
    return update


def animation(user_id: int) -> dict[str, Any]:
    update = updates.message(user_id)
    gif = {
        "file_id": "CgACgif",
        "file_unique_id": "AgADgif",
        "width": 1,
        "height": 1,
        "duration": 1,
    }
    update["message"]["animation"] = gif
    update["message"]["document"] = dict(gif)
    return update


@pytest.mark.parametrize(
    "make",
    [
        updates.sticker,
        lambda u: updates.photo(u, caption="my room"),
        updates.document,
        updates.poll,
        video,
        animation,
    ],
    ids=["sticker", "photo", "document", "poll", "video", "animation"],
)
async def test_things_the_bot_cannot_read_get_a_kind_reply_and_reach_no_one(
    rig: BotRig, engine: Engine, make: Any
) -> None:
    sent = await rig.send(make(ALEX))
    assert [c.method for c in sent] == ["sendMessage"]
    assert sent[0].text == "Sorry, I can only read words, numbers, emoji or voice notes."
    assert sent[0].params["protect_content"] is True
    assert participants(engine) == []


async def test_a_shared_contact_is_thanked_and_its_number_kept_nowhere(
    rig: BotRig, engine: Engine
) -> None:
    sent = await rig.send(updates.contact(ALEX, phone_number="+447700900555"))
    assert [c.method for c in sent] == ["sendMessage"]
    assert "don't need your number" in sent[0].text
    assert participants(engine) == []


async def test_a_location_is_not_kept(rig: BotRig, engine: Engine) -> None:
    sent = await rig.send(updates.location(ALEX))
    assert "don't need to know where you are" in sent[0].text
    assert participants(engine) == []


async def test_an_edit_is_explained_and_changes_no_answer(rig: BotRig, engine: Engine) -> None:
    await welcome(rig, ALEX)
    await rig.send(updates.command(ALEX, "/help"))
    await rig.send(updates.text(ALEX, "1"))
    first = updates.text(ALEX, "2")
    await rig.send(first)
    sent = await rig.send(updates.edited_text(ALEX, "5", message_id=first["message"]["message_id"]))
    assert [c.method for c in sent] == ["sendMessage"]
    assert "/back" in sent[0].text
    with Session(engine) as session:
        mood = session.exec(select(Answer).where(Answer.result == "mood")).one()
    assert mood.category == "bad"


async def test_a_forged_button_press_is_answered_and_otherwise_ignored(
    rig: BotRig, engine: Engine
) -> None:
    forged = updates.callback_query(ALEX, "'; DROP TABLE answer; --")
    sent = await rig.send(forged)
    assert [c.method for c in sent] == ["answerCallbackQuery"]
    assert participants(engine) == []


@pytest.mark.parametrize("chat_type", ["group", "supergroup"])
async def test_in_a_group_the_bot_says_it_is_private_only_and_leaves(
    rig: BotRig, engine: Engine, chat_type: str
) -> None:
    sent = await rig.send(updates.group_text(GROUP, ALEX, "hello bot", chat_type=chat_type))
    assert [c.method for c in sent] == ["sendMessage", "leaveChat"]
    assert "only work in private chats" in sent[0].text
    assert sent[1].chat_id == GROUP
    assert participants(engine) == []


async def test_a_channel_post_makes_the_bot_leave_the_channel(rig: BotRig) -> None:
    sent = await rig.send(updates.channel_post(GROUP, "news"))
    assert [c.method for c in sent] == ["leaveChat"]


async def test_being_added_to_a_group_makes_the_bot_leave(rig: BotRig) -> None:
    added = {
        "my_chat_member": {
            "chat": {"id": GROUP, "type": "group", "title": "Residents"},
            "from": updates.user(ALEX),
            "date": updates.now(),
            "old_chat_member": {"user": dict(BOT_USER), "status": "left"},
            "new_chat_member": {"user": dict(BOT_USER), "status": "member"},
        }
    }
    sent = await rig.send(added)
    assert [c.method for c in sent] == ["sendMessage", "leaveChat"]


@pytest.mark.parametrize(
    "text",
    [
        "x" * 4096,
        "مرحبا، الخدمة كانت جيدة",  # right to left
        "\u200b\u200d\u2060",  # zero-width only
        "👍👍👍",
        "<script>alert(1)</script> {{7*7}} ${jndi:ldap://x} '; DROP TABLE answer; --",
        "\u202eevil\u202c text",
        "nul\x00byte and \x07bell",
    ],
    ids=["4096", "rtl", "zero-width", "emoji", "injection", "bidi-override", "control"],
)
async def test_odd_text_gets_an_answer_and_breaks_nothing(rig: BotRig, text: str) -> None:
    sent = await rig.send(updates.text(ALEX, text))
    assert sent and sent[-1].method == "sendMessage" and sent[-1].ok


async def test_an_update_delivered_twice_is_handled_once(rig: BotRig, engine: Engine) -> None:
    await welcome(rig, ALEX)
    await rig.send(updates.command(ALEX, "/help"))
    data = {"update_id": 900_000_001, **updates.text(ALEX, "1")}
    before = len(rig.tg.sent)
    for _ in range(3):
        await rig.application.process_update(Update.de_json(data, rig.application.bot))
    assert len(rig.tg.sent) - before == 1  # one question, sent once
    # The same message again under another update id: still once.
    again = {**data, "update_id": 900_000_002}
    await rig.application.process_update(Update.de_json(again, rig.application.bot))
    assert len(rig.tg.sent) - before == 1


async def test_a_bot_restart_does_not_store_a_redelivered_message_twice(
    rig: BotRig, engine: Engine
) -> None:
    await welcome(rig, ALEX)
    await rig.send(updates.command(ALEX, "/help"))
    await rig.send(updates.text(ALEX, "1"))
    data = {"update_id": 900_000_003, **updates.text(ALEX, "3")}
    await rig.application.process_update(Update.de_json(data, rig.application.bot))
    # A restarted bot has forgotten the ids it saw; the API still knows the message id.
    relay = rig.application.bot_data["relay"]
    relay.seen = type(relay.seen)()
    await rig.application.process_update(Update.de_json(data, rig.application.bot))
    with Session(engine) as session:
        moods = session.exec(select(Answer).where(Answer.result == "mood")).all()
        deliveries = session.exec(
            select(InboundMessage).where(
                InboundMessage.message_id == str(data["message"]["message_id"])
            )
        ).all()
    assert len(moods) == 1 and len(deliveries) == 1
