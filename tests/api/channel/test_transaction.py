"""Group commit: messages that arrive together share a commit, and one failure costs no other."""

import asyncio
from types import SimpleNamespace

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.channel.transaction import run_transaction
from api.models import Site


def _add_site(name: str):  # type: ignore[no-untyped-def]
    def work(session: Session) -> str:
        session.add(Site(name=name))
        session.flush()
        return name

    return work


def _boom(session: Session) -> str:
    session.add(Site(name="never kept"))
    session.flush()
    raise ValueError("this message's own error")


def _names(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(session.exec(select(Site.name)).all())


def _count_commits(engine: Engine) -> list[int]:
    commits = [0]

    @event.listens_for(engine, "commit")
    def _on_commit(_connection) -> None:  # type: ignore[no-untyped-def]
        commits[0] += 1

    return commits


async def test_messages_arriving_together_share_one_commit(engine: Engine) -> None:
    state = SimpleNamespace()
    commits = _count_commits(engine)
    names = [f"site {n}" for n in range(10)]
    results = await asyncio.gather(*(run_transaction(state, engine, _add_site(n)) for n in names))
    assert results == names
    assert _names(engine) == sorted(names)
    assert commits[0] < len(names)  # grouped, not one commit each


async def test_one_failing_message_costs_the_others_nothing(engine: Engine) -> None:
    state = SimpleNamespace()
    works = [_add_site("before"), _boom, _add_site("after")]
    results = await asyncio.gather(
        *(run_transaction(state, engine, work) for work in works), return_exceptions=True
    )
    assert results[0] == "before" and results[2] == "after"
    assert isinstance(results[1], ValueError)
    assert _names(engine) == ["after", "before"]


async def test_work_alone_commits_before_it_returns(engine: Engine) -> None:
    state = SimpleNamespace()
    assert await run_transaction(state, engine, _add_site("alone")) == "alone"
    with engine.connect() as connection:  # a separate connection sees it: committed
        assert connection.execute(text("SELECT count(*) FROM site")).scalar_one() == 1


async def test_an_error_alone_is_raised_and_rolled_back(engine: Engine) -> None:
    with pytest.raises(ValueError, match="own error"):
        await run_transaction(SimpleNamespace(), engine, _boom)
    assert _names(engine) == []
