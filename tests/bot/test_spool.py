"""The spool keeps messages in order per person, holds no raw chat id, and remembers audio."""

import sqlite3
import stat
from pathlib import Path

from cryptography.fernet import Fernet

from bot.identity import Identity
from bot.spool import Spool

CHAT_ID = 5_550_009_876


def test_messages_come_back_in_order_per_participant(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    spool.add("alice" * 4, b"sealed-a", {"message_id": "1", "text": "one"})
    spool.add("bobby" * 4, b"sealed-b", {"message_id": "7", "text": "other"})
    spool.add("alice" * 4, b"sealed-a", {"message_id": "2", "text": "two"})
    assert spool.participants() == ["alice" * 4, "bobby" * 4]
    assert [m.payload["text"] for m in spool.pending("alice" * 4)] == ["one", "two"]
    assert spool.has("bobby" * 4)
    first = spool.pending("alice" * 4)[0]
    spool.remove(first.id)
    assert [m.payload["text"] for m in spool.pending()] == ["other", "two"]
    spool.drop_participant("alice" * 4)
    assert not spool.has("alice" * 4)


def test_spool_survives_a_restart_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "spool.db"
    spool = Spool(path)
    spool.add("alice" * 4, b"sealed", {"message_id": "1", "text": "kept"})
    assert spool.count_attempt(spool.pending()[0].id) == 1
    spool.close()
    again = Spool(path)
    (message,) = again.pending()
    assert message.payload == {"message_id": "1", "text": "kept"} and message.attempts == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_spool_file_holds_the_sealed_address_never_the_chat_id(tmp_path: Path) -> None:
    identity = Identity(pseudonym_key=b"k" * 32, address_key=Fernet.generate_key())
    path = tmp_path / "spool.db"
    spool = Spool(path)
    spool.add(
        identity.pseudonym(CHAT_ID), identity.seal(CHAT_ID), {"message_id": "3", "text": "hi"}
    )
    spool.close()
    dump = "\n".join(sqlite3.connect(path).iterdump())
    assert str(CHAT_ID) not in dump
    (message,) = Spool(path).pending()
    assert identity.unseal(message.sealed) == CHAT_ID


def test_audio_file_ids_are_remembered_and_forgotten(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool.db")
    assert spool.file_id("abc") is None
    spool.remember_file_id("abc", "FILE1")
    spool.remember_file_id("abc", "FILE2")
    assert spool.file_id("abc") == "FILE2"
    spool.forget_file_id("abc")
    assert spool.file_id("abc") is None
