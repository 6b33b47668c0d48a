"""Problems found in a flow file: errors refuse the flow, warnings only advise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem, with where it is: file, node and line (when known)."""

    code: str
    message: str
    level: Literal["error", "warning"] = "warning"
    file: str | None = None
    node: str | None = None
    line: int | None = None
    language: str | None = None

    def __str__(self) -> str:
        where = self.file or "<flow>"
        if self.line is not None:
            where += f":{self.line}"
        node = f" node {self.node!r}:" if self.node else ""
        return f"{where}:{node} {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as plain JSON."""
        return {
            "code": self.code,
            "message": self.message,
            "level": self.level,
            "file": self.file,
            "node": self.node,
            "line": self.line,
            "language": self.language,
        }


# The contract's name for an inspection warning.
Warning_ = Finding


class FlowError(Exception):
    """A flow cannot be loaded; `errors` lists every structural problem found."""

    def __init__(self, errors: list[Finding]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(error) for error in errors))

    @property
    def first(self) -> Finding:
        """Return the first error."""
        return self.errors[0]
