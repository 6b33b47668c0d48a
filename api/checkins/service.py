"""Check-in codes: made by outreach workers, shared as a deep link or a QR code."""

import secrets
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import Table, bindparam, or_, update
from sqlmodel import Session, col, select

from api.errors import Invalid, NotFound
from api.models import Checkin, Site, utcnow
from api.prepared import Prepared
from api.settings import Settings
from flows.loader import Library

# 12 URL-safe characters: 72 random bits, short enough to type from a poster if need be.
CODE_BYTES = 9
# The welcome runs by itself and deleting is the person's own choice: neither is a check-in.
NOT_FOR_CHECKINS = frozenset({"welcome", "forget"})


def new_code() -> str:
    """Return a fresh, unguessable code of A-Za-z0-9_- characters."""
    return secrets.token_urlsafe(CODE_BYTES)


def deep_link(settings: Settings, code: str) -> str:
    """Return the Telegram link that opens the bot with this code."""
    return f"https://t.me/{settings.telegram_bot_username}?start={code}"


def naive_utc(moment: datetime | None) -> datetime | None:
    """Return `moment` as naive UTC, as the database keeps times."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def create_checkin(
    session: Session,
    *,
    library: Library,
    site_id: int,
    flow: str,
    expires_at: datetime | None = None,
    max_uses: int | None = None,
    now: datetime | None = None,
) -> Checkin:
    """Make a check-in code for a site and flow."""
    now = now or utcnow()
    if session.get(Site, site_id) is None:
        raise NotFound(f"There is no site {site_id}. POST /v1/sites makes one.")
    if library.get(flow) is None:
        raise NotFound(f"There is no flow {flow!r}. GET /v1/flows lists them.")
    if flow in NOT_FOR_CHECKINS:
        raise Invalid(f"The {flow!r} flow cannot be a check-in; it runs by itself.")
    expires = naive_utc(expires_at)
    if expires is not None and expires <= now:
        raise Invalid("'expires_at' is in the past.")
    checkin = Checkin(
        code=new_code(),
        site_id=site_id,
        flow=flow,
        expires_at=expires,
        max_uses=max_uses,
        created_at=now,
    )
    session.add(checkin)
    session.flush()
    return checkin


def list_checkins(session: Session, *, site_id: int | None = None) -> list[Checkin]:
    """Return check-ins, newest first, with their use counts."""
    query = select(Checkin).order_by(col(Checkin.created_at).desc(), col(Checkin.code))
    if site_id is not None:
        query = query.where(Checkin.site_id == site_id)
    return list(session.exec(query).all())


def get_checkin(session: Session, *, code: str) -> Checkin:
    """Return one check-in, or raise NotFound."""
    checkin = session.get(Checkin, code)
    if checkin is None:
        raise NotFound("There is no check-in with that code.")
    return checkin


class Usable(NamedTuple):
    """A check-in code that can still be used: where and what it starts."""

    code: str
    site_id: int
    flow: str


_CHECKIN: Table = Checkin.__table__  # type: ignore[attr-defined]
# Read on the channel's hot path (every /start), so built once, in Core.
_PEEK = Prepared(
    select(_CHECKIN.c.code, _CHECKIN.c.site_id, _CHECKIN.c.flow).where(
        _CHECKIN.c.code == bindparam("code"),
        or_(_CHECKIN.c.expires_at.is_(None), _CHECKIN.c.expires_at > bindparam("now")),
        or_(_CHECKIN.c.max_uses.is_(None), _CHECKIN.c.uses < _CHECKIN.c.max_uses),
    )
)
_USE = Prepared(
    update(_CHECKIN)
    .where(
        _CHECKIN.c.code == bindparam("key"),
        or_(_CHECKIN.c.max_uses.is_(None), _CHECKIN.c.uses < _CHECKIN.c.max_uses),
    )
    .values(uses=_CHECKIN.c.uses + 1)
)


def peek(session: Session, *, code: str, now: datetime) -> Usable | None:
    """Return the check-in if the code can still be used, without using it."""
    row = _PEEK.first(session, code=code, now=now)
    return None if row is None else Usable(*row)


def redeem(session: Session, *, code: str, now: datetime) -> Usable | None:
    """Use the code once, if it is known, unexpired and not used up; else return None."""
    checkin = peek(session, code=code, now=now)
    if checkin is None:
        return None
    # Count the use in the database, not in Python, so two people scanning at once
    # cannot both take the last use.
    if not _USE.rowcount(session, key=code):
        return None
    return checkin
