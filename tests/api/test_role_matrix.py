"""Every /v1 endpoint declares its credential, and enforces it: 401 without, 403 for a wrong role.

The table of who may call what is read from each route's own dependencies, so endpoints
added later are covered without touching this file; a /v1 route with no credential fails.
"""

import inspect
import re
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from heard_testing import CHANNEL_TOKEN, bearer

from api.deps import ROLES, require_channel

CHANNEL = "channel"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    allowed: frozenset[str]  # roles, or {"channel"}

    @property
    def url(self) -> str:
        # Any value matches a path template, and auth is checked before the value is. No row
        # has this id, so a DELETE let in (revoke key 1: the admin's) destroys nothing.
        return re.sub(r"\{[^}]+\}", "999999", self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _credentials_of(route: APIRoute) -> set[str]:
    """Return who the route's dependencies let in: roles, or "channel"."""
    found: set[str] = set()

    def walk(dependant) -> None:  # type: ignore[no-untyped-def]
        for sub in dependant.dependencies:
            call = sub.call
            if call is require_channel:
                found.add(CHANNEL)
            elif getattr(call, "__name__", "").startswith("require_"):
                allowed = inspect.getclosurevars(call).nonlocals.get("allowed")
                assert allowed, f"{call.__name__} does not say which roles it allows"
                found.update(allowed)
            walk(sub)

    walk(route.dependant)
    return found


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Return every /v1 endpoint of the app with the credentials it accepts."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not (context.path or "").startswith("/v1/"):
            continue
        allowed = _credentials_of(route)
        for method in sorted(context.methods or ()):
            found.append(Endpoint(method, context.path or "", frozenset(allowed)))
    return found


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
