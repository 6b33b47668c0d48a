"""Insights figures against exact numbers on crafted data (rows written directly)."""

import csv
import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from insights_builder import MONDAY, Builder, person
from sqlalchemy.engine import Engine

from api.db import session_scope
from api.participants.service import forget


@pytest.fixture
def hostel(client: TestClient, build: Builder) -> dict[str, int]:
    """Twelve people at one site: faces 2 and 4, seven completed runs, two themes."""
    site = build.site("Hostel")
    waiting, staff = build.theme_id("waiting_times"), build.theme_id("staff_attitude")
    for n in range(1, 13):
        run = build.run(person(n), site_id=site, status="completed" if n <= 7 else "stopped")
        build.answer(person(n), number=4 if n <= 6 else 2, site_id=site, run_id=run)
        if n <= 6:
            build.answer(
                person(n),
                question="hard",
                text=f"waited {n} hours",
                site_id=site,
                run_id=run,
                themes=(waiting,) if n > 1 else (waiting, staff),
            )
        elif n <= 10:
            build.answer(
                person(n),
                question="hard",
                text="staff were rude",
                site_id=site,
                run_id=run,
                themes=(staff,),
            )
    return {"site": site, "waiting": waiting, "staff": staff}


def test_summary_counts_people_answers_runs_faces_and_themes(
    client: TestClient, coordinator: dict[str, str], hostel: dict[str, int]
) -> None:
    body = client.get("/v1/insights/summary", headers=coordinator).json()
    assert body["suppressed"] == []
    assert body["participants"] == 12
    assert body["responses"] == 12 + 10
    assert (body["starts"], body["completions"]) == (12, 7)
    assert body["completion_rate"] == round(7 / 12, 4)
    assert body["questions"] == [
        {
            "flow": "checkin",
            "question": "how",
            "answers": 12,
            "participants": 12,
            "faces": {"1": 0, "2": 6, "3": 0, "4": 6, "5": 0},
        }
    ]
    top = [(t["slug"], t["count"], t["contributors"]) for t in body["top_themes"]]
    assert top == [("staff_attitude", 5, 5), ("waiting_times", 6, 6)][::-1]
    assert body["min_group"] == 5


def test_a_small_face_cell_is_hidden_with_the_next_smallest(
    client: TestClient, coordinator: dict[str, str], build: Builder, hostel: dict[str, int]
) -> None:
    other = build.site("Day centre")
    for n in range(100, 103):
        build.answer(person(n), number=3, site_id=other)
    body = client.get("/v1/insights/summary", headers=coordinator).json()
    faces = body["questions"][0]["faces"]
    # 3 people chose 3: hidden; with one hidden cell the total would give it away, so the
    # smallest shown cell (2, tied with 4, first) goes too.
    assert faces == {"1": 0, "2": None, "3": None, "4": 6, "5": 0}
    assert body["questions"][0]["answers"] == 15
    assert "questions[checkin.how].faces.3" in body["suppressed"]
    assert "questions[checkin.how].faces.2" in body["suppressed"]


def test_a_filter_whose_complement_is_small_is_hidden(
    client: TestClient, coordinator: dict[str, str], build: Builder, hostel: dict[str, int]
) -> None:
    other = build.site("Day centre")
    for n in range(100, 103):
        build.answer(person(n), number=3, site_id=other)
    everyone = client.get("/v1/insights/summary", headers=coordinator).json()
    assert everyone["participants"] == 15
    mine = client.get(
        "/v1/insights/summary", params={"site_id": hostel["site"]}, headers=coordinator
    ).json()
    # 15 - 12 would be the 3 people of the other site.
    assert mine["participants"] is None and mine["responses"] is None
    assert {"participants", "responses"} <= set(mine["suppressed"])
    theirs = client.get("/v1/insights/summary", params={"site_id": other}, headers=coordinator)
    assert theirs.json()["participants"] is None


def test_filters_select_by_site_flow_question_language_and_week(
    client: TestClient, coordinator: dict[str, str], build: Builder, hostel: dict[str, int]
) -> None:
    later = MONDAY + timedelta(days=14)
    for n in range(200, 210):
        build.answer(
            person(n), flow="feedback", question="staff", number=5, language="pl", at=later
        )
    url = "/v1/insights/summary"
    pl = client.get(url, params={"language": "pl"}, headers=coordinator).json()
    assert (pl["participants"], pl["responses"]) == (10, 10)
    feedback = client.get(url, params={"flow": "feedback"}, headers=coordinator).json()
    assert feedback["questions"][0]["faces"]["5"] == 10
    how = client.get(url, params={"question": "how"}, headers=coordinator).json()
    assert how["participants"] == 12 and how["responses"] == 12
    week = client.get(
        url, params={"since": str(later.date()), "until": str(later.date())}, headers=coordinator
    ).json()
    assert week["participants"] == 10
    # Dates widen to whole ISO weeks, Monday to Sunday.
    assert week["period"] == {
        "since": str(later.date()),
        "until": str((later + timedelta(days=6)).date()),
    }
    nothing = client.get(url, params={"site_id": 999}, headers=coordinator).json()
    assert nothing["participants"] == 0 and nothing["questions"] == []


def test_themes_list_every_theme_with_status_most_mentioned_first(
    client: TestClient, coordinator: dict[str, str], hostel: dict[str, int]
) -> None:
    client.put(
        f"/v1/themes/{hostel['waiting']}/status",
        json={"status": "planned", "note": "New rota from May"},
        headers=coordinator,
    )
    body = client.get("/v1/insights/themes", headers=coordinator).json()
    first, second = body["themes"][:2]
    assert first == {
        "id": hostel["waiting"],
        "slug": "waiting_times",
        "name": "Waiting times",
        "count": 6,
        "contributors": 6,
        "status": "planned",
        "note": "New rota from May",
    }
    assert (second["slug"], second["count"], second["contributors"]) == ("staff_attitude", 5, 5)
    assert len(body["themes"]) == 14
    assert all(t["count"] == 0 for t in body["themes"][2:])


def test_trends_count_each_iso_week(
    client: TestClient, coordinator: dict[str, str], build: Builder, hostel: dict[str, int]
) -> None:
    for n in range(1, 8):
        build.answer(person(n), number=5, at=MONDAY + timedelta(days=7))
    body = client.get("/v1/insights/trends", headers=coordinator).json()
    assert body["weeks"] == [
        {"week": "2026-W10", "participants": 12, "responses": 22},
        {"week": "2026-W11", "participants": 7, "responses": 7},
    ]


def test_trends_hide_a_quiet_week_and_its_complement(
    client: TestClient, coordinator: dict[str, str], build: Builder, hostel: dict[str, int]
) -> None:
    for n in range(1, 3):
        build.answer(person(n), number=5, at=MONDAY + timedelta(days=7))
    body = client.get("/v1/insights/trends", headers=coordinator).json()
    # Week 11 has 2 people; the period total is shown, so week 10 must go as well.
    assert [w["participants"] for w in body["weeks"]] == [None, None]
    assert "weeks[2026-W11].participants" in body["suppressed"]


def test_quotes_only_for_themes_of_k_people_newest_first_without_pseudonyms(
    client: TestClient, coordinator: dict[str, str], build: Builder, hostel: dict[str, int]
) -> None:
    build.answer(
        person(1),
        question="hard",
        text="still waiting for a bed",
        at=MONDAY + timedelta(days=1),
        themes=(hostel["waiting"],),
    )
    response = client.get(
        "/v1/insights/quotes", params={"theme": "waiting_times", "limit": 3}, headers=coordinator
    )
    body = response.json()
    assert body["quotes"] == ["still waiting for a bed", "waited 6 hours", "waited 5 hours"]
    assert "pseudo-" not in response.text
    small = client.get("/v1/insights/quotes", params={"theme": "food"}, headers=coordinator).json()
    assert small["quotes"] == [] and small["suppressed"] == ["quotes"]
    for n in range(50, 53):
        build.answer(
            person(n), question="hard", text="no hot food", themes=(build.theme_id("food"),)
        )
    few = client.get("/v1/insights/quotes", params={"theme": "food"}, headers=coordinator).json()
    assert few["quotes"] == [] and few["suppressed"] == ["quotes"]
    missing = client.get("/v1/insights/quotes", params={"theme": "nope"}, headers=coordinator)
    assert missing.status_code == 404


def test_export_csv_has_the_same_figures_and_marks_hidden_ones(
    client: TestClient, coordinator: dict[str, str], build: Builder, hostel: dict[str, int]
) -> None:
    for n in range(100, 103):
        build.answer(person(n), number=3)
    response = client.get("/v1/insights/export.csv", headers=coordinator)
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    table = {(r["section"], r["item"], r["measure"]): (r["value"], r["suppressed"]) for r in rows}
    assert table[("summary", "all", "participants")] == ("15", "")
    assert table[("question", "checkin.how", "face 3")] == ("", "yes")
    assert table[("question", "checkin.how", "face 4")] == ("6", "")
    assert table[("theme", "waiting_times", "count")] == ("6", "")
    assert table[("week", "2026-W10", "responses")] == ("25", "")


def test_new_answers_and_forgotten_people_show_at_the_next_request(
    client: TestClient,
    coordinator: dict[str, str],
    build: Builder,
    engine: Engine,
    hostel: dict[str, int],
) -> None:
    url = "/v1/insights/summary"
    assert client.get(url, headers=coordinator).json()["participants"] == 12
    for n in range(300, 305):
        build.answer(person(n), number=1)
    assert client.get(url, headers=coordinator).json()["participants"] == 17
    with session_scope(engine) as session:
        for n in range(300, 305):
            forget(session, pseudonym=person(n))
    body = client.get(url, headers=coordinator).json()
    assert body["participants"] == 12
    assert body["questions"][0]["faces"]["1"] == 0


def test_a_run_that_ends_later_counts_as_completed(
    client: TestClient, coordinator: dict[str, str], build: Builder, engine: Engine
) -> None:
    from sqlalchemy import update

    from api.models import Run

    runs = [build.run(person(n), status="active") for n in range(1, 11)]
    body = client.get("/v1/insights/summary", headers=coordinator).json()
    assert (body["starts"], body["completions"]) == (10, 0)
    with session_scope(engine) as session:
        session.execute(
            update(Run).where(Run.id.in_(runs[:5])).values(status="completed", ended_at=MONDAY)  # type: ignore[union-attr]
        )
    body = client.get("/v1/insights/summary", headers=coordinator).json()
    assert (body["starts"], body["completions"], body["completion_rate"]) == (10, 5, 0.5)


def test_bad_filters_are_a_clear_422(client: TestClient, coordinator: dict[str, str]) -> None:
    for params in (
        {"since": "2026-03-10", "until": "2026-03-01"},
        {"site_id": "abc"},
        {"since": "yesterday"},
        {"colour": "red"},
        {"flow": "x" * 65},
    ):
        response = client.get("/v1/insights/summary", params=params, headers=coordinator)
        assert response.status_code == 422, params
        assert response.json()["error"] == "invalid"


def test_checkin_stats_show_starts_and_completions_with_small_groups_hidden(
    client: TestClient,
    outreach: dict[str, str],
    coordinator: dict[str, str],
    build: Builder,
    engine: Engine,
) -> None:
    from api.models import Checkin

    site = build.site()
    with session_scope(engine) as session:
        session.add(Checkin(code="busy", site_id=site, flow="checkin"))
        session.add(Checkin(code="quiet", site_id=site, flow="checkin"))
    for n in range(10):
        build.run(person(n), checkin_code="busy", status="completed" if n < 5 else "stopped")
    for n in range(20, 27):
        build.run(person(n), checkin_code="quiet", status="completed" if n < 26 else "stopped")
    busy = client.get("/v1/checkins/busy/stats", headers=outreach).json()
    assert (busy["starts"], busy["completions"], busy["completion_rate"]) == (10, 5, 0.5)
    quiet = client.get("/v1/checkins/quiet/stats", headers=outreach).json()
    # One person did not finish: hidden, and so is completions, which would give it away.
    assert (quiet["starts"], quiet["completions"], quiet["completion_rate"]) == (7, None, None)
    assert client.get("/v1/checkins/nope/stats", headers=outreach).status_code == 404
    assert client.get("/v1/checkins/busy/stats", headers=coordinator).status_code == 403
