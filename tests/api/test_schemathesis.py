"""Schemathesis over the whole OpenAPI schema, with a valid credential: never a server error.

The API runs under real uvicorn; each operation gets generated bodies, paths and queries,
sent with a key of a role it allows (or the channel token), and must answer below 500.
"""

from collections.abc import Iterator

import pytest
import schemathesis
from fake_telegram.server import BackgroundServer
from fastapi import FastAPI
from heard_testing import CHANNEL_TOKEN, bearer
from hypothesis import HealthCheck, settings
from route_credentials import CHANNEL, endpoints
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.schemas import BaseOpenAPISchema

# Bounded so the whole run takes about a minute.
MAX_EXAMPLES = 15

# FastAPI writes OpenAPI 3.1; schemathesis 3.39 reads it behind this switch.
schemathesis.experimental.OPEN_API_3_1.enable()


@pytest.fixture
def server(app: FastAPI) -> Iterator[BackgroundServer]:
    with BackgroundServer(app, name="heard-api-schemathesis") as running:
        yield running


@pytest.fixture
def api_schema(app: FastAPI) -> BaseOpenAPISchema:
    return schemathesis.from_dict(app.openapi())


@pytest.fixture
def credential(app: FastAPI, keys: dict[str, str]) -> dict[tuple[str, str], dict[str, str]]:
    """The Authorization header to send to each operation: its most specific role's key."""
    headers = {}
    for endpoint in endpoints(app):
        if endpoint.allowed == {CHANNEL}:
            token = CHANNEL_TOKEN
        else:
            roles = sorted(endpoint.allowed - {"admin"}) or ["admin"]
            token = keys[roles[0]]
        headers[(endpoint.method, endpoint.path)] = bearer(token)
    return headers


schema = schemathesis.from_pytest_fixture(
    "api_schema",
    data_generation_methods=[
        schemathesis.DataGenerationMethod.positive,
        schemathesis.DataGenerationMethod.negative,
    ],
)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
def test_no_operation_answers_a_server_error(
    case: schemathesis.Case,
    server: BackgroundServer,
    credential: dict[tuple[str, str], dict[str, str]],
) -> None:
    # A fresh connection for each case: uvicorn closes a connection after a request it
    # cannot parse, and reusing it would report the reset, not the server's answer.
    headers = {**credential.get((case.method.upper(), case.path), {}), "Connection": "close"}
    response = case.call(base_url=server.url, headers=headers, timeout=30)
    case.validate_response(response, checks=(not_a_server_error,))
