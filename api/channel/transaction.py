"""One transaction per inbound message, committed before the reply leaves (the request boundary).

SQLite lets one writer in at a time, so the channel's work runs right on the event loop:
no thread hops, and no threads queueing on SQLite's write lock (whose busy handler sleeps
in steps of milliseconds). PostgreSQL runs writers side by side, so there the work goes to
the thread pool. `bench/channel.py` measured both; see the README's figures.
"""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from api.db import session_scope

T = TypeVar("T")


def _transaction(engine: Engine, work: Callable[[Session], T]) -> T:
    with session_scope(engine) as session:
        return work(session)


async def run_transaction(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work(session)` in one transaction that commits when it returns."""
    if engine.dialect.name == "sqlite":
        return _transaction(engine, work)
    return await run_in_threadpool(_transaction, engine, work)
