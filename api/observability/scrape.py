"""The `/metrics` text: the process's counters, plus gauges read from the database.

Counters (messages, flows, alerts, latency) live in each process; Prometheus sums them
across replicas. The outbox is shared, so its depth and age come from the database at
scrape time, in one grouped query.
"""

import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from api.models import OutboxMessage, utcnow

log = logging.getLogger(__name__)

# Outbox states still waiting to be sent; delivered/failed/blocked are history.
WAITING = ("pending", "leased")


class DatabaseCollector(Collector):
    """Read the shared gauges from the database when Prometheus scrapes."""

    def __init__(self, engine: Engine, *, now: datetime | None = None) -> None:
        self.engine = engine
        self.now = now

    def collect(self) -> Iterable[Metric]:
        """Yield database up, outbox depth by channel and status, and the oldest wait."""
        up = GaugeMetricFamily("heard_database_up", "1 when the database answered the scrape")
        depth = GaugeMetricFamily(
            "heard_outbox_messages",
            "Outbox messages waiting to be sent, by channel and status",
            labels=["channel", "status"],
        )
        age = GaugeMetricFamily(
            "heard_outbox_oldest_pending_seconds",
            "Seconds since the oldest pending outbox message became due (0 when none)",
            labels=["channel"],
        )
        try:
            rows = list(self._outbox_rows())
        except SQLAlchemyError as error:
            log.warning("metrics_database_unavailable", extra={"error": type(error).__name__})
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        now = _naive_utc(self.now or utcnow())
        oldest: dict[str, float] = {}
        for channel, status, count, first_due in rows:
            depth.add_metric([channel, status], count)
            if status == "pending":
                waited = (now - _naive_utc(first_due)).total_seconds() if first_due else 0.0
                waited = max(0.0, waited)
                oldest[channel] = max(oldest.get(channel, 0.0), waited)
            else:
                oldest.setdefault(channel, 0.0)
        for channel, seconds in sorted(oldest.items()):
            age.add_metric([channel], seconds)
        yield up
        yield depth
        yield age

    def _outbox_rows(self) -> Iterator[tuple[str, str, int, datetime | None]]:
        # The oldest `available_at` is the oldest due message whenever one is due; if even
        # it lies ahead (a retry deferred), nothing is late and the age clamps to 0.
        query = (
            select(
                col(OutboxMessage.channel),
                col(OutboxMessage.status),
                func.count(),
                func.min(col(OutboxMessage.available_at)),
            )
            .where(col(OutboxMessage.status).in_(WAITING))
            .group_by(col(OutboxMessage.channel), col(OutboxMessage.status))
        )
        with self.engine.connect() as connection:
            for channel, status, count, due in connection.execute(query):
                yield str(channel), str(status), int(count), due


def _naive_utc(moment: datetime) -> datetime:
    # Columns come back naive (UTC by convention) or aware, by driver; compare as naive UTC.
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def render_metrics(engine: Engine) -> bytes:
    """Return the Prometheus text exposition for this process and the shared database."""
    shared = CollectorRegistry(auto_describe=False)
    shared.register(DatabaseCollector(engine))
    return generate_latest(REGISTRY) + generate_latest(shared)
