"""`flows` is pure: it imports nothing from api, bot or heard, and does no I/O but read files."""

from __future__ import annotations

import ast
from pathlib import Path

import flows

PACKAGE = Path(flows.__file__).parent
FORBIDDEN = {
    "api",
    "bot",
    "heard",
    "socket",
    "httpx",
    "requests",
    "urllib",
    "sqlite3",
    "sqlalchemy",
    "sqlmodel",
    "subprocess",
    "logging",
    "telegram",
    "asyncio",
    "os",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_flows_imports_nothing_it_must_not() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) >= 10
    for path in files:
        bad = _imports(path) & FORBIDDEN
        assert not bad, f"{path.name} imports {bad}"


def test_flows_reads_files_only_in_the_loader() -> None:
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for call in ("open(", ".write_text(", ".write_bytes(", ".unlink(", "print("):
            assert call not in source, f"{path.name} calls {call}"
        if path.name != "loader.py":
            assert ".read_text(" not in source, path.name
