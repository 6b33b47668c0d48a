"""Voice: a voice note answers a question; spoken questions are uploaded once, then reused."""

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest
from bot_harness import BotRig, welcome
from fake_telegram import updates
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.models import Answer, VoiceNote
from bot.relay import MAX_VOICE_BYTES

ALEX = 5_550_002_002
HAVE_TOOLS = bool(shutil.which("espeak-ng") and shutil.which("opusenc"))


def ogg_voice_note(tmp_path: Path) -> bytes:
    """Return a real OGG/Opus voice note when espeak-ng and opusenc exist, else OGG-framed bytes."""
    if not HAVE_TOOLS:
        return b"OggS" + b"\x00" * 2_000
    wav, ogg = tmp_path / "note.wav", tmp_path / "note.ogg"
    subprocess.run(["espeak-ng", "-w", str(wav), "The bus pass helped me"], check=True)
    subprocess.run(["opusenc", "--quiet", str(wav), str(ogg)], check=True)
    return ogg.read_bytes()


async def reach_free_text_question(rig: BotRig) -> None:
    await welcome(rig, ALEX)
    await rig.send(updates.command(ALEX, "/help"))
    await rig.send(updates.text(ALEX, "1"))  # check-in
    sent = await rig.send(updates.text(ALEX, "4"))
    assert sent[-1].text == "What is one thing that helped you lately?"


async def test_a_voice_note_answers_the_question(
    rig: BotRig, engine: Engine, tmp_path: Path
) -> None:
    await reach_free_text_question(rig)
    audio = ogg_voice_note(tmp_path)
    rig.tg.add_file("AwACvoice-note-1", audio)
    sent = await rig.send(updates.voice(ALEX, file_id="AwACvoice-note-1", file_size=len(audio)))
    assert [c.method for c in sent] == ["getFile", "sendMessage"]
    assert sent[-1].text == "What is one thing that is hard for you right now?"
    who = rig.application.bot_data["relay"].identity.pseudonym(ALEX)
    with Session(engine) as session:
        note = session.exec(select(VoiceNote).where(VoiceNote.pseudonym == who)).one()
        assert note.size > 0 and note.question == "helped"
        answer = session.exec(
            select(Answer).where(Answer.pseudonym == who, Answer.result == "helped")
        ).one()
        assert answer.value == note.id


async def test_a_voice_note_over_20_mb_gets_a_kind_reply_and_is_not_downloaded(
    rig: BotRig,
) -> None:
    await reach_free_text_question(rig)
    sent = await rig.send(updates.voice(ALEX, file_size=MAX_VOICE_BYTES + 1))
    assert [c.method for c in sent] == ["sendMessage"]
    assert "too long" in sent[0].text


async def test_a_voice_note_telegram_cannot_hand_over_gets_a_kind_reply(rig: BotRig) -> None:
    await reach_free_text_question(rig)
    sent = await rig.send(updates.voice(ALEX, file_id="AwACunknown-file"))
    assert sent[-1].method == "sendMessage"
    assert sent[-1].text.startswith("Sorry, something went wrong")


@pytest.mark.skipif(not HAVE_TOOLS, reason="espeak-ng and opusenc are needed to speak prompts")
async def test_spoken_questions_are_uploaded_once_then_sent_by_file_id(rig: BotRig) -> None:
    await welcome(rig, ALEX)
    sent = await rig.send(updates.command(ALEX, "/voice"))
    # Each reply: its voice note first, then the text with the buttons.
    assert [c.method for c in sent] == ["sendVoice", "sendMessage"] * 2
    first_menu_voice = sent[2]
    assert isinstance(first_menu_voice.params["voice"], bytes)
    assert first_menu_voice.params["voice"].startswith(b"OggS")
    assert all(c.params.get("protect_content") is True for c in sent)

    sent = await rig.send(updates.command(ALEX, "/repeat"))
    assert [c.method for c in sent] == ["sendVoice", "sendMessage"]
    assert sent[0].params["voice"] == first_menu_voice.result["voice"]["file_id"]

    await rig.send(updates.command(ALEX, "/voice"))  # off again
    sent = await rig.send(updates.command(ALEX, "/repeat"))
    assert [c.method for c in sent] == ["sendMessage"]


@pytest.mark.skipif(not HAVE_TOOLS, reason="espeak-ng and opusenc are needed to speak prompts")
async def test_a_file_id_telegram_forgot_is_uploaded_again(rig: BotRig) -> None:
    await welcome(rig, ALEX)
    await rig.send(updates.command(ALEX, "/voice"))
    voices = rig.application.bot_data["relay"].voices
    spool = rig.application.bot_data["relay"].spool
    for audio_id in list(voices._file_ids):
        voices._file_ids[audio_id] = "AwACforgotten"
        spool.remember_file_id(audio_id, "AwACforgotten")
    sent = await rig.send(updates.command(ALEX, "/repeat"))
    voice_calls = [c for c in sent if c.method == "sendVoice"]
    assert [c.ok for c in voice_calls] == [False, True]
    assert isinstance(voice_calls[-1].params["voice"], bytes)


@pytest.mark.skipif(not HAVE_TOOLS, reason="espeak-ng and opusenc are needed to speak prompts")
async def test_two_people_at_once_still_upload_each_audio_once(rig: BotRig) -> None:
    sam = ALEX + 1
    for person in (ALEX, sam):
        await welcome(rig, person)
    relay = rig.application.bot_data["relay"]
    relay.voices._file_ids.clear()  # nothing uploaded yet as far as the bot knows
    for audio_id in list(relay.voices._uploading):
        relay.spool.forget_file_id(audio_id)
    await asyncio.gather(
        rig.send(updates.command(ALEX, "/voice")), rig.send(updates.command(sam, "/voice"))
    )
    uploads = [
        c for c in rig.tg.sent if c.method == "sendVoice" and isinstance(c.params["voice"], bytes)
    ]
    voices = [c for c in rig.tg.sent if c.method == "sendVoice"]
    assert len(voices) == 4 and len(uploads) == 2  # two audios, each uploaded once
