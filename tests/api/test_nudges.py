"""Nudges: one outbox message per opted-in, reachable participant, at most once per gap."""

import base64
from collections.abc import Callable

import pytest
from channel_chat import Chat
from fastapi.testclient import TestClient
from heard_testing import CHANNEL_TOKEN, bearer
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.models import OutboxMessage, Run

CHANNEL = bearer(CHANNEL_TOKEN)


@pytest.fixture
def code_for(client: TestClient, keys: dict[str, str]) -> Callable[[str], tuple[int, str]]:
    """Make a site and a check-in code there; return both."""

    def make(name: str) -> tuple[int, str]:
        site = client.post("/v1/sites", json={"name": name}, headers=bearer(keys["admin"])).json()
        checkin = client.post(
            "/v1/checkins", json={"site_id": site["id"], "flow": "checkin"},
            headers=bearer(keys["outreach"]),
        ).json()  # fmt: skip
        return site["id"], checkin["code"]

    return make


def _person(client: TestClient, code: str, *, followups: bool, address: bool = True) -> Chat:
    person = Chat(client)
    person.consent(checkin_code=code, followups=followups)
    person.send(command="stop")
    if address and followups:
        client.post(
            f"/v1/channel/participants/{person.pseudonym}/address",
            json={"channel": "telegram", "sealed": base64.b64encode(b"sealed").decode()},
            headers=CHANNEL,
        )
    return person


def _nudge(client: TestClient, keys: dict[str, str], **body: object) -> dict:
    response = client.post(
        "/v1/nudges", json={"flow": "checkin", **body}, headers=bearer(keys["outreach"])
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_nudges_reach_only_opted_in_reachable_people_of_the_site(
    client: TestClient, keys: dict[str, str], engine: Engine, code_for: Callable
) -> None:
    here, code = code_for("Here")
    _, elsewhere = code_for("Elsewhere")
    yes = [_person(client, code, followups=True) for _ in range(2)]
    _person(client, code, followups=False)
    _person(client, code, followups=True, address=False)
    blocked = _person(client, code, followups=True)
    client.post(
        f"/v1/channel/participants/{blocked.pseudonym}/reachability",
        json={"reachable": False}, headers=CHANNEL,
    )  # fmt: skip
    _person(client, elsewhere, followups=True)

    assert _nudge(client, keys, site_id=here) == {"queued": 2}
    with Session(engine) as session:
        queued = session.exec(select(OutboxMessage)).all()
    assert sorted(m.pseudonym for m in queued) == sorted(p.pseudonym for p in yes)
    assert all(m.kind == "nudge" and m.options[0]["key"] == "nudge:checkin" for m in queued)
    # Not again within the gap; the other site's person is still due.
    assert _nudge(client, keys, site_id=here) == {"queued": 0}
    assert _nudge(client, keys) == {"queued": 1}


def test_tapping_or_typing_yes_to_a_nudge_starts_its_flow(
    client: TestClient, keys: dict[str, str], engine: Engine, code_for: Callable
) -> None:
    site, code = code_for("Here")
    tapper, typer = (_person(client, code, followups=True) for _ in range(2))
    _nudge(client, keys, site_id=site)
    claimed = client.post(
        "/v1/channel/outbox/claim", json={"channel": "telegram", "limit": 10}, headers=CHANNEL
    ).json()["messages"]
    assert len(claimed) == 2
    tapper.send(choice="nudge:checkin")
    assert tapper.options == ["awful", "bad", "ok", "good", "great"]
    typer.send(text="yes")
    assert typer.options == ["awful", "bad", "ok", "good", "great"]
    with Session(engine) as session:
        runs = session.exec(select(Run).where(Run.flow == "checkin", Run.status == "active")).all()
    assert len(runs) == 2 and all(r.site_id == site for r in runs)


def test_not_now_says_goodbye(client: TestClient, keys: dict[str, str], code_for: Callable) -> None:
    _, code = code_for("Here")
    person = _person(client, code, followups=True)
    reply = person.send(choice="nudge:no")
    assert reply["ended"] is True
    assert "Say help any time" in person.texts[0]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"flow": "nosuch"}, 404),
        ({"flow": "forget"}, 422),
        ({"flow": "checkin", "site_id": 999}, 404),
    ],
)
def test_bad_nudges_are_a_clear_4xx(
    client: TestClient, keys: dict[str, str], body: dict, status: int
) -> None:
    response = client.post("/v1/nudges", json=body, headers=bearer(keys["outreach"]))
    assert response.status_code == status
