"""Closing the loop ("you said, we did") and co-design proposals."""

import pytest
from fastapi.testclient import TestClient
from insights_builder import Builder, person
from sqlalchemy.engine import Engine
from sqlmodel import select

from api.db import session_scope
from api.loop.service import what_changed
from api.models import OutboxMessage, Proposal
from api.proposals.service import next_proposal

SIMPLE = "You told us the wait was too long. We now open at 8am, one hour sooner."


@pytest.fixture
def contributors(client: TestClient, build: Builder) -> dict[str, int]:
    """Eleven people who raised waiting times and can hear back, and five who cannot."""
    waiting, staff = build.theme_id("waiting_times"), build.theme_id("staff_attitude")
    for n in range(1, 12):
        build.participant(person(n), followups=True, sealed=True)
        build.answer(person(n), question="hard", text="waited hours", themes=(waiting,))
    build.participant(person(20), followups=True, sealed=True, reachable=False)  # blocked the bot
    build.participant(person(21), followups=False, sealed=False)  # said no to follow-ups
    build.participant(person(22), followups=True, sealed=False)  # no address yet
    for n in (20, 21, 22):
        build.answer(person(n), question="hard", text="waited hours", themes=(waiting,))
    build.participant(person(23), followups=True, sealed=True)
    build.answer(person(23), question="hard", text="staff rude", themes=(staff,))
    build.participant(person(24), followups=True, sealed=True)  # raised nothing
    return {"waiting": waiting, "staff": staff}


def _outbox(engine: Engine) -> list[OutboxMessage]:
    with session_scope(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all())


def test_an_update_reaches_only_opted_in_reachable_contributors_of_the_theme(
    client: TestClient, coordinator: dict[str, str], engine: Engine, contributors: dict[str, int]
) -> None:
    response = client.post(
        "/v1/loop-updates",
        json={"theme_id": contributors["waiting"], "text": "  " + SIMPLE + "\n"},
        headers=coordinator,
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["queued"], body["delivered"], body["theme"]) == (11, 0, "waiting_times")
    assert body["text"] == SIMPLE
    queued = _outbox(engine)
    assert sorted(m.pseudonym for m in queued) == sorted(person(n) for n in range(1, 12))
    assert {(m.kind, m.text, m.loop_update_id, m.status) for m in queued} == {
        ("loop_update", SIMPLE, body["id"], "pending")
    }


def test_delivered_counts_follow_the_outbox_results(
    client: TestClient,
    coordinator: dict[str, str],
    channel_headers: dict[str, str],
    contributors: dict[str, int],
) -> None:
    client.post(
        "/v1/loop-updates",
        json={"theme_id": contributors["waiting"], "text": SIMPLE},
        headers=coordinator,
    )
    claimed = client.post(
        "/v1/channel/outbox/claim",
        json={"channel": "telegram", "limit": 6, "lease_seconds": 60},
        headers=channel_headers,
    ).json()["messages"]
    assert len(claimed) == 6
    for message in claimed:
        result = client.post(
            f"/v1/channel/outbox/{message['id']}/result",
            json={"status": "delivered"},
            headers=channel_headers,
        )
        assert result.status_code == 204
    [update] = client.get("/v1/loop-updates", headers=coordinator).json()
    assert (update["queued"], update["delivered"], update["suppressed"]) == (11, 6, [])
    rest = client.post(
        "/v1/channel/outbox/claim",
        json={"channel": "telegram", "limit": 10, "lease_seconds": 60},
        headers=channel_headers,
    ).json()["messages"]
    for message in rest[:4]:
        client.post(
            f"/v1/channel/outbox/{message['id']}/result",
            json={"status": "delivered"},
            headers=channel_headers,
        )
    [update] = client.get("/v1/loop-updates", headers=coordinator).json()
    # 10 delivered would say 1 person has not had it yet: both counts of that table go.
    assert (update["queued"], update["delivered"]) == (11, None)
    assert update["suppressed"] == ["delivered"]


def test_an_update_to_few_people_hides_how_many(
    client: TestClient, coordinator: dict[str, str], contributors: dict[str, int]
) -> None:
    body = client.post(
        "/v1/loop-updates",
        json={"theme_id": contributors["staff"], "text": "We talked with the staff team."},
        headers=coordinator,
    ).json()
    assert body["queued"] is None and "queued" in body["suppressed"]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("x " * 151, "300 or fewer"),
        (
            "Notwithstanding considerable organisational complexities, remediation of sanitary "
            "infrastructure necessitated comprehensive procurement.",
            "reading ease",
        ),
        ("   \u200b ", "empty"),
        ("We fixed {it}.", "curly brackets"),
    ],
)
def test_an_update_that_people_could_not_read_is_refused_with_what_to_fix(
    client: TestClient,
    coordinator: dict[str, str],
    engine: Engine,
    contributors: dict[str, int],
    text: str,
    words: str,
) -> None:
    response = client.post(
        "/v1/loop-updates",
        json={"theme_id": contributors["waiting"], "text": text},
        headers=coordinator,
    )
    assert response.status_code == 422
    assert words in response.json()["detail"]
    assert _outbox(engine) == []


def test_updates_show_under_what_changed_newest_first(
    client: TestClient, coordinator: dict[str, str], engine: Engine, contributors: dict[str, int]
) -> None:
    texts = ["We fixed the showers.", "We open at 8am now.", "There is soup on Fridays.", SIMPLE]
    for text in texts:
        response = client.post(
            "/v1/loop-updates",
            json={"theme_id": contributors["waiting"], "text": text},
            headers=coordinator,
        )
        assert response.status_code == 201
    with session_scope(engine) as session:
        shown = what_changed(session, site_id=None, language="pl")
    assert shown == texts[::-1][:3]
    missing = client.post(
        "/v1/loop-updates", json={"theme_id": 9999, "text": SIMPLE}, headers=coordinator
    )
    assert missing.status_code == 404


# --- proposals -------------------------------------------------------------------------


def _vote(build: Builder, n: int, proposal: int, choice: str) -> None:
    build.answer(
        person(n),
        flow="codesign",
        question="vote",
        result="vote",
        category=choice,
        proposal_id=proposal,
        text=None,
    )


def test_proposals_open_list_and_close(
    client: TestClient, coordinator: dict[str, str], build: Builder
) -> None:
    site = build.site()
    made = client.post(
        "/v1/proposals",
        json={"text": "Should we open on Sundays?", "site_id": site},
        headers=coordinator,
    )
    assert made.status_code == 201
    proposal = made.json()
    assert (proposal["status"], proposal["site_id"]) == ("open", site)
    everywhere = client.post(
        "/v1/proposals", json={"text": "Should we serve tea all day?"}, headers=coordinator
    ).json()
    listed = client.get("/v1/proposals", headers=coordinator).json()
    assert [p["id"] for p in listed] == [everywhere["id"], proposal["id"]]
    closed = client.post(f"/v1/proposals/{proposal['id']}/close", headers=coordinator)
    assert closed.json()["status"] == "closed"
    assert (
        client.post(f"/v1/proposals/{proposal['id']}/close", headers=coordinator).status_code == 409
    )
    open_only = client.get("/v1/proposals", params={"status": "open"}, headers=coordinator).json()
    assert [p["id"] for p in open_only] == [everywhere["id"]]
    for body in (
        {"text": "Notwithstanding considerable organisational complexities, remediation."},
        {"text": "x" * 301},
        {"text": "Tea?", "site_id": 999},
        {"text": "Tea?", "colour": "red"},
    ):
        response = client.post("/v1/proposals", json=body, headers=coordinator)
        assert response.status_code in (404, 422), body
    assert client.get("/v1/proposals/999/results", headers=coordinator).status_code == 404


def test_results_hide_small_choices_and_their_complement(
    client: TestClient, coordinator: dict[str, str], build: Builder
) -> None:
    proposal = client.post(
        "/v1/proposals", json={"text": "Should we open on Sundays?"}, headers=coordinator
    ).json()["id"]
    for n in range(7):
        _vote(build, n, proposal, "yes")
    for n in range(10, 16):
        _vote(build, n, proposal, "no")
    for n in range(20, 22):
        _vote(build, n, proposal, "not_sure")
    for n in range(3):
        build.answer(
            person(n),
            flow="codesign",
            question="idea",
            result="idea",
            text="a tea urn",
            proposal_id=proposal,
        )
    body = client.get(f"/v1/proposals/{proposal}/results", headers=coordinator).json()
    # 2 unsure: hidden; then "no" (the smallest shown) too, or 15 - 7 - 6 would show it.
    assert body["votes"] == {"yes": 7, "not_sure": None, "no": None}
    assert body["voters"] == 15
    assert body["ideas"] is None
    assert sorted(body["suppressed"]) == ["ideas", "votes.no", "votes.not_sure"]
    for n in range(30, 33):
        _vote(build, n, proposal, "not_sure")
    body = client.get(f"/v1/proposals/{proposal}/results", headers=coordinator).json()
    assert body["votes"] == {"yes": 7, "not_sure": 5, "no": 6}
    assert body["suppressed"] == ["ideas"]


def test_results_of_very_few_voters_show_nothing(
    client: TestClient, coordinator: dict[str, str], build: Builder
) -> None:
    proposal = client.post(
        "/v1/proposals", json={"text": "Should we open on Sundays?"}, headers=coordinator
    ).json()["id"]
    for n in range(3):
        _vote(build, n, proposal, "yes")
    body = client.get(f"/v1/proposals/{proposal}/results", headers=coordinator).json()
    assert body["voters"] is None and body["votes"]["yes"] is None


def test_next_proposal_is_the_oldest_open_one_for_the_site_not_yet_answered(
    client: TestClient, build: Builder, engine: Engine
) -> None:
    here, there = build.site("Here"), build.site("There")
    with session_scope(engine) as session:
        for text, site in (("For all", None), ("For here", here), ("For there", there)):
            session.add(Proposal(text=text, site_id=site))
    with session_scope(engine) as session:
        ids = {p.text: p.id for p in session.exec(select(Proposal))}

    def offered(pseudonym: str, site: int | None) -> str | None:
        with session_scope(engine) as session:
            found = next_proposal(session, pseudonym=pseudonym, site_id=site)
            return found.text if found else None

    assert offered(person(1), here) == "For all"
    _vote(build, 1, ids["For all"], "yes")
    assert offered(person(1), here) == "For here"
    assert offered(person(1), None) is None
    assert offered(person(2), None) == "For all"
    with session_scope(engine) as session:
        session.get(Proposal, ids["For here"]).status = "closed"  # type: ignore[union-attr]
    assert offered(person(1), here) is None
