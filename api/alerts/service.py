"""Safeguarding alerts: time, site and category only. Never text, never an identifier."""

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from api.models import SafeguardingAlert


def record_alert(session: Session, *, site_id: int | None, category: str) -> SafeguardingAlert:
    """Store an anonymous alert that a crisis word was typed."""
    alert = SafeguardingAlert(site_id=site_id, category=category)
    session.add(alert)
    session.flush()
    return alert


def alert_view(alert: SafeguardingAlert) -> dict[str, Any]:
    """Return an alert as staff see it: when, where, what kind. Nothing else exists."""
    return {"time": alert.created_at, "site_id": alert.site_id, "category": alert.category}


def list_alerts(
    session: Session,
    *,
    since: datetime | None = None,
    site_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[SafeguardingAlert], int]:
    """Return alerts newest first (one page of them), and how many match in all."""
    clauses = []
    if since is not None:
        clauses.append(col(SafeguardingAlert.created_at) >= since)
    if site_id is not None:
        clauses.append(col(SafeguardingAlert.site_id) == site_id)
    total = session.exec(select(func.count(col(SafeguardingAlert.id))).where(*clauses)).one()
    page = session.exec(
        select(SafeguardingAlert)
        .where(*clauses)
        .order_by(col(SafeguardingAlert.created_at).desc(), col(SafeguardingAlert.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return list(page), int(total)
