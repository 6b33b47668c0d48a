"""The codebook API: seeding, edits, status, background retagging, discovery and accepting."""

import random
import threading

from fastapi.testclient import TestClient
from heard_testing import bearer
from insights_builder import Builder, person
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import select

from api.app import create_app
from api.db import session_scope
from api.deps import hash_key
from api.insights import counters
from api.models import AnswerTheme, ApiKey, LoopUpdate, Theme
from api.settings import Settings
from api.themes.codebook import load_codebook
from api.themes.service import seed_codebook


def _tags(engine: Engine, answer_id: int) -> set[str]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(Theme.slug)
            .join(AnswerTheme, AnswerTheme.theme_id == Theme.id)  # type: ignore[arg-type]
            .where(AnswerTheme.answer_id == answer_id)
        ).all()
    return set(rows)


def test_start_up_seeds_the_shipped_codebook_once(
    client: TestClient, coordinator: dict[str, str], engine: Engine
) -> None:
    themes = client.get("/v1/themes", headers=coordinator).json()
    shipped = load_codebook()
    assert [t["slug"] for t in themes] == [t.id for t in shipped.themes]
    first = themes[0]
    assert set(first) == {
        "id",
        "slug",
        "name",
        "terms",
        "exclude",
        "status",
        "note",
        "source",
        "updated_at",
    }
    assert set(first["terms"]) == {"en", "pl", "ro"}
    assert (first["status"], first["note"], first["source"]) == ("heard", "", "codebook")
    assert seed_codebook(engine) == 0  # a second process starting finds it seeded


def test_seeding_from_several_processes_at_once_adds_each_theme_once(
    client: TestClient, engine: Engine
) -> None:
    with session_scope(engine) as session:
        session.execute(delete(Theme))
    added: list[int] = []
    barrier = threading.Barrier(4)

    def seed() -> None:
        barrier.wait()
        added.append(seed_codebook(engine))

    threads = [threading.Thread(target=seed) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with session_scope(engine) as session:
        slugs = session.exec(select(Theme.slug)).all()
    assert sorted(slugs) == sorted(t.id for t in load_codebook().themes)
    assert sum(added) == len(slugs)


def test_a_deleted_theme_is_not_seeded_again(
    client: TestClient, coordinator: dict[str, str], engine: Engine, build: Builder
) -> None:
    food = build.theme_id("food")
    assert client.delete(f"/v1/themes/{food}", headers=coordinator).status_code == 204
    assert seed_codebook(engine) == 0
    slugs = [t["slug"] for t in client.get("/v1/themes", headers=coordinator).json()]
    assert "food" not in slugs


def test_a_new_theme_retags_stored_answers_in_the_background(
    client: TestClient, coordinator: dict[str, str], engine: Engine, build: Builder
) -> None:
    shower = build.answer(person(1), question="hard", text="the showrs are broken again")
    plain = build.answer(person(2), question="hard", text="nothing to say")
    response = client.post(
        "/v1/themes",
        json={"name": "Showers", "terms": {"en": ["shower"], "pl": ["prysznic*"]}},
        headers=coordinator,
    )
    assert response.status_code == 201
    theme = response.json()
    assert (theme["slug"], theme["source"], theme["status"]) == ("showers", "codebook", "heard")
    # TestClient returns once the response's background tasks are done, so this is the
    # state after the retag, with no waiting.
    status = client.get("/v1/themes/retag", headers=coordinator).json()
    assert status["pending"] is False and status["running"] is False
    assert status["tagged_version"] == status["codebook_version"] >= 1
    assert "showers" in _tags(engine, shower)  # a misspelling still matches
    assert _tags(engine, plain) == set()

    changed = client.patch(
        f"/v1/themes/{theme['id']}", json={"terms": {"en": ["bath"]}}, headers=coordinator
    )
    assert changed.status_code == 200 and changed.json()["terms"] == {"en": ["bath"]}
    assert "showers" not in _tags(engine, shower)
    renamed = client.patch(f"/v1/themes/{theme['id']}", json={"name": "Baths"}, headers=coordinator)
    assert renamed.json()["name"] == "Baths" and renamed.json()["terms"] == {"en": ["bath"]}


def test_an_interrupted_retag_finishes_at_the_next_start(
    settings: Settings, engine: Engine, build: Builder
) -> None:
    with TestClient(create_app(settings, engine=engine)):
        pass  # the first start seeds the codebook
    answer = build.answer(person(1), question="hard", text="the wifi never works")
    with session_scope(engine) as session:
        # An edit whose retag never ran: the process stopped first.
        session.add(Theme(slug="wifi", name="Wifi", terms={"en": ["wifi"]}))
        counters.bump(session, counters.CODEBOOK_VERSION)
    restarted = create_app(settings, engine=engine)
    with TestClient(restarted) as client:
        assert restarted.state.retagger.wait(timeout=60)
        status = client.get("/v1/themes/retag", headers=_coordinator(engine)).json()
    assert status["pending"] is False
    assert _tags(engine, answer) == {"wifi"}


def _coordinator(engine: Engine) -> dict[str, str]:
    key = "hk_coordinator_" + "r" * 24
    with session_scope(engine) as session:
        if not session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(key))).first():
            session.add(ApiKey(role="coordinator", key_hash=hash_key(key), prefix=key[:10]))
    return bearer(key)


def test_theme_edits_are_checked_with_clear_messages(
    client: TestClient, coordinator: dict[str, str], build: Builder, engine: Engine
) -> None:
    bad = [
        ({"name": "X", "terms": {"en": ["*star"]}}, "may only end a word"),
        ({"name": "X", "terms": {"english": ["a"]}}, "ISO 639"),
        ({"name": "X", "terms": {"en": []}}, "no terms"),
        ({"name": "X", "terms": {"en": ["!!!"]}}, "no letters or digits"),
        ({"name": "", "terms": {"en": ["a"]}}, None),
        ({"name": "X", "terms": {"en": ["a"]}, "colour": "red"}, None),
    ]
    for body, words in bad:
        response = client.post("/v1/themes", json=body, headers=coordinator)
        assert response.status_code == 422, body
        if words:
            assert words in response.json()["detail"], response.json()
    taken = client.post(
        "/v1/themes",
        json={"name": "Food", "slug": "food", "terms": {"en": ["soup"]}},
        headers=coordinator,
    )
    assert taken.status_code == 409
    again = client.post(
        "/v1/themes", json={"name": "Food", "terms": {"en": ["soup"]}}, headers=coordinator
    )
    assert again.status_code == 201 and again.json()["slug"] == "food_2"
    assert (
        client.patch("/v1/themes/9999", json={"name": "x"}, headers=coordinator).status_code == 404
    )
    assert client.delete("/v1/themes/9999", headers=coordinator).status_code == 404


def test_status_and_note(client: TestClient, coordinator: dict[str, str], build: Builder) -> None:
    waiting = build.theme_id("waiting_times")
    url = f"/v1/themes/{waiting}/status"
    ok = client.put(
        url,
        json={"status": "not_possible", "note": "The council sets the hours."},
        headers=coordinator,
    )
    assert ok.status_code == 200
    assert (ok.json()["status"], ok.json()["note"]) == (
        "not_possible",
        "The council sets the hours.",
    )
    for body in ({"status": "maybe"}, {"status": "done", "note": "x" * 201}, {"note": "hi"}):
        assert client.put(url, json=body, headers=coordinator).status_code == 422, body
    assert (
        client.put(
            "/v1/themes/9999/status", json={"status": "done"}, headers=coordinator
        ).status_code
        == 404
    )


def test_a_theme_people_were_told_about_cannot_be_deleted(
    client: TestClient, coordinator: dict[str, str], build: Builder, engine: Engine
) -> None:
    waiting = build.theme_id("waiting_times")
    tagged = build.answer(person(1), question="hard", text="waited ages", themes=(waiting,))
    with session_scope(engine) as session:
        session.add(LoopUpdate(theme_id=waiting, text="We open earlier now."))
    response = client.delete(f"/v1/themes/{waiting}", headers=coordinator)
    assert response.status_code == 409 and "not_possible" in response.json()["detail"]
    staff = build.theme_id("staff_attitude")
    build.answer(person(2), question="hard", text="staff rude", themes=(staff,))
    assert client.delete(f"/v1/themes/{staff}", headers=coordinator).status_code == 204
    assert _tags(engine, tagged) == {"waiting_times"}


PLANTED = {
    "wifi": [
        "the wifi keeps dropping",
        "wifi signal is rubbish",
        "no wifi in the rooms",
        "cant get wifi to connect",
        "wifi password never works",
    ],
    "laundry": [
        "washing machine broken",
        "need a washing machine",
        "washing machine eats coins",
        "the washing machine is always full",
        "fix the washing machine please",
    ],
}


def test_discovery_finds_planted_themes_and_a_proposal_can_be_accepted(
    client: TestClient, coordinator: dict[str, str], build: Builder, engine: Engine
) -> None:
    rng = random.Random(4)
    ids: dict[str, list[int]] = {"wifi": [], "laundry": []}
    n = 0
    for topic, texts in PLANTED.items():
        for _ in range(24):
            n += 1
            ids[topic].append(
                build.answer(
                    person(n % 40 + (0 if topic == "wifi" else 100)),
                    question="hard",
                    text=rng.choice(texts),
                )
            )
    for i in range(3):  # a pattern among three people only: no quotes
        build.answer(person(500 + i), question="hard", text="pigeons on the roof again")
        build.answer(person(500 + i), question="hard", text="pigeons everywhere on roof")
    response = client.post("/v1/themes/discover", json={"max_themes": 4}, headers=coordinator)
    assert response.status_code == 200
    body = response.json()
    assert body["answers"] == 54
    by_term = {}
    for proposal in body["proposals"]:
        for term in proposal["terms"]:
            by_term.setdefault(term.split()[0], proposal)
    wifi, laundry = by_term["wifi"], by_term["washing"]
    assert wifi["id"] != laundry["id"]
    assert wifi["size"] >= 12 and wifi["contributors"] >= 5  # NMF may split a topic
    assert 1 <= len(wifi["examples"]) <= 3 and all("wifi" in e for e in wifi["examples"])
    pigeons = by_term.get("pigeon") or by_term.get("pigeons") or by_term.get("roof")
    assert pigeons is not None
    assert pigeons["examples"] == [] and pigeons["contributors"] is None
    assert any(p.endswith(".contributors") for p in body["suppressed"])
    listed = client.get("/v1/themes/proposals", headers=coordinator).json()
    assert {p["id"] for p in listed} == {p["id"] for p in body["proposals"]}

    accepted = client.post(
        f"/v1/themes/proposals/{wifi['id']}/accept", json={"name": "Wifi"}, headers=coordinator
    )
    assert accepted.status_code == 201
    theme = accepted.json()
    assert (theme["slug"], theme["source"]) == ("wifi", "discovered")
    assert all("wifi" in _tags(engine, a) for a in ids["wifi"])
    assert not any("wifi" in _tags(engine, a) for a in ids["laundry"])
    again = client.post(
        f"/v1/themes/proposals/{wifi['id']}/accept", json={"name": "W"}, headers=coordinator
    )
    assert again.status_code == 409
    assert (
        client.post(
            "/v1/themes/proposals/999/accept", json={"name": "W"}, headers=coordinator
        ).status_code
        == 404
    )


def test_discovery_with_nothing_to_find(client: TestClient, coordinator: dict[str, str]) -> None:
    body = client.post("/v1/themes/discover", json={}, headers=coordinator).json()
    assert body == {"answers": 0, "proposals": [], "suppressed": []}
    bad = client.post("/v1/themes/discover", json={"max_themes": 0}, headers=coordinator)
    assert bad.status_code == 422
