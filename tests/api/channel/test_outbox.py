"""The outbox: leases, expiry, and what delivered, blocked and failed do."""

import base64
from collections.abc import Callable
from datetime import timedelta

import pytest
from channel_chat import Chat
from fastapi.testclient import TestClient
from heard_testing import CHANNEL_TOKEN, bearer
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.channel.outbox import MAX_ATTEMPTS, backoff
from api.db import session_scope
from api.models import OutboxMessage, Participant, utcnow

CHANNEL = bearer(CHANNEL_TOKEN)


def _sealed(name: str) -> str:
    return base64.b64encode(f"sealed:{name}".encode()).decode()


@pytest.fixture
def reachable(chat: Callable[..., Chat], client: TestClient) -> Callable[..., Chat]:
    """Make a participant who opted in and whose sealed address the API holds."""

    def make(address: bool = True) -> Chat:
        person = chat()
        person.consent(followups=True)
        if address:
            response = client.post(
                f"/v1/channel/participants/{person.pseudonym}/address",
                json={"channel": "telegram", "sealed": _sealed(person.pseudonym)},
                headers=CHANNEL,
            )
            assert response.status_code == 204
        return person

    return make


def _queue(engine: Engine, pseudonym: str, text: str = "You said, we did.") -> int:
    with session_scope(engine) as session:
        message = OutboxMessage(
            channel="telegram",
            pseudonym=pseudonym,
            kind="loop_update",
            text=text,
            options=[{"key": "ok", "emoji": "👍", "label": "OK"}],
        )
        session.add(message)
        session.flush()
        assert message.id is not None
        return message.id


def _claim(client: TestClient, limit: int = 10, lease_seconds: int = 30) -> list[dict]:
    response = client.post(
        "/v1/channel/outbox/claim",
        json={"channel": "telegram", "limit": limit, "lease_seconds": lease_seconds},
        headers=CHANNEL,
    )
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def _result(client: TestClient, message_id: int, **body: object) -> int:
    response = client.post(f"/v1/channel/outbox/{message_id}/result", json=body, headers=CHANNEL)
    return response.status_code


def _message(engine: Engine, message_id: int) -> OutboxMessage:
    with Session(engine) as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        return message


def _expire_lease(engine: Engine, message_id: int) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )


def test_a_claim_leases_messages_with_their_sealed_address(
    reachable: Callable[..., Chat], client: TestClient, engine: Engine
) -> None:
    person = reachable()
    message_id = _queue(engine, person.pseudonym)
    claimed = _claim(client)
    assert claimed == [
        {
            "id": message_id,
            "participant": person.pseudonym,
            "sealed": _sealed(person.pseudonym),
            "text": "You said, we did.",
            "options": [{"key": "ok", "emoji": "👍", "label": "OK"}],
        }
    ]
    assert _claim(client) == []  # leased: nobody else gets it
    assert _message(engine, message_id).attempts == 1


def test_an_expired_lease_makes_a_message_claimable_again(
    reachable: Callable[..., Chat], client: TestClient, engine: Engine
) -> None:
    message_id = _queue(engine, reachable().pseudonym)
    assert [m["id"] for m in _claim(client)] == [message_id]
    _expire_lease(engine, message_id)
    assert [m["id"] for m in _claim(client)] == [message_id]
    assert _message(engine, message_id).attempts == 2


def test_claims_respect_the_limit_and_order(
    reachable: Callable[..., Chat], client: TestClient, engine: Engine
) -> None:
    person = reachable()
    ids = [_queue(engine, person.pseudonym, f"update {n}") for n in range(5)]
    assert [m["id"] for m in _claim(client, limit=2)] == ids[:2]
    assert [m["id"] for m in _claim(client, limit=10)] == ids[2:]


def test_delivered_is_final(
    reachable: Callable[..., Chat], client: TestClient, engine: Engine
) -> None:
    message_id = _queue(engine, reachable().pseudonym)
    _claim(client)
    assert _result(client, message_id, status="delivered") == 204
    message = _message(engine, message_id)
    assert message.status == "delivered" and message.delivered_at is not None
    _expire_lease(engine, message_id)
    assert _claim(client) == []
    assert _result(client, message_id, status="delivered") == 204  # a repeated report
    assert _result(client, message_id, status="failed") == 409


def test_blocked_marks_the_participant_unreachable(
    reachable: Callable[..., Chat], client: TestClient, engine: Engine
) -> None:
    person = reachable()
    first = _queue(engine, person.pseudonym)
    _claim(client)
    assert _result(client, first, status="blocked") == 204
    with Session(engine) as session:
        assert session.get(Participant, person.pseudonym).reachable is False  # type: ignore[union-attr]
    _queue(engine, person.pseudonym, "another")
    assert _claim(client) == []  # nothing goes to someone who blocked the bot
    reachability = f"/v1/channel/participants/{person.pseudonym}/reachability"
    client.post(reachability, json={"reachable": True}, headers=CHANNEL)
    assert [m["text"] for m in _claim(client)] == ["another"]


def test_failed_is_retried_later_with_backoff(
    reachable: Callable[..., Chat], client: TestClient, engine: Engine
) -> None:
    message_id = _queue(engine, reachable().pseudonym)
    _claim(client)
    before = utcnow()
    assert _result(client, message_id, status="failed") == 204
    message = _message(engine, message_id)
    assert message.status == "pending"
    assert message.available_at >= before + backoff(1) - timedelta(seconds=1)
    assert _claim(client) == []  # not yet
    # retry_after longer than the backoff wins.
    with session_scope(engine) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(available_at=utcnow())
        )
    _claim(client)
    assert _result(client, message_id, status="failed", retry_after=3600) == 204
    assert _message(engine, message_id).available_at >= before + timedelta(seconds=3599)


def test_backoff_grows_and_is_capped() -> None:
    waits = [backoff(n) for n in range(1, 12)]
    assert waits == sorted(waits)
    assert waits[0] == timedelta(seconds=30)
    assert waits[-1] == timedelta(hours=1)


def test_a_message_failing_too_often_is_given_up(
    reachable: Callable[..., Chat], client: TestClient, engine: Engine
) -> None:
    message_id = _queue(engine, reachable().pseudonym)
    with session_scope(engine) as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(attempts=MAX_ATTEMPTS - 1)
        )
    _claim(client)
    assert _result(client, message_id, status="failed") == 204
    assert _message(engine, message_id).status == "failed"


def test_only_reachable_participants_with_an_address_are_claimed(
    reachable: Callable[..., Chat], client: TestClient, engine: Engine
) -> None:
    no_address = reachable(address=False)
    _queue(engine, no_address.pseudonym)
    assert _claim(client) == []


def test_results_for_unknown_messages_are_404(client: TestClient) -> None:
    assert _result(client, 424242, status="delivered") == 404
    assert _result(client, 1, status="maybe") == 422


def test_forgetting_drops_queued_messages(
    reachable: Callable[..., Chat], client: TestClient, engine: Engine
) -> None:
    person = reachable()
    _queue(engine, person.pseudonym)
    client.delete(f"/v1/channel/participants/{person.pseudonym}", headers=CHANNEL)
    assert _claim(client) == []
