"""Fixtures for channel tests: a chat factory, a site and a check-in code."""

from collections.abc import Callable

import pytest
from channel_chat import Chat
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.db import session_scope
from api.models import Checkin, Site


@pytest.fixture
def chat(client: TestClient) -> Callable[..., Chat]:
    """Make a new participant (or one with a given pseudonym)."""
    return lambda pseudonym=None: Chat(client, pseudonym)


@pytest.fixture
def site_id(engine: Engine) -> int:
    with session_scope(engine) as session:
        site = Site(name="Riverside day centre")
        session.add(site)
        session.flush()
        assert site.id is not None
        return site.id


@pytest.fixture
def make_code(engine: Engine, site_id: int) -> Callable[..., str]:
    """Store a check-in code (flow checkin by default) and return it."""

    def make(flow: str = "checkin", **fields: object) -> str:
        import secrets

        code = secrets.token_urlsafe(9)
        with session_scope(engine) as session:
            session.add(Checkin(code=code, site_id=site_id, flow=flow, **fields))
        return code

    return make
