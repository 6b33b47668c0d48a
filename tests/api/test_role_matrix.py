"""Every /v1 endpoint declares its credential, and enforces it: 401 without, 403 for a wrong role.

The table of who may call what is read from each route's own dependencies, so endpoints
added later are covered without touching this file; a /v1 route with no credential fails.
"""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from heard_testing import CHANNEL_TOKEN, bearer
from route_credentials import CHANNEL, Endpoint, endpoints

from api.deps import ROLES


def test_every_v1_endpoint_declares_exactly_one_kind_of_credential(app: FastAPI) -> None:
    found = endpoints(app)
    assert len(found) >= 20, "the introspection found too few routes to be trusted"
    for endpoint in found:
        assert endpoint.allowed, f"{endpoint} has no credential"
        assert "admin" in endpoint.allowed or endpoint.allowed == {CHANNEL}, endpoint
        assert endpoint.allowed <= {*ROLES, CHANNEL}, endpoint


def test_the_table_knows_the_core_endpoints(app: FastAPI) -> None:
    table = {str(e): e.allowed for e in endpoints(app)}
    assert table["POST /v1/channel/messages"] == {CHANNEL}
    assert table["POST /v1/sites"] == {"admin"}
    assert table["POST /v1/checkins"] == {"admin", "outreach"}
    assert table["GET /v1/checkins"] == {"admin", "coordinator", "outreach"}
    assert table["POST /v1/nudges"] == {"admin", "outreach"}


def test_every_endpoint_enforces_its_credential(
    app: FastAPI, client: TestClient, keys: dict[str, str]
) -> None:
    problems = []
    for endpoint in endpoints(app):

        def call(headers: dict[str, str], endpoint: Endpoint = endpoint) -> int:
            return client.request(endpoint.method, endpoint.url, headers=headers).status_code

        expectations = [("no key", {}, 401), ("unknown key", bearer("hk_not_a_real_key"), 401)]
        if endpoint.allowed == {CHANNEL}:
            expectations += [(f"{role} key", bearer(keys[role]), 401) for role in ROLES]
            expectations.append(("channel token", bearer(CHANNEL_TOKEN), None))
        else:
            expectations.append(("channel token", bearer(CHANNEL_TOKEN), 401))
            for role in ROLES:
                wanted = None if role in endpoint.allowed else 403
                expectations.append((f"{role} key", bearer(keys[role]), wanted))
        for name, headers, wanted in expectations:
            status = call(headers)
            if wanted is None and status in (401, 403):
                problems.append(f"{endpoint} with {name}: {status}, expected to be let in")
            elif wanted is not None and status != wanted:
                problems.append(f"{endpoint} with {name}: {status}, expected {wanted}")
            if status >= 500:
                problems.append(f"{endpoint} with {name}: server error {status}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("header", ["Bearer", "Basic abc", "bearer", "Token x", "Bearer  "])
def test_malformed_authorization_headers_are_401(client: TestClient, header: str) -> None:
    for url in ("/v1/sites", "/v1/channel/outbox/claim"):
        method = "GET" if url == "/v1/sites" else "POST"
        response = client.request(method, url, headers={"Authorization": header})
        assert response.status_code == 401, (url, header)
