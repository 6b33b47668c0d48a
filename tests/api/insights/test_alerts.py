"""Safeguarding alerts: the coordinators' list, and the webhook against a real receiver."""

import json
import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import uvicorn
from fastapi.testclient import TestClient
from heard_testing import bearer
from insights_builder import Builder
from sqlalchemy.engine import Engine

from api.alerts.service import record_alert
from api.app import create_app
from api.db import session_scope
from api.models import SafeguardingAlert
from api.settings import Settings


def _alert(engine: Engine, site_id: int | None, category: str, at: datetime) -> None:
    with session_scope(engine) as session:
        session.add(SafeguardingAlert(site_id=site_id, category=category, created_at=at))


def test_alerts_list_time_site_and_category_only_newest_first(
    client: TestClient, coordinator: dict[str, str], build: Builder, engine: Engine
) -> None:
    site = build.site()
    start = datetime(2026, 3, 2, 9, 0)
    for minutes, category in enumerate(["self_harm", "violence", "self_harm", "abuse"]):
        _alert(engine, site if minutes % 2 else None, category, start + timedelta(minutes=minutes))
    body = client.get("/v1/alerts", headers=coordinator).json()
    assert body["total"] == 4
    assert body["alerts"][0] == {
        "time": "2026-03-02T09:03:00",
        "site_id": site,
        "category": "abuse",
    }
    assert all(set(a) == {"time", "site_id", "category"} for a in body["alerts"])
    at_site = client.get("/v1/alerts", params={"site_id": site}, headers=coordinator).json()
    assert [a["category"] for a in at_site["alerts"]] == ["abuse", "violence"]
    later = client.get(
        "/v1/alerts", params={"since": "2026-03-02T09:02:00"}, headers=coordinator
    ).json()
    assert later["total"] == 2
    page = client.get("/v1/alerts", params={"limit": 1, "offset": 1}, headers=coordinator).json()
    assert (page["total"], len(page["alerts"]), page["alerts"][0]["category"]) == (
        4,
        1,
        "self_harm",
    )
    assert client.get("/v1/alerts", params={"limit": 0}, headers=coordinator).status_code == 422


class Receiver:
    """A real HTTP receiver under uvicorn that records what it is sent."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls = 0
        self.received: list[dict[str, object]] = []
        self.got = threading.Event()
        self.arrived = threading.Condition()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", interface="asgi3")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})

    async def app(self, scope, receive, send):  # type: ignore[no-untyped-def]
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.calls += 1
        status = 500 if self.calls <= self.failures else 204
        if status == 204:
            with self.arrived:
                self.received.append(json.loads(body))
                self.arrived.notify_all()
            self.got.set()
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def wait_count(self, count: int, timeout: float) -> bool:
        """Block until `count` alerts have arrived (or timeout)."""
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.received) >= count, timeout)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def flaky() -> Iterator[Receiver]:
    with Receiver(failures=1) as running:
        yield running


def _hooked(settings: Settings, engine: Engine, url: str) -> TestClient:
    return TestClient(
        create_app(settings.model_copy(update={"alert_webhook_url": url}), engine=engine)
    )


def test_a_new_alert_is_posted_to_the_webhook(
    settings: Settings, engine: Engine, receiver: Receiver, keys: dict[str, str]
) -> None:
    _alert(engine, None, "violence", datetime(2026, 1, 1))  # before start-up: not resent
    with _hooked(settings, engine, receiver.url) as client:
        with session_scope(engine) as session:
            record_alert(session, site_id=None, category="self_harm")
        assert receiver.got.wait(timeout=30), "the webhook never arrived"
        assert client.get("/v1/alerts", headers=bearer(keys["coordinator"])).json()["total"] == 2
    [payload] = receiver.received
    assert set(payload) == {"time", "site_id", "category"}
    assert (payload["site_id"], payload["category"]) == (None, "self_harm")
    assert str(payload["time"]).endswith("Z")


def test_a_failing_webhook_is_retried_until_it_takes_the_alert(
    settings: Settings, engine: Engine, flaky: Receiver
) -> None:
    with _hooked(settings, engine, flaky.url) as client:
        with session_scope(engine) as session:
            record_alert(session, site_id=None, category="abuse")
        hook = client.app.state.alert_webhook  # type: ignore[attr-defined]
        assert hook.wait_for(lambda: hook.sent + hook.failed >= 1, timeout=30), "no retry came"
    assert flaky.calls == 2
    assert [p["category"] for p in flaky.received] == ["abuse"]
    assert (hook.sent, hook.failed) == (1, 0)


def test_two_processes_send_each_alert_once(
    settings: Settings, engine: Engine, receiver: Receiver
) -> None:
    clients = [_hooked(settings, engine, receiver.url) for _ in range(2)]
    with clients[0], clients[1]:
        with session_scope(engine) as session:
            for _ in range(3):
                record_alert(session, site_id=None, category="self_harm")
        assert receiver.wait_count(3, timeout=30), "the alerts never all arrived"
    assert len(receiver.received) == 3
