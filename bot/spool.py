"""A small local SQLite spool: messages kept while the API is away, and Telegram file ids.

A spooled row holds the pseudonym, the sealed address (to reply after replay; never the raw chat
id) and the message as the API would receive it. Rows leave the spool once the API has them.
"""

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spooled_message (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pseudonym TEXT NOT NULL,
    sealed BLOB NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_spooled_pseudonym ON spooled_message (pseudonym, id);
CREATE TABLE IF NOT EXISTS voice_file (
    audio_id TEXT PRIMARY KEY,
    file_id TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class SpooledMessage:
    """A message that has not reached the API yet."""

    id: int
    pseudonym: str
    sealed: bytes
    payload: dict[str, Any]
    attempts: int


class Spool:
    """Keep messages for later and remember uploaded audio, in one SQLite file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Calls are tiny; one connection guarded by a lock is simpler than a pool.
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        path.chmod(0o600)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def add(self, pseudonym: str, sealed: bytes, payload: dict[str, Any]) -> int:
        """Keep a message until the API can take it; return its spool id."""
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO spooled_message (pseudonym, sealed, payload, created_at) "
                "VALUES (?, ?, ?, ?)",
                (pseudonym, sealed, json.dumps(payload), time.time()),
            )
            return int(cursor.lastrowid or 0)

    def has(self, pseudonym: str) -> bool:
        """Whether this participant has messages waiting (new ones must queue behind them)."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM spooled_message WHERE pseudonym = ? LIMIT 1", (pseudonym,)
            ).fetchone()
        return row is not None

    def pending(self, pseudonym: str | None = None) -> list[SpooledMessage]:
        """Return waiting messages, oldest first (of one participant, or of everyone)."""
        query = "SELECT id, pseudonym, sealed, payload, attempts FROM spooled_message"
        args: tuple[Any, ...] = ()
        if pseudonym is not None:
            query += " WHERE pseudonym = ?"
            args = (pseudonym,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY id", args).fetchall()
        return [
            SpooledMessage(
                id=r[0], pseudonym=r[1], sealed=r[2], payload=json.loads(r[3]), attempts=r[4]
            )
            for r in rows
        ]

    def participants(self) -> list[str]:
        """Return the pseudonyms with messages waiting, longest-waiting first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT pseudonym FROM spooled_message GROUP BY pseudonym ORDER BY MIN(id)"
            ).fetchall()
        return [r[0] for r in rows]

    def remove(self, spool_id: int) -> None:
        """Forget a message the API now holds."""
        with self._lock:
            self._db.execute("DELETE FROM spooled_message WHERE id = ?", (spool_id,))

    def count_attempt(self, spool_id: int) -> int:
        """Note one more failed replay of a message; return the attempts so far."""
        with self._lock:
            self._db.execute(
                "UPDATE spooled_message SET attempts = attempts + 1 WHERE id = ?", (spool_id,)
            )
            row = self._db.execute(
                "SELECT attempts FROM spooled_message WHERE id = ?", (spool_id,)
            ).fetchone()
        return int(row[0]) if row else 0

    def drop_participant(self, pseudonym: str) -> None:
        """Delete everything waiting for one participant."""
        with self._lock:
            self._db.execute("DELETE FROM spooled_message WHERE pseudonym = ?", (pseudonym,))

    def file_id(self, audio_id: str) -> str | None:
        """Return the Telegram file id of audio uploaded before, if any."""
        with self._lock:
            row = self._db.execute(
                "SELECT file_id FROM voice_file WHERE audio_id = ?", (audio_id,)
            ).fetchone()
        return row[0] if row else None

    def remember_file_id(self, audio_id: str, file_id: str) -> None:
        """Remember the Telegram file id of uploaded audio, so it is sent by reference next."""
        with self._lock:
            self._db.execute(
                "INSERT INTO voice_file (audio_id, file_id) VALUES (?, ?) "
                "ON CONFLICT (audio_id) DO UPDATE SET file_id = excluded.file_id",
                (audio_id, file_id),
            )

    def forget_file_id(self, audio_id: str) -> None:
        """Forget a file id Telegram no longer accepts."""
        with self._lock:
            self._db.execute("DELETE FROM voice_file WHERE audio_id = ?", (audio_id,))
