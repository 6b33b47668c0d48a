"""Core statements compiled once per database, then run straight on the DB-API connection.

The channel runs six or so small statements per inbound message. Through
`Connection.execute` each costs ~45 µs of Python on top of the database's own work (cache
key, execution context, result object); run on the driver's connection it costs ~6-15 µs
(measured on SQLite; bench/channel.py). `Prepared` keeps everything SQLAlchemy would do that
matters (the SQL its compiler writes for this dialect, its type processors for dates, JSON
and booleans, its exception classes) and drops the rest. It runs inside the session's own
transaction, so the one commit still happens at the request or batch boundary.

Use it only for fixed statements on hot paths; everything else goes through the session.
"""

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Executable
from sqlmodel import Session

Processor = Callable[[Any], Any] | None


class _Compiled:
    """One statement as one dialect runs it."""

    def __init__(self, statement: Any, dialect: Dialect, column_keys: Sequence[str] | None):
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        self.sql: str = compiled.string
        self.order: tuple[str, ...] | None = (
            tuple(compiled.positiontup) if compiled.positional else None
        )
        # name in the SQL -> (key in the caller's values, fixed value, type processor)
        self.binds: dict[str, tuple[str, Any, Processor]] = {}
        for bind, name in compiled.bind_names.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            fixed = _NEEDED if bind.required or bind.callable else bind.value
            if column_keys is not None and fixed is None and bind.key not in column_keys:
                fixed = _NEEDED  # a column default SQLAlchemy would compute: the caller must
            self.binds[name] = (bind.key, fixed, processor)
        self.results: list[Processor] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in _returned_columns(statement)
        ]

    def arguments(self, values: dict[str, Any]) -> Any:
        params: dict[str, Any] = {}
        for name, (key, fixed, processor) in self.binds.items():
            value = values[key] if fixed is _NEEDED else values.get(key, fixed)
            params[name] = value if processor is None or value is None else processor(value)
        if self.order is not None:
            return tuple(params[name] for name in self.order)
        return params

    def row(self, raw: Sequence[Any] | None) -> tuple[Any, ...] | None:
        if raw is None:
            return None
        return tuple(
            value if processor is None or value is None else processor(value)
            for processor, value in zip(self.results, raw, strict=True)
        )


_NEEDED = object()


def _returned_columns(statement: Any) -> list[Any]:
    if getattr(statement, "is_select", False):
        return list(statement.selected_columns)
    returning = getattr(statement, "_returning", ())  # INSERT ... RETURNING
    return list(returning)


class Prepared:
    """A fixed Core statement, compiled once per dialect and run on the raw connection.

    `column_keys` names the columns an INSERT sets (as `Connection.execute` would infer from
    its parameters); other statements leave it out.
    """

    def __init__(self, statement: Executable, column_keys: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._by_dialect: dict[str, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = _Compiled(self.statement, dialect, self.column_keys)
            self._by_dialect[dialect.name] = compiled
        return compiled

    def _run(self, session: Session, values: dict[str, Any]) -> tuple[_Compiled, Any]:
        connection = session.connection()
        compiled = self._for(connection.dialect)
        arguments = compiled.arguments(values)
        dbapi = connection.dialect.loaded_dbapi
        try:
            cursor = connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                compiled.sql, arguments
            )
        except dbapi.Error as error:
            # The same exception classes Connection.execute raises (IntegrityError, ...).
            raise exc.DBAPIError.instance(
                compiled.sql,
                arguments,
                error,
                dbapi.Error,
                dialect=connection.dialect,
            ) from error
        return compiled, cursor

    def first(self, session: Session, /, **values: Any) -> tuple[Any, ...] | None:
        """Run the statement; return its first row, with SQLAlchemy's types, or None."""
        compiled, cursor = self._run(session, values)
        return compiled.row(cursor.fetchone())

    def rowcount(self, session: Session, /, **values: Any) -> int:
        """Run the statement; return how many rows it changed."""
        _, cursor = self._run(session, values)
        return int(cursor.rowcount)


class PreparedInsert:
    """An INSERT into one table, prepared once for each set of columns it is given."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._by_columns: dict[frozenset[str], Prepared] = {}

    def _prepared(self, values: dict[str, Any]) -> Prepared:
        columns = frozenset(values)
        prepared = self._by_columns.get(columns)
        if prepared is None:
            prepared = self._by_columns[columns] = Prepared(self.statement, sorted(columns))
        return prepared

    def run(self, session: Session, /, **values: Any) -> None:
        """Insert one row."""
        self._prepared(values).rowcount(session, **values)

    def returning(self, session: Session, /, **values: Any) -> Any:
        """Insert one row; return the first column of its RETURNING clause."""
        row = self._prepared(values).first(session, **values)
        assert row is not None, "an INSERT ... RETURNING returned no row"
        return row[0]
