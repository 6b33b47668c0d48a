"""Check-in codes: made by outreach, with a deep link and QR codes; listed with use counts."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from channel_chat import Chat
from fastapi.testclient import TestClient
from heard_testing import bearer


@pytest.fixture
def site_id(client: TestClient, keys: dict[str, str]) -> int:
    response = client.post(
        "/v1/sites", json={"name": "Harbour hostel"}, headers=bearer(keys["admin"])
    )
    assert response.status_code == 201
    return int(response.json()["id"])


def test_a_checkin_code_has_a_deep_link_and_qr_codes(
    client: TestClient, keys: dict[str, str], site_id: int
) -> None:
    response = client.post(
        "/v1/checkins",
        json={"site_id": site_id, "flow": "checkin", "max_uses": 30},
        headers=bearer(keys["outreach"]),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    code = body["code"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{8,64}", code)
    assert body["deep_link"] == f"https://t.me/HeardTestBot?start={code}"
    assert body["qr_png_url"].endswith(f"/v1/checkins/{code}/qr.png")
    assert body["qr_svg_url"].endswith(f"/v1/checkins/{code}/qr.svg")
    assert (body["site_id"], body["flow"], body["max_uses"], body["uses"]) == (
        site_id, "checkin", 30, 0,
    )  # fmt: skip

    png = client.get(f"/v1/checkins/{code}/qr.png", headers=bearer(keys["outreach"]))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    svg = client.get(f"/v1/checkins/{code}/qr.svg", headers=bearer(keys["coordinator"]))
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content


def test_the_qr_code_encodes_the_deep_link(
    client: TestClient, keys: dict[str, str], site_id: int
) -> None:
    import segno

    body = client.post(
        "/v1/checkins",
        json={"site_id": site_id, "flow": "feedback"},
        headers=bearer(keys["outreach"]),
    ).json()
    svg = client.get(f"/v1/checkins/{body['code']}/qr.svg", headers=bearer(keys["outreach"]))
    expected = segno.make(body["deep_link"], error="m", micro=False)
    # Same symbol: segno draws the same path for the same content and settings.
    path = re.search(rb'<path[^>]* d="([^"]+)"', svg.content)
    assert path is not None
    import io

    buffer = io.BytesIO()
    expected.save(buffer, kind="svg", scale=8, border=4)
    assert path.group(1) in buffer.getvalue()


def test_codes_are_unguessable_and_distinct(
    client: TestClient, keys: dict[str, str], site_id: int
) -> None:
    codes = {
        client.post(
            "/v1/checkins",
            json={"site_id": site_id, "flow": "checkin"},
            headers=bearer(keys["outreach"]),
        ).json()["code"]
        for _ in range(20)
    }
    assert len(codes) == 20
    assert all(len(code) >= 12 for code in codes)


def test_listing_shows_use_counts(client: TestClient, keys: dict[str, str], site_id: int) -> None:
    code = client.post(
        "/v1/checkins",
        json={"site_id": site_id, "flow": "checkin"},
        headers=bearer(keys["outreach"]),
    ).json()["code"]
    for _ in range(2):
        Chat(client).consent(checkin_code=code)
    listed = client.get("/v1/checkins", headers=bearer(keys["coordinator"])).json()
    assert [(c["code"], c["uses"]) for c in listed] == [(code, 2)]
    other_site = client.get(f"/v1/checkins?site_id={site_id + 1}", headers=bearer(keys["outreach"]))
    assert other_site.json() == []


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"site_id": 999, "flow": "checkin"}, 404, "no site"),
        ({"flow": "nosuchflow"}, 404, "no flow"),
        ({"flow": "welcome"}, 422, "cannot be a check-in"),
        ({"flow": "checkin", "expires_at": "2000-01-01T00:00:00Z"}, 422, "past"),
        ({"flow": "checkin", "max_uses": 0}, 422, None),
        ({"flow": "checkin", "colour": "red"}, 422, None),
        ({"flow": "Check In!"}, 422, None),
    ],
)
def test_bad_checkins_are_a_clear_4xx(
    client: TestClient,
    keys: dict[str, str],
    site_id: int,
    body: dict,
    status: int,
    words: str | None,
) -> None:
    response = client.post(
        "/v1/checkins", json={"site_id": site_id, **body}, headers=bearer(keys["outreach"])
    )
    assert response.status_code == status, response.text
    if words:
        assert words in response.json()["detail"]


def test_an_aware_expiry_is_kept_as_utc(
    client: TestClient, keys: dict[str, str], site_id: int
) -> None:
    later = datetime.now(UTC) + timedelta(days=2)
    body = client.post(
        "/v1/checkins",
        json={"site_id": site_id, "flow": "checkin", "expires_at": later.isoformat()},
        headers=bearer(keys["outreach"]),
    ).json()
    stored = datetime.fromisoformat(body["expires_at"])
    assert abs(stored - later.replace(tzinfo=None)) < timedelta(seconds=1)


def test_qr_of_an_unknown_code_is_404(client: TestClient, keys: dict[str, str]) -> None:
    assert (
        client.get("/v1/checkins/nope/qr.png", headers=bearer(keys["outreach"])).status_code == 404
    )
