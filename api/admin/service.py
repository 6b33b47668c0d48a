"""Sites and staff keys: what an admin makes, lists and revokes."""

import secrets

from sqlmodel import Session, col, select

from api.deps import ROLES, hash_key
from api.errors import Invalid, NotFound
from api.models import ApiKey, Site, utcnow

KEY_PREFIX = "hk_"


def create_site(session: Session, *, name: str) -> Site:
    """Make a site."""
    name = " ".join(name.split())
    if not name:
        raise Invalid("A site needs a name.")
    site = Site(name=name)
    session.add(site)
    session.flush()
    return site


def list_sites(session: Session) -> list[Site]:
    """Return every site, oldest first."""
    return list(session.exec(select(Site).order_by(col(Site.id))).all())


def create_key(session: Session, *, role: str, label: str = "") -> tuple[ApiKey, str]:
    """Make a staff key; return the stored row and the key, which is never kept."""
    if role not in ROLES:
        raise Invalid(f"The role must be one of {', '.join(ROLES)}.")
    key = f"{KEY_PREFIX}{secrets.token_urlsafe(32)}"
    row = ApiKey(role=role, label=label.strip(), key_hash=hash_key(key), prefix=key[:10])
    session.add(row)
    session.flush()
    return row, key


def list_keys(session: Session) -> list[ApiKey]:
    """Return every staff key (revoked ones too), oldest first."""
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.id))).all())


def revoke_key(session: Session, *, key_id: int) -> ApiKey:
    """Revoke a staff key; it stops working at once. Revoking twice is harmless."""
    row = session.get(ApiKey, key_id)
    if row is None:
        raise NotFound(f"There is no key {key_id}.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row
