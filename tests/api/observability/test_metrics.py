"""`/metrics` and `/healthz`: Prometheus text by route template, outbox gauges, 503 when down."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from heard_testing import bearer
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from api.app import create_app
from api.db import make_engine, session_scope
from api.models import OutboxMessage, utcnow
from api.settings import Settings

PSEUDONYM = "Zq3xPseudonymUnderTest_7Hk2Lw9Mn4Rt"


def sample(text: str, name: str, **labels: str) -> float | None:
    """Return the value of one sample of the exposition, or None when absent."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        found = dict(re.findall(r'(\w+)="([^"]*)"', head))
        if head.split("{")[0] == name and all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    return None


def test_metrics_are_prometheus_text_with_latency_by_route_template(client: TestClient) -> None:
    client.get("/healthz")
    client.get(f"/v1/channel/participants/{PSEUDONYM}/nothing-here")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    assert "# TYPE heard_request_seconds histogram" in body
    count = sample(
        body, "heard_request_seconds_count", method="GET", route="/healthz", status="200"
    )
    assert count is not None and count >= 1
    assert sample(body, "heard_request_seconds_count", route="<unmatched>", status="404")
    assert PSEUDONYM not in body
    for name in ("heard_messages_in_total", "heard_flow_starts_total", "heard_safeguarding_alerts"):
        assert f"# TYPE {name.removesuffix('_total')}" in body


def test_outbox_depth_and_age_come_from_the_database(client: TestClient, engine: Engine) -> None:
    now = utcnow()
    with session_scope(engine) as session:
        for status, due in (
            ("pending", now - timedelta(seconds=120)),
            ("pending", now - timedelta(seconds=5)),
            ("pending", now + timedelta(hours=1)),  # deferred for a retry: not late yet
            ("leased", now - timedelta(seconds=300)),
            ("delivered", now - timedelta(days=3)),
        ):
            session.add(
                OutboxMessage(
                    channel="telegram", pseudonym=PSEUDONYM, kind="nudge", text="Hello again",
                    status=status, available_at=due,
                )
            )  # fmt: skip
    body = client.get("/metrics").text
    assert sample(body, "heard_database_up") == 1
    assert sample(body, "heard_outbox_messages", channel="telegram", status="pending") == 3
    assert sample(body, "heard_outbox_messages", channel="telegram", status="leased") == 1
    assert sample(body, "heard_outbox_messages", status="delivered") is None
    age = sample(body, "heard_outbox_oldest_pending_seconds", channel="telegram")
    assert age is not None and 120 <= age < 3600
    assert PSEUDONYM not in body
    assert "Hello again" not in body


def test_metrics_ask_for_the_token_when_one_is_set(settings: Settings, engine: Engine) -> None:
    closed = settings.model_copy(update={"metrics_token": SecretStr("metrics-secret-123")})
    with TestClient(create_app(closed, engine=engine), raise_server_exceptions=False) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers=bearer("wrong")).status_code == 401
        assert client.get("/metrics", headers=bearer("metrics-secret-123")).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:1/heard?connect_timeout=2",
        "sqlite:///{tmp}/no/such/folder/heard.db",
    ],
    ids=["postgresql-refused", "sqlite-unopenable"],
)
def test_healthz_answers_503_when_the_database_is_down(
    app: FastAPI, tmp_path: Path, url: str
) -> None:
    down = make_engine(url.format(tmp=tmp_path))
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/healthz").status_code == 200
        app.state.engine = down  # the database goes away while the API runs
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json() == {"status": "unavailable", "database": "unreachable"}
        metrics = client.get("/metrics")
        assert metrics.status_code == 200
        assert sample(metrics.text, "heard_database_up") == 0
    down.dispose()
