"""Safeguarding alerts: time, site and category only. Never text, never an identifier."""

from sqlmodel import Session

from api.models import SafeguardingAlert


def record_alert(session: Session, *, site_id: int | None, category: str) -> SafeguardingAlert:
    """Store an anonymous alert that a crisis word was typed."""
    alert = SafeguardingAlert(site_id=site_id, category=category)
    session.add(alert)
    session.flush()
    return alert
