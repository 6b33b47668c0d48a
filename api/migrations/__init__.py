"""Schema migrations (Alembic), set up in code: `upgrade_database(url)` is `heard db upgrade`."""

from pathlib import Path

from alembic import command
from alembic.config import Config

HERE = Path(__file__).parent


def alembic_config(database_url: str) -> Config:
    """Return an Alembic config for this database, with no alembic.ini."""
    config = Config()
    config.set_main_option("path_separator", "os")
    config.set_main_option("script_location", str(HERE))
    config.set_main_option("version_locations", str(HERE / "versions"))
    # ConfigParser reads "%" as interpolation; a password may contain one.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Migrate the database at `database_url` up to `revision` (the newest by default)."""
    config = alembic_config(database_url)
    if _unversioned_but_current(database_url):
        # Made by create_schema (tests, early runs) and already the models' schema: adopt it.
        command.stamp(config, "head")
        return
    command.upgrade(config, revision)


def _unversioned_but_current(database_url: str) -> bool:
    """Return whether tables exist without Alembic's version table, matching the models.

    Raise when they exist but differ: no migration can safely guess where they stand.
    """
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect
    from sqlmodel import SQLModel

    import api.models  # noqa: F401  (registers the tables)
    from api.db import make_engine

    engine = make_engine(database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        if not tables or "alembic_version" in tables:
            return False
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    if differences:
        raise RuntimeError(
            "The database has tables but no migration history, and they differ from the "
            "models. Back it up, then start from an empty database or stamp it by hand."
        )
    return True


def current_revision(database_url: str) -> str | None:
    """Return the revision the database is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    from api.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
