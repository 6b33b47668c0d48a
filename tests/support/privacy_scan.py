"""Dump every stored value, to prove that planted personal details never reached the database.

`scan_database(engine)` returns one big string of every row of every table (bytes decoded
loosely, JSON as text); a test then asserts that none of its planted details is in it.
"""

import json
from typing import Any

from sqlalchemy import MetaData, inspect, select
from sqlalchemy.engine import Engine


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def table_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of every table in the database (reflected, not from the models)."""
    metadata = MetaData()
    metadata.reflect(engine)
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for name in inspect(engine).get_table_names():
            rows[name] = [tuple(row) for row in connection.execute(select(metadata.tables[name]))]
    return rows


def scan_database(engine: Engine) -> str:
    """Return every stored value of every table as one string, a line per row."""
    lines = []
    for name, rows in table_rows(engine).items():
        for row in rows:
            lines.append(f"{name}: " + " | ".join(_as_text(value) for value in row))
    return "\n".join(lines)


def rows_mentioning(engine: Engine, needle: str) -> list[str]:
    """Return the lines of `scan_database` that contain `needle` (e.g. a pseudonym)."""
    return [line for line in scan_database(engine).splitlines() if needle in line]
