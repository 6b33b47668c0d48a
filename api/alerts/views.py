"""Routes: anonymous safeguarding alerts for coordinators, and the optional webhook."""

import asyncio
import contextlib
from datetime import datetime

from fastapi import APIRouter, FastAPI, Query
from pydantic import BaseModel, Field
from sqlalchemy import inspect

from api.alerts import service
from api.alerts.webhook import AlertWebhook, start_counter
from api.deps import CoordinatorKey, SessionDep
from api.insights.filters import MAX_ID

router = APIRouter(prefix="/v1/alerts", tags=["safeguarding"])


class AlertOut(BaseModel):
    """When a crisis word was typed, at which site, and what kind. No text, no identifier."""

    time: datetime
    site_id: int | None
    category: str


class AlertPage(BaseModel):
    """One page of alerts, newest first."""

    alerts: list[AlertOut]
    total: int = Field(description="Alerts matching the filters, on every page.")
    limit: int
    offset: int


@router.get("", summary="List safeguarding alerts", response_model=AlertPage)
def list_alerts(
    _key: CoordinatorKey,
    session: SessionDep,
    since: datetime | None = Query(
        default=None, description="Only alerts at or after this time (UTC)."
    ),
    site_id: int | None = Query(default=None, ge=1, le=MAX_ID),
    limit: int = Query(default=100, ge=1, le=500),
    offset: int = Query(default=0, ge=0, le=1_000_000_000),
) -> AlertPage:
    """Time, site and category of each alert, newest first. The person is never identified."""
    alerts, total = service.list_alerts(
        session, since=since, site_id=site_id, limit=limit, offset=offset
    )
    return AlertPage(
        alerts=[AlertOut(**service.alert_view(a)) for a in alerts],
        total=total,
        limit=limit,
        offset=offset,
    )


def setup(app: FastAPI) -> None:
    """Start the webhook sender when HEARD_ALERT_WEBHOOK_URL is set."""
    url = app.state.settings.alert_webhook_url
    if not url:
        return
    engine = app.state.engine
    app.state.alert_webhook = webhook = AlertWebhook(engine, url)
    tasks: list[asyncio.Task[None]] = []

    async def start(app: FastAPI) -> None:
        if await asyncio.to_thread(lambda: inspect(engine).has_table("counter")):
            await asyncio.to_thread(start_counter, engine)
            tasks.append(asyncio.create_task(webhook.run()))

    async def stop(app: FastAPI) -> None:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app.state.startup_hooks.append(start)
    app.state.shutdown_hooks.append(stop)
