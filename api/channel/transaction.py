"""Transactions for inbound messages, committed before any reply leaves.

A commit costs about as much as the rest of a message, so messages that arrive together
share one: group commit. Each message's work runs in turn inside one transaction, which
commits once; only then do their replies leave. A message is never answered before it is
stored. If anything in a batch fails, the batch is rolled back and each of its messages
is run again in a transaction of its own, so one bad message cannot cost others theirs.

SQLite lets one writer in at a time: its batches run right on the event loop, one after
another (no thread hops, no threads queueing on SQLite's write lock). PostgreSQL runs
writers side by side: its batches run in the thread pool, a few at once. A person's
messages come one at a time from their adapter, and on PostgreSQL their row is locked
while one is handled (see `store.load`). `bench/channel.py` measured all this; see the
README's figures.
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
# PostgreSQL batches in flight at once per process (each holds a pooled connection).
# Measured on 2 cores: 1 or 2 ~455 msg/s, 4 ~405 (threads fight over the GIL); 2 keeps
# a batch going while another waits on the network to a remote database.
PARALLEL_BATCHES = 2


def _transaction(engine: Engine, work: Callable[[Session], T]) -> T:
    with session_scope(engine) as session:
        return work(session)


class Batcher:
    """Queue the work of inbound messages and run it in batches, one commit per batch."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.inline = engine.dialect.name == "sqlite"
        self.max_in_flight = 1 if self.inline else PARALLEL_BATCHES
        self.queue: list[tuple[Work, asyncio.Future[Any]]] = []
        self.in_flight = 0
        self.scheduled = False
        self.tasks: set[asyncio.Task[None]] = set()

    async def run(self, work: Callable[[Session], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self.queue.append((work, future))
        self._schedule(loop)
        return await future

    def _schedule(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self.scheduled:
            self.scheduled = True
            # call_soon: the requests already read in this turn of the loop join the batch.
            loop.call_soon(self._dispatch)

    def _dispatch(self) -> None:
        self.scheduled = False
        while self.queue and self.in_flight < self.max_in_flight:
            batch, self.queue = self.queue[:MAX_BATCH], self.queue[MAX_BATCH:]
            if self.inline:
                _settle(batch, self._process(batch))
            else:
                self.in_flight += 1
                task = asyncio.get_running_loop().create_task(self._threaded(batch))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

    async def _threaded(self, batch: list[tuple[Work, asyncio.Future[Any]]]) -> None:
        try:
            outcomes = await run_in_threadpool(self._process, batch)
        except BaseException as exc:  # the thread pool itself failed: tell every caller
            outcomes = [(None, exc)] * len(batch)
        finally:
            self.in_flight -= 1
        _settle(batch, outcomes)
        if self.queue:
            self._schedule(asyncio.get_running_loop())

    def _process(self, batch: list[tuple[Work, asyncio.Future[Any]]]) -> list[Any]:
        outcomes = self._together(batch)
        if outcomes is None:
            outcomes = [self._alone(work) for work, _ in batch]
        return outcomes

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


def _settle(batch: list[tuple[Work, asyncio.Future[Any]]], outcomes: list[Any]) -> None:
    for (_, future), (result, error) in zip(batch, outcomes, strict=True):
        if future.cancelled():
            continue  # the client went away; its message is stored all the same
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


def _batcher(state: Any, engine: Engine) -> Batcher:
    batcher = getattr(state, "channel_batcher", None)
    if batcher is None or batcher.engine is not engine:
        batcher = Batcher(engine)
        state.channel_batcher = batcher
    return batcher


async def run_transaction(state: Any, engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work(session)` in a transaction that commits before this returns."""
    return await _batcher(state, engine).run(work)
