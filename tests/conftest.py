"""Fixtures shared by every test folder: a real database (SQLite, or PostgreSQL when
HEARD_TEST_DATABASE_URL is set, as `.ci/run` does), settings, the app and staff keys."""

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient
from heard_testing import CHANNEL_TOKEN, bearer
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from api.app import create_app
from api.db import create_schema, make_engine, session_scope
from api.deps import hash_key
from api.models import ApiKey
from api.settings import Settings

POSTGRES_URL = os.environ.get("HEARD_TEST_DATABASE_URL")


@pytest.fixture(scope="session")
def _postgres_engine() -> Iterator[Engine | None]:
    if not POSTGRES_URL:
        yield None
        return
    engine = make_engine(POSTGRES_URL)
    import api.models  # noqa: F401

    SQLModel.metadata.drop_all(engine)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def database_url(tmp_path: Path, _postgres_engine: Engine | None) -> str:
    """A clean database for this test: a new SQLite file, or emptied PostgreSQL tables."""
    if _postgres_engine is None:
        return f"sqlite:///{tmp_path / 'heard.db'}"
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with _postgres_engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    assert POSTGRES_URL is not None
    return POSTGRES_URL


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for one test: its own data folder and database."""
    return Settings(
        env="test",
        database_url=database_url,
        data_dir=tmp_path / "data",
        channel_token=SecretStr(CHANNEL_TOKEN),
        voice_key=SecretStr(Fernet.generate_key().decode()),
        public_url="http://testserver",
        telegram_bot_username="HeardTestBot",
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings.database_url)
    create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def app(settings: Settings, engine: Engine) -> FastAPI:
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def keys(engine: Engine) -> dict[str, str]:
    """A staff key for each role, stored hashed as `heard keys create` would."""
    made = {}
    with session_scope(engine) as session:
        for role in ("admin", "coordinator", "outreach"):
            key = f"hk_{role}_{secrets.token_urlsafe(24)}"
            session.add(
                ApiKey(role=role, label=f"test {role}", key_hash=hash_key(key), prefix=key[:10])
            )
            made[role] = key
    return made


@pytest.fixture
def channel_headers() -> dict[str, str]:
    return bearer(CHANNEL_TOKEN)
