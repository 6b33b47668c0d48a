"""Retagging stored answers after the codebook changes: in batches, off the request path.

Progress is shared through the `counter` table, so every API process can tell whether a
retag is due: `codebook_version` goes up with each edit, and a finished retag raises
`tagged_version` to the version it started from. A retag cut short (a restart) leaves them
apart, and the next start-up finishes the job.
"""

import logging
import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from api.db import session_scope
from api.insights import counters
from api.models import Answer, AnswerTheme
from api.themes.service import get_tagger

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000


class Retagger:
    """Run retags one at a time per process; a request during a run queues one more run."""

    def __init__(self, engine: Engine, *, batch_size: int = BATCH_SIZE) -> None:
        self.engine = engine
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._running = False
        self._again = False
        self._stopping = threading.Event()
        self._idle = threading.Event()
        self._idle.set()

    @property
    def running(self) -> bool:
        """Say whether this process is retagging right now."""
        return self._running

    def expect(self) -> None:
        """Note that a retag is about to be requested, so `wait` waits for it."""
        self._idle.clear()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no retag is running or expected; return False on timeout."""
        return self._idle.wait(timeout)

    def stop(self) -> None:
        """Ask a running retag to stop after its current batch (at shutdown)."""
        self._stopping.set()

    def request(self) -> None:
        """Retag now, or once more after the retag already running (blocking; call off the loop)."""
        with self._lock:
            if self._running:
                self._again = True
                return
            self._running = True
            self._idle.clear()
        try:
            while not self._stopping.is_set():
                self.retag_all()
                with self._lock:
                    if not self._again:
                        break
                    self._again = False
        except Exception:
            # Logged without content; the versions stay apart, so the next start retries.
            logger.exception("retagging failed; it will be retried at the next start")
        finally:
            with self._lock:
                self._running = False
                self._again = False
                self._idle.set()

    def retag_all(self) -> int:
        """Retag every free-text answer with the current codebook; return the answers changed."""
        with session_scope(self.engine) as session:
            target = counters.read(session, counters.CODEBOOK_VERSION)
        last_id, changed = 0, 0
        while not self._stopping.is_set():
            with session_scope(self.engine) as session:
                rows = session.exec(
                    select(Answer.id, Answer.value, Answer.language)
                    .where(
                        col(Answer.free_text),
                        col(Answer.value).is_not(None),
                        col(Answer.id) > last_id,
                    )
                    .order_by(col(Answer.id))
                    .limit(self.batch_size)
                ).all()
                if not rows:
                    break
                changed += _retag_batch(session, rows)
                last_id = int(rows[-1][0] or 0)
        if self._stopping.is_set():
            return changed
        with session_scope(self.engine) as session:
            counters.raise_to(session, counters.TAGGED_VERSION, target)
            if changed:
                # Tags that were only added fire no delete trigger; say so to snapshots here.
                counters.bump(session, counters.INSIGHTS_VERSION)
        logger.info("retag finished", extra={"answers_changed": changed})
        return changed


def _retag_batch(session: Session, rows: Sequence[Any]) -> int:
    """Bring the tags of one batch of answers in line with the codebook; return answers changed."""
    tagger, ids = get_tagger(session)
    answer_ids = [int(row[0]) for row in rows]
    current: dict[int, set[int]] = {answer_id: set() for answer_id in answer_ids}
    for answer_id, theme_id in session.exec(
        select(AnswerTheme.answer_id, AnswerTheme.theme_id).where(
            col(AnswerTheme.answer_id).in_(answer_ids)
        )
    ):
        current[answer_id].add(theme_id)
    removed: list[tuple[int, int]] = []
    added: list[AnswerTheme] = []
    for answer_id, value, language in rows:
        wanted = {ids[slug] for slug in tagger.tag(value or "", language) if slug in ids}
        have = current[int(answer_id)]
        removed.extend((int(answer_id), theme_id) for theme_id in have - wanted)
        added.extend(AnswerTheme(answer_id=answer_id, theme_id=t) for t in wanted - have)
    by_theme: dict[int, list[int]] = {}
    for answer_id, theme_id in removed:
        by_theme.setdefault(theme_id, []).append(answer_id)
    for theme_id, answers in by_theme.items():
        session.execute(
            delete(AnswerTheme).where(
                col(AnswerTheme.theme_id) == theme_id, col(AnswerTheme.answer_id).in_(answers)
            )
        )
    session.add_all(added)
    session.flush()
    return len({a for a, _ in removed} | {a.answer_id for a in added})


def retag_status(engine: Engine, retagger: Retagger | None = None) -> dict[str, int | bool]:
    """Return the codebook and tag versions, and whether a retag is due or running."""
    with session_scope(engine) as session:
        codebook = counters.read(session, counters.CODEBOOK_VERSION)
        tagged = counters.read(session, counters.TAGGED_VERSION)
    return {
        "codebook_version": codebook,
        "tagged_version": tagged,
        "pending": tagged < codebook,
        "running": bool(retagger and retagger.running),
    }
