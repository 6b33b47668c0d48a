"""Sites, staff keys and flows, for admins."""

from fastapi.testclient import TestClient
from heard_testing import bearer


def test_sites_are_made_and_listed(client: TestClient, keys: dict[str, str]) -> None:
    admin = bearer(keys["admin"])
    made = client.post("/v1/sites", json={"name": "  Riverside   day centre "}, headers=admin)
    assert made.status_code == 201
    body = made.json()
    assert set(body) == {"id", "name", "created_at"}
    assert body["name"] == "Riverside day centre"
    assert client.get("/v1/sites", headers=admin).json() == [body]
    assert client.post("/v1/sites", json={"name": "   "}, headers=admin).status_code == 422
    assert client.post("/v1/sites", json={"name": "x" * 121}, headers=admin).status_code == 422


def test_a_new_key_is_shown_once_works_and_can_be_revoked(
    client: TestClient, keys: dict[str, str]
) -> None:
    admin = bearer(keys["admin"])
    made = client.post("/v1/keys", json={"role": "coordinator", "label": "Ana"}, headers=admin)
    assert made.status_code == 201
    key = made.json()["key"]
    assert key.startswith("hk_") and len(key) > 40
    # It works for its role and not for another.
    assert client.get("/v1/checkins", headers=bearer(key)).status_code == 200
    assert client.get("/v1/sites", headers=bearer(key)).status_code == 403
    listed = client.get("/v1/keys", headers=admin).json()
    assert all("key" not in row and "key_hash" not in row for row in listed)
    assert key not in str(listed) and key[:10] in str(listed)
    gone = client.delete(f"/v1/keys/{made.json()['id']}", headers=admin)
    assert gone.status_code == 204
    assert client.get("/v1/checkins", headers=bearer(key)).status_code == 401
    assert client.delete("/v1/keys/999999", headers=admin).status_code == 404
    assert client.post("/v1/keys", json={"role": "root"}, headers=admin).status_code == 422


def test_flows_are_listed_with_their_languages(client: TestClient, keys: dict[str, str]) -> None:
    flows = client.get("/v1/flows", headers=bearer(keys["admin"])).json()
    ids = [flow["id"] for flow in flows]
    assert {"welcome", "checkin", "feedback", "codesign", "forget", "help"} <= set(ids)
    checkin = next(flow for flow in flows if flow["id"] == "checkin")
    assert checkin["languages"]["en"] == "reviewed"
    assert checkin["status"] in ("reviewed", "draft")
