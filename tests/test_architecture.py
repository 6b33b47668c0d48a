"""Dependencies point one way: flows <- api <- (HTTP) <- bot; only `heard` wires them together."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "flows": {"api", "bot", "heard"},
    "api": {"bot", "heard"},
    "bot": {"api", "heard"},
}


def imported_packages(package: str) -> dict[str, set[str]]:
    """Map each module file of a package to the top-level packages it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_downstream(package: str) -> None:
    modules = imported_packages(package)
    assert modules, f"{package} has no modules"
    offenders = {
        module: sorted(names & FORBIDDEN[package])
        for module, names in modules.items()
        if names & FORBIDDEN[package]
    }
    assert offenders == {}


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    # Guard against a checker that can never fail: parse a module that breaks the rule.
    tree = ast.parse("from api.models import Answer\nimport bot.identity\n")
    names = {
        (n.module or "").split(".")[0]
        if isinstance(n, ast.ImportFrom)
        else n.names[0].name.split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, ast.Import | ast.ImportFrom)
    }
    assert names & FORBIDDEN["flows"] == {"api", "bot"}
