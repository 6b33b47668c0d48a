"""The migrations build exactly the models' schema, on SQLite and on PostgreSQL.

If this fails after a model edit, add a migration (`0002_...`); never edit 0001.
"""

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import api.models  # noqa: F401  (registers the tables)
from api.db import make_engine
from api.migrations import current_revision, upgrade_database

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/heard_test"


def _differences(database_url: str) -> list[object]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


def _tables(database_url: str) -> set[str]:
    engine = make_engine(database_url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture
def fresh_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards."""
    base = make_url(os.environ.get("HEARD_TEST_DATABASE_URL") or PG_DEFAULT)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"heard_migrations_{secrets.token_hex(4)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server here: nothing to test against
        admin.dispose()
        pytest.skip(f"PostgreSQL not reachable: {type(exc).__name__}")
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_builds_the_models_schema_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade_database(url)
    assert current_revision(url) is not None
    assert _tables(url) >= set(SQLModel.metadata.tables)
    assert _differences(url) == []


def test_upgrade_builds_the_models_schema_on_postgresql(fresh_postgres: str) -> None:
    upgrade_database(fresh_postgres)
    assert current_revision(fresh_postgres) is not None
    assert _differences(fresh_postgres) == []


def test_upgrade_twice_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    upgrade_database(url)
    first = current_revision(url)
    upgrade_database(url)
    assert current_revision(url) == first
    assert _differences(url) == []


def test_a_model_without_a_migration_is_noticed(tmp_path: Path) -> None:
    """The comparison can fail: a table the migrations lack shows up as a difference."""
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE safeguarding_alert"))
    engine.dispose()
    assert any("safeguarding_alert" in repr(diff) for diff in _differences(url))


def test_a_schema_made_by_create_schema_is_adopted_not_rebuilt(tmp_path: Path) -> None:
    from api.db import create_schema

    url = f"sqlite:///{tmp_path / 'early.db'}"
    engine = make_engine(url)
    create_schema(engine)
    engine.dispose()
    upgrade_database(url)
    assert current_revision(url) is not None
    assert _differences(url) == []


def test_unversioned_tables_that_differ_are_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'odd.db'}"
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE participant (pseudonym TEXT PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(RuntimeError, match="no migration history"):
        upgrade_database(url)
