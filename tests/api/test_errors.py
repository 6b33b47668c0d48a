"""Values the database refuses are the caller's mistake: a clear 422, never a 500."""

from fastapi.testclient import TestClient
from heard_testing import bearer


def test_a_nul_character_in_a_filter_is_a_clear_4xx(
    client: TestClient, keys: dict[str, str]
) -> None:
    response = client.post(
        "/v1/themes/discover", json={"flow": "\u0000"}, headers=bearer(keys["coordinator"])
    )
    # SQLite stores NUL and simply finds nothing; PostgreSQL refuses it: a 422 there.
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert response.json()["error"] == "invalid"


def test_a_nul_character_in_a_site_name_is_a_clear_4xx(
    client: TestClient, keys: dict[str, str]
) -> None:
    response = client.post(
        "/v1/sites", json={"name": "Riverside\u0000hostel"}, headers=bearer(keys["admin"])
    )
    assert response.status_code in (201, 200, 422)
    if response.status_code == 422:
        assert response.json()["error"] == "invalid"
    listed = client.get("/v1/sites", headers=bearer(keys["admin"]))
    assert listed.status_code == 200


def test_a_site_id_past_any_database_integer_is_a_clear_4xx(
    client: TestClient, keys: dict[str, str]
) -> None:
    response = client.get(
        "/v1/voice", params={"site_id": 2**63}, headers=bearer(keys["coordinator"])
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid"
