"""Named numbers every API process shares through the database (the `counter` table).

- `insights_version` goes up whenever rows insights have already read are deleted or
  changed (forgetting, retention, retagging), so each process knows to reload its
  snapshot. Database triggers bump it: every writer is covered, whoever wrote it.
- `codebook_version` goes up with each edit of the codebook; `tagged_version` is the
  codebook version the stored tags were last computed with. They differ while a retag
  is due.
"""

from sqlalchemy import text, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from api.models import Counter

INSIGHTS_VERSION = "insights_version"
CODEBOOK_VERSION = "codebook_version"
TAGGED_VERSION = "tagged_version"
NAMES = (INSIGHTS_VERSION, CODEBOOK_VERSION, TAGGED_VERSION)

# Deletes or in-place changes of these tables make a loaded snapshot stale. Inserts do not:
# snapshots pick new rows up by id. Run updates (a run ending) are picked up by end time.
_WATCHED = (
    ("answer", "DELETE"),
    ("answer", "UPDATE"),
    ("run", "DELETE"),
    ("answer_theme", "DELETE"),
)


def _insert_missing(connection: Connection) -> None:
    # ON CONFLICT DO NOTHING keeps this safe when several processes start at once.
    for name in NAMES:
        connection.execute(
            text("INSERT INTO counter (name, value) VALUES (:name, 0) ON CONFLICT DO NOTHING"),
            {"name": name},
        )


def _install_sqlite(connection: Connection) -> None:
    for table, event in _WATCHED:
        connection.execute(
            text(
                f"CREATE TRIGGER IF NOT EXISTS heard_{table}_{event.lower()}_bumps_insights "
                f"AFTER {event} ON {table} BEGIN "
                f"UPDATE counter SET value = value + 1 WHERE name = '{INSIGHTS_VERSION}'; END"
            )
        )


def _install_postgresql(connection: Connection) -> None:
    # A transaction-scoped advisory lock: two processes starting together must not race
    # on CREATE OR REPLACE of the same function and triggers.
    connection.execute(text("SELECT pg_advisory_xact_lock(7340021)"))
    connection.execute(
        text(
            "CREATE OR REPLACE FUNCTION heard_bump_insights() RETURNS trigger AS $$ BEGIN "
            f"UPDATE counter SET value = value + 1 WHERE name = '{INSIGHTS_VERSION}'; "
            "RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    )
    for table, event in _WATCHED:
        # One bump per statement: deleting a thousand rows costs one counter update.
        connection.execute(
            text(
                f"CREATE OR REPLACE TRIGGER heard_{table}_{event.lower()}_bumps_insights "
                f"AFTER {event} ON {table} FOR EACH STATEMENT "
                "EXECUTE FUNCTION heard_bump_insights()"
            )
        )


def install(engine: Engine) -> None:
    """Create the counters and the triggers that keep `insights_version` honest (idempotent)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            _install_postgresql(connection)
        else:
            _install_sqlite(connection)
        _insert_missing(connection)


def read(session: Session, name: str) -> int:
    """Return the value of a counter (0 when it was never set)."""
    value = session.exec(select(Counter.value).where(Counter.name == name)).first()
    return int(value or 0)


def bump(session: Session, name: str) -> None:
    """Add one to a counter, inside the caller's transaction."""
    result = session.execute(
        update(Counter).where(col(Counter.name) == name).values(value=col(Counter.value) + 1)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.add(Counter(name=name, value=1))
        session.flush()


def raise_to(session: Session, name: str, value: int) -> None:
    """Set a counter to `value` unless it is already higher."""
    result = session.execute(
        update(Counter)
        .where(col(Counter.name) == name, col(Counter.value) < value)
        .values(value=value)
    )
    if not result.rowcount and session.get(Counter, name) is None:  # type: ignore[attr-defined]
        session.add(Counter(name=name, value=value))
        session.flush()
