"""Privacy scan: after a session full of personal details, none of the person's Telegram
identity is in the database, the bot's spool or any log line (captured at DEBUG)."""

import logging
import sqlite3
from pathlib import Path

import pytest
from bot_harness import asgi_client, bot_settings, make_checkin, running_bot, staff_client
from fake_telegram import FakeTelegram, updates
from fastapi import FastAPI
from privacy_scan import scan_database
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.models import OutboxMessage, SealedAddress
from bot.application import SPOOL_FILE

USER_ID = 7_123_456_789
PROFILE = {
    "first_name": "Zebedee",
    "last_name": "Quixotic-Smythe",
    "username": "zebedee_quux",
    "language_code": "en",
}
PHONE = "+447700900987"


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    """Return every captured record: message, arguments, extra fields and traceback."""
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(record.args))
        parts.append(repr({k: v for k, v in record.__dict__.items() if k not in ("msg", "args")}))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


async def test_nothing_of_a_telegram_identity_is_stored_or_logged(
    fake_telegram: FakeTelegram,
    live_api: FastAPI,
    keys: dict[str, str],
    engine: Engine,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    tg = fake_telegram
    code = await make_checkin(live_api, keys)
    settings = bot_settings(tg, tmp_path / "bot")
    async with running_bot(tg, settings, asgi_client(live_api)) as rig:
        me = USER_ID

        async def say(text: str) -> None:
            await rig.send(updates.text(me, text, **PROFILE))

        await rig.send(updates.command(me, "/start", args=code, **PROFILE))
        await say("1")  # consent
        await say("✅ Yes")  # follow-ups: the bot hands over a sealed address
        await say("no")  # no voice
        await rig.send(updates.contact(me, phone_number=PHONE, **PROFILE))
        await rig.send(updates.location(me, **PROFILE))
        await rig.send(updates.photo(me, caption="Zebedee at the hostel", **PROFILE))
        await rig.send(updates.sticker(me, **PROFILE))
        await say("4")  # mood
        await rig.send(updates.edited_text(me, "Zebedee Quixotic-Smythe", **PROFILE))
        await rig.send(updates.callback_query(me, "zebedee_quux:+447700900987", **PROFILE))
        rig.tg.add_file("AwACprivacy-voice", b"OggS" + b"\0" * 500)
        await rig.send(updates.voice(me, file_id="AwACprivacy-voice", file_size=504, **PROFILE))
        await say("The nurse on Tuesdays")
        await rig.send(updates.command(me, "/changes", **PROFILE))
        await rig.send(updates.my_chat_member_blocked(me, **PROFILE))
        await rig.send(updates.my_chat_member_unblocked(me, **PROFILE))
        async with staff_client(live_api, keys["outreach"]) as staff:
            nudged = await staff.post("/v1/nudges", json={"flow": "checkin"})
            assert nudged.json()["queued"] == 1
        await tg.wait_for_async(lambda: _delivered(engine), timeout=10)  # the outbox, too
        pseudonym = rig.application.bot_data["relay"].identity.pseudonym(me)
        assert rig.errors == []

    with Session(engine) as session:
        assert session.exec(select(SealedAddress)).one()  # the session did reach the API
    identity = [str(USER_ID), PROFILE["username"], "Zebedee", "Quixotic", "7700900987", "900987"]

    database = scan_database(engine)
    assert pseudonym in database  # the scan sees the rows
    for detail in identity:
        assert detail not in database, f"{detail!r} is in the database"

    spool = "\n".join(sqlite3.connect(tmp_path / "bot" / SPOOL_FILE).iterdump())
    for detail in identity:
        assert detail not in spool, f"{detail!r} is in the bot's spool"

    logged = everything_logged(caplog)
    assert "Application started" in logged  # DEBUG capture saw the libraries' records too
    for detail in [*identity, tg.token, tg.token.split(":")[1], pseudonym]:
        assert detail not in logged, f"{detail!r} is in the logs"


def _delivered(engine: Engine) -> bool:
    with Session(engine) as session:
        return any(m.status == "delivered" for m in session.exec(select(OutboxMessage)))
