"""Transactions for inbound messages, committed before any reply leaves.

PostgreSQL runs writers side by side: each message gets its own transaction in the thread
pool, as any request would.

SQLite lets one writer in at a time, and a commit costs about as much as the rest of a
message. So messages that arrive together are handled one after the other on the event
loop, inside one transaction, and committed once; their replies leave only after that
commit. A message is never acknowledged before it is stored: this is group commit, not
deferred commit. If anything in a batch fails, the batch is rolled back and each of its
messages is run again in a transaction of its own, so one bad message cannot cost others
their answers. `bench/channel.py` measured both ways; see the README's figures.
"""

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.db import session_scope

T = TypeVar("T")
Work = Callable[[Session], Any]

logger = logging.getLogger(__name__)

# Set on a session that holds several messages: work must raise, never roll back itself.
BATCHED = "heard_batched"
# Enough to amortise a commit; few enough that no reply waits long behind the others.
MAX_BATCH = 32


def _transaction(engine: Engine, work: Callable[[Session], T]) -> T:
    with session_scope(engine) as session:
        return work(session)


class SQLiteBatcher:
    """Run queued work on the event loop, a batch per transaction, one commit per batch."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.queue: list[tuple[Work, asyncio.Future[Any]]] = []
        self.scheduled = False

    async def run(self, work: Callable[[Session], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self.queue.append((work, future))
        if not self.scheduled:
            self.scheduled = True
            # call_soon: the requests already parsed in this loop turn join the batch.
            loop.call_soon(self.drain)
        return await future  # type: ignore[no-any-return]

    def drain(self) -> None:
        self.scheduled = False
        while self.queue:
            batch, self.queue = self.queue[:MAX_BATCH], self.queue[MAX_BATCH:]
            outcomes = self._together(batch)
            if outcomes is None:
                outcomes = [self._alone(work) for work, _ in batch]
            for (_, future), (result, error) in zip(batch, outcomes, strict=True):
                if future.cancelled():
                    continue
                if error is not None:
                    future.set_exception(error)
                else:
                    future.set_result(result)

    def _together(self, batch: list[tuple[Work, asyncio.Future[Any]]]) -> list[Any] | None:
        """Run the whole batch in one transaction; None if any of it failed (rolled back)."""
        if len(batch) == 1:
            return None
        try:
            with session_scope(self.engine) as session:
                session.info[BATCHED] = True
                results = [(work(session), None) for work, _ in batch]
        except Exception:  # each message is run again on its own, where its error belongs
            logger.info("channel batch rolled back; running its messages one by one")
            return None
        return results

    def _alone(self, work: Work) -> tuple[Any, BaseException | None]:
        try:
            return _transaction(self.engine, work), None
        except Exception as exc:
            return None, exc


def _batcher(state: Any, engine: Engine) -> SQLiteBatcher:
    batcher = getattr(state, "channel_batcher", None)
    if batcher is None or batcher.engine is not engine:
        batcher = SQLiteBatcher(engine)
        state.channel_batcher = batcher
    return batcher


async def run_transaction(state: Any, engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work(session)` in a transaction that commits before this returns."""
    if engine.dialect.name == "sqlite":
        return await _batcher(state, engine).run(work)
    return await run_in_threadpool(_transaction, engine, work)
