"""The outbox: messages waiting for an adapter to send them, leased at least once each."""

import base64
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, update
from sqlmodel import Session, col, select

from api.channel.schemas import OutboxItem, ReplyOption
from api.errors import Conflict, NotFound
from api.models import OutboxMessage, Participant, SealedAddress, utcnow
from api.observability.metrics import MESSAGES_OUT

# After this many failed tries a message is given up (status "failed").
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """Return how long to wait after the `attempts`-th failed try: 30 s, 1 min, 2 min ... 1 h."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_CAP)


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(col(OutboxMessage.status) == "pending", col(OutboxMessage.available_at) <= now),
        and_(col(OutboxMessage.status) == "leased", col(OutboxMessage.lease_expires_at) <= now),
    )


def claim(
    session: Session, *, channel: str, limit: int, lease_seconds: int, now: datetime | None = None
) -> list[OutboxItem]:
    """Lease up to `limit` sendable messages of `channel`; an expired lease frees a message."""
    now = now or utcnow()
    candidates = (
        select(OutboxMessage.id)
        .join(SealedAddress, col(SealedAddress.pseudonym) == col(OutboxMessage.pseudonym))
        .join(Participant, col(Participant.pseudonym) == col(OutboxMessage.pseudonym))
        .where(OutboxMessage.channel == channel, col(Participant.reachable), _claimable(now))
        .order_by(col(OutboxMessage.available_at), col(OutboxMessage.id))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True, of=OutboxMessage)
    ids = list(session.exec(candidates).all())
    if not ids:
        return []
    # The UPDATE re-checks that each message is still claimable, so two adapters claiming
    # at once never lease the same message twice (SQLite reads take no locks).
    leased = (
        session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(ids), _claimable(now))
            .values(
                status="leased",
                lease_expires_at=now + timedelta(seconds=lease_seconds),
                attempts=OutboxMessage.attempts + 1,
            )
            .returning(col(OutboxMessage.id))
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    if not leased:
        return []
    rows = session.exec(
        select(OutboxMessage, SealedAddress.sealed)
        .join(SealedAddress, col(SealedAddress.pseudonym) == col(OutboxMessage.pseudonym))
        .where(col(OutboxMessage.id).in_(leased))
        .order_by(col(OutboxMessage.available_at), col(OutboxMessage.id))
        .execution_options(populate_existing=True)
    ).all()
    return [
        OutboxItem(
            id=message.id or 0,
            participant=message.pseudonym,
            sealed=base64.b64encode(sealed).decode("ascii"),
            text=message.text,
            options=[ReplyOption.model_validate(option) for option in message.options or []],
        )
        for message, sealed in rows
    ]


def report(
    session: Session,
    *,
    message_id: int,
    status: str,
    retry_after: int | None = None,
    now: datetime | None = None,
) -> None:
    """Record how sending a leased message went: delivered, blocked or failed (retry later)."""
    now = now or utcnow()
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"There is no outbox message {message_id}.")
    if message.status != "leased":
        if message.status == status or (status == "failed" and message.status == "pending"):
            return  # the adapter repeated its report
        raise Conflict(f"Outbox message {message_id} is not leased (it is {message.status}).")
    message.lease_expires_at = None
    if status == "delivered":
        message.status = "delivered"
        message.delivered_at = now
        MESSAGES_OUT.labels(message.channel).inc()
    elif status == "blocked":
        message.status = "blocked"
        participant = session.get(Participant, message.pseudonym)
        if participant is not None:
            participant.reachable = False
    elif message.attempts >= MAX_ATTEMPTS:
        message.status = "failed"
    else:
        wait = max(backoff(message.attempts), timedelta(seconds=retry_after or 0))
        message.status = "pending"
        message.available_at = now + wait
