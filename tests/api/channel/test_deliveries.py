"""Exactly once: a retried or duplicated delivery gets the same replies and stores nothing twice."""

import threading
from collections.abc import Callable

import httpx
import pytest
from channel_chat import Chat, new_pseudonym
from fake_telegram.server import BackgroundServer
from fastapi import FastAPI
from heard_testing import CHANNEL_TOKEN, bearer
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.models import Answer, InboundMessage, Participant


def _count(engine: Engine, model: type, pseudonym: str) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count()).select_from(model).where(model.pseudonym == pseudonym)
        ).one()


def test_a_retry_returns_the_same_replies_and_stores_nothing_twice(
    chat: Callable[..., Chat], engine: Engine, make_code: Callable[..., str]
) -> None:
    person = chat()
    person.consent(checkin_code=make_code())
    person.send(choice="good", message_id="rate-1")
    first = person.send(text="A hot meal", message_id="helped-1")
    answers = _count(engine, Answer, person.pseudonym)
    again = person.send(text="A hot meal", message_id="helped-1")
    assert again == first
    # Even a different body with a seen message_id is the same delivery: same replies.
    assert person.send(text="something else", message_id="helped-1") == first
    assert _count(engine, Answer, person.pseudonym) == answers
    # The conversation did not move on: the next real message answers the next question.
    person.send(text="Money")
    assert person.options == ["yes", "no"]


def test_the_same_message_id_from_another_participant_is_another_message(
    chat: Callable[..., Chat], engine: Engine
) -> None:
    one, two = chat(), chat()
    one.send(text="hi", message_id="1")
    two.send(text="hi", message_id="1")
    assert _count(engine, Participant, one.pseudonym) == 1
    assert _count(engine, Participant, two.pseudonym) == 1


@pytest.fixture
def server(app: FastAPI) -> BackgroundServer:
    with BackgroundServer(app, name="heard-api") as running:
        yield running


def _post_together(url: str, bodies: list[dict]) -> list[httpx.Response]:
    """Post each body from its own thread, released at the same instant."""
    barrier = threading.Barrier(len(bodies))
    results: list[httpx.Response | None] = [None] * len(bodies)

    def post(index: int) -> None:
        with httpx.Client(base_url=url, headers=bearer(CHANNEL_TOKEN), timeout=30) as client:
            barrier.wait()
            results[index] = client.post("/v1/channel/messages", json=bodies[index])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(result is not None for result in results)
    return results  # type: ignore[return-value]


def test_concurrent_duplicates_store_one_delivery(server: BackgroundServer, engine: Engine) -> None:
    pseudonym = new_pseudonym()
    body = {"channel": "telegram", "participant": pseudonym}
    for step, fields in enumerate(
        [
            {"text": "hi"},
            {"choice": "yes"},
            {"choice": "no"},
            {"choice": "no"},
            {"choice": "checkin"},
            {"choice": "ok"},
            {"text": "The nurse"},
            {"text": "Sleeping rough"},
        ]
    ):
        bodies = [{**body, **fields, "message_id": f"dup-{step}"} for _ in range(3)]
        responses = _post_together(server.url, bodies)
        assert [r.status_code for r in responses] == [200, 200, 200], [r.text for r in responses]
        assert responses[0].json() == responses[1].json() == responses[2].json()
    assert _count(engine, InboundMessage, pseudonym) == 8
    with Session(engine) as session:
        answers = session.exec(select(Answer).where(Answer.pseudonym == pseudonym)).all()
    assert sorted(a.result for a in answers) == ["hard", "helped", "mood"]


def test_a_newcomers_first_messages_at_once_make_one_participant(
    server: BackgroundServer, engine: Engine
) -> None:
    pseudonym = new_pseudonym()
    bodies = [
        {"channel": "telegram", "participant": pseudonym, "message_id": f"first-{i}", "text": "hi"}
        for i in range(2)  # a third "hi" to the consent question would count as a no
    ]
    responses = _post_together(server.url, bodies)
    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    assert _count(engine, Participant, pseudonym) == 1
    assert _count(engine, InboundMessage, pseudonym) == 2
