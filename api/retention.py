"""Retention: raw words and voices are kept only as long as HEARD_RETENTION_DAYS.

What goes after the retention period:
- the text of free-text answers (and of voice transcripts): `Answer.value` becomes NULL,
  while the answer row, its category, its theme tags and so every count stay;
- voice notes' audio files and transcripts (`audio_deleted` becomes true).

What goes sooner:
- handled-delivery records (`inbound_message`), after two days or the retention period if
  shorter: they exist only so a retried delivery is not handled twice, and adapters retry
  within minutes (Telegram gives up on an update within a day);
- voice files on disk that no row lists (a request that failed after writing its audio),
  and half-written temporary files, once an hour old.
"""

import asyncio
import contextlib
import logging
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, or_, select

from api.db import session_scope
from api.models import Answer, InboundMessage, VoiceNote, utcnow
from api.settings import Settings
from api.voice.storage import delete_audio_after_commit, is_voice_id, voice_dir

logger = logging.getLogger(__name__)

DELIVERY_RECORDS_KEPT = timedelta(days=2)
# A file younger than this may belong to a request still in flight.
ORPHAN_GRACE = timedelta(hours=1)
FIRST_PURGE_DELAY_S = 60.0
PURGE_INTERVAL_S = 24 * 60 * 60.0


@dataclass(frozen=True)
class PurgeReport:
    """What one purge removed."""

    answers_cleared: int = 0
    voice_notes_cleared: int = 0
    delivery_records_deleted: int = 0
    orphan_files_deleted: int = 0

    def __str__(self) -> str:
        return (
            f"{self.answers_cleared} free-text answers cleared, "
            f"{self.voice_notes_cleared} voice notes' audio and transcripts deleted, "
            f"{self.delivery_records_deleted} delivery records deleted, "
            f"{self.orphan_files_deleted} stray voice files deleted"
        )

    def to_dict(self) -> dict[str, int]:
        """Return the counts by name (for logs and JSON)."""
        return asdict(self)


def purge(session: Session, *, settings: Settings, now: datetime | None = None) -> PurgeReport:
    """Clear free text, voice audio and transcripts past retention; files go at commit."""
    now = now or utcnow()
    cutoff = now - timedelta(days=settings.retention_days)

    answers = session.execute(
        update(Answer)
        .where(
            col(Answer.free_text).is_(True),
            col(Answer.value).is_not(None),
            col(Answer.created_at) < cutoff,
        )
        .values(value=None)
        .execution_options(synchronize_session=False)
    )

    voice_ids = list(
        session.exec(
            select(VoiceNote.id).where(
                col(VoiceNote.created_at) < cutoff,
                or_(
                    col(VoiceNote.audio_deleted).is_(False),
                    col(VoiceNote.transcript).is_not(None),
                ),
            )
        )
    )
    if voice_ids:
        session.execute(
            update(VoiceNote)
            .where(col(VoiceNote.id).in_(voice_ids))
            .values(audio_deleted=True, transcript=None)
            .execution_options(synchronize_session=False)
        )
        delete_audio_after_commit(session, settings, voice_ids)

    records_cutoff = now - min(DELIVERY_RECORDS_KEPT, timedelta(days=settings.retention_days))
    records = session.execute(
        delete(InboundMessage)
        .where(col(InboundMessage.created_at) < records_cutoff)
        .execution_options(synchronize_session=False)
    )
    # Objects this session already holds would still show the old values.
    session.expire_all()

    report = PurgeReport(
        answers_cleared=answers.rowcount or 0,  # type: ignore[attr-defined]
        voice_notes_cleared=len(voice_ids),
        delivery_records_deleted=records.rowcount or 0,  # type: ignore[attr-defined]
        orphan_files_deleted=_delete_orphan_files(session, settings),
    )
    logger.info("retention purge", extra=report.to_dict())
    return report


def _delete_orphan_files(session: Session, settings: Settings) -> int:
    folder = voice_dir(settings)
    if not folder.is_dir():
        return 0
    old = time.time() - ORPHAN_GRACE.total_seconds()
    candidates = {}
    for path in folder.iterdir():
        try:
            if not path.is_file() or path.stat().st_mtime >= old:
                continue
        except FileNotFoundError:
            continue
        if path.name.startswith(".tmp-"):
            candidates[path.name] = path
        elif path.suffix == ".bin" and is_voice_id(path.stem):
            candidates[path.stem] = path
    if not candidates:
        return 0
    listed = set(
        session.exec(
            select(VoiceNote.id).where(
                col(VoiceNote.id).in_(list(candidates)), col(VoiceNote.audio_deleted).is_(False)
            )
        )
    )
    removed = 0
    for name, path in candidates.items():
        if name not in listed:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def run_purge(engine: Engine, settings: Settings) -> PurgeReport:
    """Purge in a transaction of its own (the job boundary)."""
    with session_scope(engine) as session:
        return purge(session, settings=settings)


def schedule_daily_purge(
    app: FastAPI,
    *,
    first_delay_s: float = FIRST_PURGE_DELAY_S,
    interval_s: float = PURGE_INTERVAL_S,
) -> None:
    """Run the purge shortly after the app starts, then once a day, until it stops."""

    async def _loop(app: FastAPI) -> None:
        delay = first_delay_s
        while True:
            await asyncio.sleep(delay)
            delay = interval_s
            try:
                report = await asyncio.to_thread(run_purge, app.state.engine, app.state.settings)
            except Exception:
                # Try again tomorrow; a failed purge must not stop the API.
                logger.exception("retention purge failed")
                continue
            app.state.last_purge = report

    async def _start(app: FastAPI) -> None:
        app.state.purge_task = asyncio.get_running_loop().create_task(_loop(app))

    async def _stop(app: FastAPI) -> None:
        task = getattr(app.state, "purge_task", None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.state.startup_hooks.append(_start)
    app.state.shutdown_hooks.append(_stop)
