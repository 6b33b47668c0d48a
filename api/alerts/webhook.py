"""Telling someone at once: each new alert POSTed to HEARD_ALERT_WEBHOOK_URL.

A background task polls for alerts newer than the `alerts_notified` counter, claims them
with a compare-and-set on that counter (so of several API processes exactly one sends
each batch), and POSTs `{"time", "site_id", "category"}` with a timeout, retrying with
backoff. It runs beside the request path: a slow or broken receiver never delays a reply
to someone in crisis. Failures are logged without content. An alert whose every try
failed stays listed in GET /v1/alerts.
"""

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from api.db import session_scope
from api.models import Counter, SafeguardingAlert, utcnow

logger = logging.getLogger(__name__)

NOTIFIED = "alerts_notified"


def start_counter(engine: Engine) -> None:
    """Start the counter at the newest alert, so a first start does not resend history."""
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO counter (name, value) "
                "SELECT :name, COALESCE(MAX(id), 0) FROM safeguarding_alert WHERE 1 = 1 "
                "ON CONFLICT DO NOTHING"
            ),
            {"name": NOTIFIED},
        )


class AlertWebhook:
    """Send new alerts to a URL, off the request path."""

    def __init__(
        self,
        engine: Engine,
        url: str,
        *,
        interval: float = 1.0,
        settle: float = 1.0,
        timeout: float = 5.0,
        attempts: int = 5,
        backoff: float = 0.5,
    ) -> None:
        self.engine = engine
        self.url = url
        self.interval = interval
        # Alerts this fresh wait a moment: on PostgreSQL a lower id can commit after a
        # higher one, and the counter must not jump past it.
        self.settle = timedelta(seconds=settle)
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.sent = 0
        self.failed = 0
        self._progress = threading.Condition()

    def _count(self, delivered: bool) -> None:
        with self._progress:
            if delivered:
                self.sent += 1
            else:
                self.failed += 1
            self._progress.notify_all()

    def wait_for(self, done: Callable[[], bool], timeout: float) -> bool:
        """Block until `done()` holds after a send (or timeout); return whether it holds."""
        with self._progress:
            return self._progress.wait_for(done, timeout)

    def claim(self, limit: int = 100) -> list[dict[str, Any]]:
        """Take the next alerts to send; another process claiming them first yields none."""
        with session_scope(self.engine) as session:
            last = session.get(Counter, NOTIFIED)
            if last is None:
                return []
            alerts = session.exec(
                select(SafeguardingAlert)
                .where(
                    col(SafeguardingAlert.id) > last.value,
                    col(SafeguardingAlert.created_at) <= utcnow() - self.settle,
                )
                .order_by(col(SafeguardingAlert.id))
                .limit(limit)
            ).all()
            if not alerts:
                return []
            claimed = session.execute(
                update(Counter)
                .where(col(Counter.name) == NOTIFIED, col(Counter.value) == last.value)
                .values(value=alerts[-1].id)
            )
            if not claimed.rowcount:  # type: ignore[attr-defined]
                return []
            return [
                {
                    "time": alert.created_at.isoformat() + "Z",
                    "site_id": alert.site_id,
                    "category": alert.category,
                }
                for alert in alerts
            ]

    async def send(self, client: httpx.AsyncClient, payload: dict[str, Any]) -> bool:
        """POST one alert, retrying with backoff; return whether the receiver took it."""
        for attempt in range(self.attempts):
            try:
                response = await client.post(self.url, json=payload, timeout=self.timeout)
                if response.status_code < 300:
                    self._count(delivered=True)
                    return True
                outcome = f"status {response.status_code}"
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            logger.warning(
                "alert webhook try failed", extra={"attempt": attempt + 1, "outcome": outcome}
            )
            if attempt + 1 < self.attempts:
                await asyncio.sleep(self.backoff * 2**attempt)
        self._count(delivered=False)
        logger.error("alert webhook gave up on an alert", extra={"attempts": self.attempts})
        return False

    async def run(self) -> None:
        """Poll and send until cancelled."""
        async with httpx.AsyncClient() as client:
            while True:
                try:
                    for payload in await asyncio.to_thread(self.claim):
                        await self.send(client, payload)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.exception("alert webhook poll failed")
                await asyncio.sleep(self.interval)
