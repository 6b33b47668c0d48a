"""Read flow files: YAML with line numbers, strict schema, structural checks, the library."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from flows.events import ACTION_NAMES
from flows.findings import Finding, FlowError
from flows.flow import Flow, compile_flow
from flows.model import FlowSpec, NodeSpec
from flows.texts import FACES

BUILTIN_DIR = Path(__file__).parent / "builtin"

Loc = tuple[str | int, ...]


class _Reader:
    """Turn YAML into plain data while remembering the line of every key and item."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[Loc, int] = {}
        self.errors: list[Finding] = []
        self._loader = yaml.SafeLoader("")

    def read(self, text: str) -> Any:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            problem = getattr(exc, "problem", None) or str(exc)
            self.errors.append(
                Finding("yaml", f"bad YAML: {problem}", "error", self.file, None, line)
            )
            return None
        return None if root is None else self._convert(root, ())

    def _convert(self, node: yaml.Node, loc: Loc) -> Any:
        self.lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = self._loader.construct_object(key_node, deep=True)
                if not isinstance(key, str | int | bool):
                    key = str(key)
                line = key_node.start_mark.line + 1
                if key in result:
                    # A node's id comes first, so the duplicate's node is usually known.
                    node_id = result.get("id") if len(loc) == 2 and loc[0] == "nodes" else None
                    self.errors.append(
                        Finding(
                            "duplicate_key",
                            f"duplicate key {key!r}",
                            "error",
                            self.file,
                            node_id if isinstance(node_id, str) else None,
                            line,
                        )
                    )
                self.lines[(*loc, key)] = line
                # YAML turns a bare `yes`/`no` key into a bool; a flow means the word.
                if isinstance(key, bool):
                    key = "yes" if key else "no"
                result[key] = self._convert(value_node, (*loc, key))
                self.lines[(*loc, key)] = line
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self._convert(item, (*loc, index)) for index, item in enumerate(node.value)]
        return self._loader.construct_object(node, deep=True)

    def line(self, loc: Loc) -> int | None:
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get(())


def _node_id(data: Any, loc: Loc) -> str | None:
    if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
        try:
            node_id = data["nodes"][loc[1]].get("id")
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
        return node_id if isinstance(node_id, str) else None
    return None


def _schema_errors(exc: ValidationError, data: Any, reader: _Reader) -> list[Finding]:
    errors = []
    for error in exc.errors():
        loc: Loc = tuple(
            part
            for part in error["loc"]
            if not isinstance(part, str)
            or not part.startswith(("function-", "literal[", "int", "str"))
        )
        field = ".".join(str(part) for part in loc) or "flow"
        if error["type"] == "extra_forbidden":
            code, message = "unknown_key", f"unknown key {loc[-1]!r}"
        elif error["type"] == "missing":
            code, message = "missing_key", f"missing key {loc[-1]!r}"
        else:
            message = error["msg"].removeprefix("Value error, ")
            code, message = "bad_value", f"bad value for {field}: {message}"
        errors.append(
            Finding(code, message, "error", reader.file, _node_id(data, loc), reader.line(loc))
        )
    return errors


def _structure_errors(spec: FlowSpec, reader: _Reader) -> list[Finding]:
    errors: list[Finding] = []
    languages = list(spec.languages)
    base = languages[0]
    ids = [node.id for node in spec.nodes]
    known = set(ids)

    def add(code: str, message: str, node: str | None, loc: Loc) -> None:
        errors.append(Finding(code, message, "error", reader.file, node, reader.line(loc)))

    seen: set[str] = set()
    for index, node in enumerate(spec.nodes):
        loc: Loc = ("nodes", index)
        if node.id in seen:
            add("duplicate_node", f"duplicate node id {node.id!r}", node.id, (*loc, "id"))
        seen.add(node.id)
        errors.extend(_node_errors(node, loc, languages, base, known, reader))
    if spec.start is not None and spec.start not in known:
        add("missing_node", f"start goes to missing node {spec.start!r}", None, ("start",))
    return errors


def _node_errors(
    node: NodeSpec, loc: Loc, languages: list[str], base: str, known: set[str], reader: _Reader
) -> Iterator[Finding]:
    def error(code: str, message: str, where: Loc) -> Finding:
        return Finding(code, message, "error", reader.file, node.id, reader.line((*loc, *where)))

    texts: list[tuple[dict[str, str], Loc]] = []
    if node.say is not None:
        texts.append((node.say, ("say",)))
    ask = node.ask
    if ask is not None:
        if not node.say:
            yield error("question_without_text", "a question needs `say` text", ("ask",))
        if ask.type == "choice" and not ask.options:
            yield error("choice_without_options", "a choice needs options", ("ask",))
        if ask.type != "choice" and ask.options is not None:
            yield error(
                "options_not_allowed", f"a {ask.type} question takes no options", ("ask", "options")
            )
        if ask.scale is not None and ask.type != "faces":
            yield error("scale_not_allowed", "only a faces question has a scale", ("ask", "scale"))
        if ask.action is not None and (ask.type != "yesno" or ask.action not in ACTION_NAMES):
            yield error(
                "bad_action",
                f"ask action {ask.action!r} needs a yesno question and a known action",
                ("ask", "action"),
            )
        keys = [option.key for option in ask.options or ()]
        for index, option in enumerate(ask.options or ()):
            if keys.count(option.key) > 1 and keys.index(option.key) != index:
                yield error(
                    "duplicate_option",
                    f"duplicate option key {option.key!r}",
                    ("ask", "options", index),
                )
            texts.append((option.label, ("ask", "options", index, "label")))
            for language in option.words:
                if language not in languages:
                    yield error(
                        "unknown_language",
                        f"words in undeclared language {language!r}",
                        ("ask", "options", index, "words", language),
                    )
        if node.enter_flow or node.when_param or node.end:
            yield error(
                "question_cannot_exit",
                "a question cannot also end, branch on a param or enter a flow",
                ("ask",),
            )
    for text, where in texts:
        for language in text:
            if language not in languages:
                yield error(
                    "unknown_language",
                    f"text in undeclared language {language!r}",
                    (*where, language),
                )
        if not text.get(base):
            yield error("missing_text", f"missing {base!r} text", where)
    categories = _categories(node)
    for category, target in node.routes.items():
        if categories is not None and category not in categories:
            yield error(
                "unknown_category", f"route for unknown category {category!r}", ("routes", category)
            )
        if target not in known:
            yield error(
                "missing_node", f"route goes to missing node {target!r}", ("routes", category)
            )
    if node.next is not None and node.next not in known:
        yield error("missing_node", f"next goes to missing node {node.next!r}", ("next",))
    if node.end is not None and (node.next or node.routes or node.enter_flow):
        yield error("end_with_exit", "an end node cannot go on", ("end",))
    if node.action is not None and node.action.name not in ACTION_NAMES:
        yield error("bad_action", f"unknown action {node.action.name!r}", ("action", "name"))


def _categories(node: NodeSpec) -> set[str] | None:
    if node.when_param is not None:
        return {"present", "absent"}
    ask = node.ask
    if ask is None:
        return set()
    extra = {"other", "skipped", "timeout"}
    if ask.type in ("text", "voice_or_text"):
        return extra | {"text", "voice"}
    if ask.type == "yesno":
        return extra | {"yes", "no"}
    if ask.type == "faces":
        return extra | {key for key, _ in FACES[ask.scale or 5]}
    return extra | {option.key for option in ask.options or ()}


def parse_flow(text: str, *, file: str = "<flow>", path: Path | None = None) -> Flow:
    """Parse and compile flow YAML text; raise FlowError listing every structural problem."""
    reader = _Reader(file)
    data = reader.read(text)
    if reader.errors:
        raise FlowError(reader.errors)
    if not isinstance(data, dict):
        raise FlowError(
            [
                Finding(
                    "not_a_flow",
                    "a flow file must be a mapping",
                    "error",
                    file,
                    None,
                    reader.line(()),
                )
            ]
        )
    try:
        spec = FlowSpec.model_validate(data)
    except ValidationError as exc:
        raise FlowError(_schema_errors(exc, data, reader)) from None
    errors = _structure_errors(spec, reader)
    if errors:
        raise FlowError(errors)
    lines = {node.id: reader.line(("nodes", index)) or 0 for index, node in enumerate(spec.nodes)}
    return compile_flow(spec, path, lines)


def load_flow(path: Path | str) -> Flow:
    """Load one flow file; raise FlowError naming file, node and line on a structural problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError(
            [Finding("unreadable", f"cannot read: {exc}", "error", str(path))]
        ) from None
    return parse_flow(text, file=str(path), path=path)


class Library:
    """The flows a host can run, by id."""

    def __init__(self, flows: Iterable[Flow] = ()) -> None:
        self._flows: dict[str, Flow] = {flow.id: flow for flow in flows}

    def get(self, flow_id: str) -> Flow | None:
        """Return the flow with this id, or None."""
        return self._flows.get(flow_id)

    def ids(self) -> list[str]:
        """Return the ids of every flow, sorted."""
        return sorted(self._flows)

    def add(self, flow: Flow) -> None:
        """Add a flow, replacing any with the same id."""
        self._flows[flow.id] = flow

    def __contains__(self, flow_id: object) -> bool:
        return flow_id in self._flows

    def __iter__(self) -> Iterator[Flow]:
        return iter(self._flows.values())

    def __len__(self) -> int:
        return len(self._flows)

    def check_links(self, flows: Iterable[Flow] | None = None) -> list[Finding]:
        """Return an error for every `enter_flow` (of `flows`, default all) not in the library."""
        errors = []
        for flow in self if flows is None else flows:
            for node in flow.nodes.values():
                if node.enter_flow and node.enter_flow not in self._flows:
                    errors.append(
                        Finding(
                            "missing_flow",
                            f"enters missing flow {node.enter_flow!r}",
                            "error",
                            str(flow.path) if flow.path else flow.id,
                            node.id,
                            node.line,
                        )
                    )
        return errors


def flow_files(paths: Iterable[Path]) -> list[Path]:
    """Return the flow files named by `paths`, looking inside directories."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted([*path.glob("*.yaml"), *path.glob("*.yml")]))
        else:
            files.append(path)
    return files


def load_library(extra_dirs: Iterable[Path | str] | None = None) -> Library:
    """Load the built-in flows, then flows from `extra_dirs` (a same id replaces a built-in)."""
    library = Library()
    errors: list[Finding] = []
    dirs = [BUILTIN_DIR, *(Path(d) for d in extra_dirs or ())]
    for file in flow_files(dirs):
        try:
            library.add(load_flow(file))
        except FlowError as exc:
            errors.extend(exc.errors)
    errors.extend(library.check_links())
    if errors:
        raise FlowError(errors)
    return library
