"""Forgetting, sealed addresses and reachability of participants."""

import base64
from collections.abc import Callable

from channel_chat import Chat
from fastapi.testclient import TestClient
from heard_testing import CHANNEL_TOKEN, bearer
from privacy_scan import rows_mentioning, scan_database
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.models import Participant, SealedAddress

CHANNEL = bearer(CHANNEL_TOKEN)
SEALED = base64.b64encode(b"\x00opaque sealed chat id\xff").decode()


def _walk_checkin_with_everything(person: Chat, code: str) -> None:
    person.consent(checkin_code=code, followups=True)
    response = person.client.post(
        f"/v1/channel/participants/{person.pseudonym}/address",
        json={"channel": "telegram", "sealed": SEALED},
        headers=CHANNEL,
    )
    assert response.status_code == 204
    person.send(choice="bad")
    person.send(text="The night staff were kind")
    person.send(text="I want to hurt myself")  # a safeguarding alert, kept without identity


def test_the_forget_command_removes_every_row(
    chat: Callable[..., Chat], engine: Engine, make_code: Callable[..., str]
) -> None:
    person = chat()
    _walk_checkin_with_everything(person, make_code())
    assert rows_mentioning(engine, person.pseudonym)  # the scan does see them
    person.send(text="delete my data")
    assert person.options == ["yes", "no"]
    reply = person.send(choice="yes")
    assert reply["ended"] is True
    assert rows_mentioning(engine, person.pseudonym) == []
    assert "night staff" not in scan_database(engine)


def test_saying_no_to_forgetting_goes_back_to_the_question(
    chat: Callable[..., Chat], engine: Engine, make_code: Callable[..., str]
) -> None:
    person = chat()
    person.consent(checkin_code=make_code())
    person.send(choice="good")
    person.send(command="forget")
    person.send(choice="no")
    assert "helped you" in person.texts[-1]  # the question that was waiting, again
    assert rows_mentioning(engine, person.pseudonym)


def test_forget_from_the_menu_removes_every_row(chat: Callable[..., Chat], engine: Engine) -> None:
    person = chat()
    person.consent()
    person.send(choice="delete")
    person.send(choice="yes")
    assert rows_mentioning(engine, person.pseudonym) == []


def test_delete_endpoint_removes_every_row(
    chat: Callable[..., Chat], client: TestClient, engine: Engine, make_code: Callable[..., str]
) -> None:
    person, other = chat(), chat()
    _walk_checkin_with_everything(person, make_code())
    other.consent(checkin_code=make_code())
    response = client.delete(f"/v1/channel/participants/{person.pseudonym}", headers=CHANNEL)
    assert response.status_code == 204
    assert rows_mentioning(engine, person.pseudonym) == []
    assert rows_mentioning(engine, other.pseudonym)  # nobody else's rows go
    # Forgetting someone unknown (or twice) is not an error.
    again = client.delete(f"/v1/channel/participants/{person.pseudonym}", headers=CHANNEL)
    assert again.status_code == 204


def test_a_forgotten_participant_starts_afresh(
    chat: Callable[..., Chat], client: TestClient
) -> None:
    person = chat()
    person.consent()
    client.delete(f"/v1/channel/participants/{person.pseudonym}", headers=CHANNEL)
    person.send(text="hi")
    assert person.options == ["yes", "no"]  # the welcome again


def test_address_is_stored_only_when_opted_in(
    chat: Callable[..., Chat], client: TestClient, engine: Engine
) -> None:
    no, yes = chat(), chat()
    no.consent(followups=False)
    assert no.last["send_address"] is False
    refused = client.post(
        f"/v1/channel/participants/{no.pseudonym}/address",
        json={"channel": "telegram", "sealed": SEALED},
        headers=CHANNEL,
    )
    assert refused.status_code == 409
    assert "opted in" in refused.json()["detail"]

    yes.consent(followups=True)
    assert yes.last["send_address"] is True
    stored = client.post(
        f"/v1/channel/participants/{yes.pseudonym}/address",
        json={"channel": "telegram", "sealed": SEALED},
        headers=CHANNEL,
    )
    assert stored.status_code == 204
    with Session(engine) as session:
        addresses = session.exec(select(SealedAddress)).all()
    assert [(a.pseudonym, a.sealed) for a in addresses] == [
        (yes.pseudonym, base64.b64decode(SEALED))
    ]
    assert yes.send(text="hello")["send_address"] is False  # held now


def test_address_of_an_unknown_participant_or_bad_base64_is_refused(client: TestClient) -> None:
    unknown = client.post(
        "/v1/channel/participants/" + "u" * 20 + "/address",
        json={"channel": "telegram", "sealed": SEALED},
        headers=CHANNEL,
    )
    assert unknown.status_code == 404
    bad = client.post(
        "/v1/channel/participants/" + "u" * 20 + "/address",
        json={"channel": "telegram", "sealed": "not base64!!"},
        headers=CHANNEL,
    )
    assert bad.status_code == 422


def test_reachability_marks_a_participant(
    chat: Callable[..., Chat], client: TestClient, engine: Engine
) -> None:
    person = chat()
    person.consent()
    url = f"/v1/channel/participants/{person.pseudonym}/reachability"
    assert client.post(url, json={"reachable": False}, headers=CHANNEL).status_code == 204
    with Session(engine) as session:
        assert session.get(Participant, person.pseudonym).reachable is False  # type: ignore[union-attr]
    assert client.post(url, json={"reachable": True}, headers=CHANNEL).status_code == 204
    with Session(engine) as session:
        assert session.get(Participant, person.pseudonym).reachable is True  # type: ignore[union-attr]
    unknown = "/v1/channel/participants/" + "z" * 20 + "/reachability"
    assert client.post(unknown, json={"reachable": False}, headers=CHANNEL).status_code == 404
