"""Request dependencies as `Annotated` aliases, so routes read as plain typed functions."""

import hashlib
import hmac
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.db import session_scope
from api.errors import Forbidden, Unauthorized
from api.models import ApiKey
from api.settings import Settings

ROLES = ("admin", "coordinator", "outreach")

_bearer = HTTPBearer(auto_error=False, description="A staff key or the channel token.")


async def get_settings_dep(request: Request) -> Settings:
    """Return the app's settings (async: a sync dependency costs a thread hop per request)."""
    settings: Settings = request.app.state.settings
    return settings


def get_engine(request: Request) -> Engine:
    """Return the app's database engine."""
    engine: Engine = request.app.state.engine
    return engine


def get_db(request: Request) -> Iterator[Session]:
    """Yield a session that commits when the request succeeds."""
    with session_scope(request.app.state.engine) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": commit before the response is sent, so a client that got a reply
# never races a commit still to come (FastAPI's default runs the exit after sending).
SessionDep = Annotated[Session, Depends(get_db, scope="function")]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def hash_key(key: str) -> str:
    """Hash a staff key for storage and lookup (keys are long and random, so SHA-256 fits)."""
    return hashlib.sha256(key.encode()).hexdigest()


def require_role(*roles: str) -> Callable[..., ApiKey]:
    """Make a dependency admitting staff keys of these roles (admin always); else 401/403."""
    allowed = set(roles) | {"admin"}

    def _check(credentials: Credentials, session: SessionDep) -> ApiKey:
        if credentials is None or not credentials.credentials:
            raise Unauthorized("Send a staff key as 'Authorization: Bearer <key>'.")
        key = session.exec(
            select(ApiKey).where(ApiKey.key_hash == hash_key(credentials.credentials))
        ).first()
        if key is None or key.revoked_at is not None:
            raise Unauthorized("That key is not known, or it was revoked.")
        if key.role not in allowed:
            raise Forbidden(f"This needs the {' or '.join(sorted(allowed))} role.")
        return key

    _check.__name__ = f"require_{'_'.join(sorted(allowed))}"
    return _check


class _ChannelToken(HTTPBearer):
    """The channel token, checked in one dependency rather than three (bearer, settings,
    check): every inbound message passes here, and each dependency costs per request."""

    async def __call__(self, request: Request) -> None:  # type: ignore[override]
        """Let in channel adapters that send the channel token; answer 401 otherwise."""
        settings: Settings = request.app.state.settings
        expected = settings.channel_token.get_secret_value() if settings.channel_token else ""
        scheme, given = get_authorization_scheme_param(request.headers.get("Authorization"))
        if scheme.lower() != "bearer":
            given = ""
        if not expected or not given or not hmac.compare_digest(given.encode(), expected.encode()):
            raise Unauthorized("Send the channel token as 'Authorization: Bearer <token>'.")


# Named as `_bearer` is, so the OpenAPI schema shows one bearer scheme for both.
require_channel = _ChannelToken(
    auto_error=False, scheme_name="HTTPBearer", description=_bearer.model.description
)


AdminKey = Annotated[ApiKey, Depends(require_role("admin"))]
CoordinatorKey = Annotated[ApiKey, Depends(require_role("coordinator"))]
OutreachKey = Annotated[ApiKey, Depends(require_role("outreach"))]
ChannelAuth = Annotated[None, Depends(require_channel)]
