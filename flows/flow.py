"""A flow compiled for running: plain structures, every text and matcher ready per language."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flows.events import Option
from flows.model import AskSpec, FlowSpec, NodeSpec, parse_duration
from flows.texts import FACE_WORDS, FACES, SYSTEM_TEXTS
from flows.understanding import Choice, Matcher

PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")

FREE_TEXT_TYPES = frozenset({"text", "voice_or_text"})


@dataclass(slots=True)
class Ask:
    """A compiled question."""

    type: str
    result: str
    choices: tuple[Choice, ...]
    options: dict[str, tuple[Option, ...]]  # rendered per language
    matchers: dict[str, Matcher]
    faces: bool
    timeout: timedelta | None
    action: str | None

    @property
    def free_text(self) -> bool:
        """Return whether any text is an answer."""
        return self.type in FREE_TEXT_TYPES

    def categories(self) -> set[str]:
        """Return every category an answer to this question can take."""
        extra = {"other", "skipped", "timeout"}
        if self.free_text:
            return extra | {"text", "voice"}
        return extra | {choice.key for choice in self.choices}


@dataclass(slots=True)
class Node:
    """A compiled node."""

    id: str
    say: dict[str, str]  # every flow language, falling back to the base language
    templated: bool
    ask: Ask | None
    routes: dict[str, str]
    next: str | None
    thanks: bool
    action: tuple[str, str] | None
    enter_flow: str | None
    end: str | None
    when_param: str | None
    line: int | None

    def exits(self) -> list[str]:
        """Return the ids of every node this node can go to."""
        targets = list(self.routes.values())
        if self.next:
            targets.append(self.next)
        return list(dict.fromkeys(targets))


@dataclass(slots=True)
class Flow:
    """A loaded, compiled flow."""

    id: str
    version: int
    expiry: timedelta
    language_status: dict[str, str]
    start: str
    nodes: dict[str, Node]
    spec: FlowSpec
    path: Path | None = None
    lines: dict[str, int] = field(default_factory=dict)

    @property
    def languages(self) -> list[str]:
        """Return the flow's languages, base language first."""
        return list(self.language_status)

    @property
    def base_language(self) -> str:
        """Return the language every text must have."""
        return next(iter(self.language_status))


def _fill(text: dict[str, str] | None, languages: list[str]) -> dict[str, str]:
    text = text or {}
    base = text.get(languages[0], "")
    return {language: text.get(language) or base for language in languages}


def _choices(ask: AskSpec) -> tuple[Choice, ...]:
    if ask.type == "faces":
        return tuple(
            Choice(key, emoji, FACE_WORDS[key], {}) for key, emoji in FACES[ask.scale or 5]
        )
    if ask.type == "yesno":
        return (
            Choice("yes", "✅", SYSTEM_TEXTS["yes"], {}),
            Choice("no", "❌", SYSTEM_TEXTS["no"], {}),
        )
    return tuple(
        Choice(option.key, option.emoji, option.label, option.words) for option in ask.options or ()
    )


def compile_ask(ask: AskSpec, languages: list[str]) -> Ask:
    """Compile a question: options rendered and a matcher built for each language."""
    choices = _choices(ask)
    options: dict[str, tuple[Option, ...]] = {}
    matchers: dict[str, Matcher] = {}
    for language in languages:
        options[language] = tuple(
            Option(c.key, c.emoji, c.labels.get(language) or c.labels.get(languages[0], ""))
            for c in choices
        )
        if choices:
            matchers[language] = Matcher(choices, language, languages)
    return Ask(
        type=ask.type,
        result=ask.result,
        choices=choices,
        options=options,
        matchers=matchers,
        faces=ask.type == "faces",
        timeout=parse_duration(ask.timeout) if ask.timeout else None,
        action=ask.action,
    )


def compile_node(node: NodeSpec, languages: list[str], line: int | None) -> Node:
    """Compile one node of a valid flow."""
    say = _fill(node.say, languages) if node.say else {}
    return Node(
        id=node.id,
        say=say,
        templated=any(PLACEHOLDER.search(text) for text in say.values()),
        ask=compile_ask(node.ask, languages) if node.ask else None,
        routes=dict(node.routes),
        next=node.next,
        thanks=node.thanks,
        action=(node.action.name, node.action.value) if node.action else None,
        enter_flow=node.enter_flow,
        end=node.end,
        when_param=node.when_param,
        line=line,
    )


def compile_flow(spec: FlowSpec, path: Path | None, lines: dict[str, int]) -> Flow:
    """Compile a structurally valid flow spec."""
    languages = list(spec.languages)
    nodes = {node.id: compile_node(node, languages, lines.get(node.id)) for node in spec.nodes}
    return Flow(
        id=spec.id,
        version=spec.version,
        expiry=parse_duration(spec.expiry),
        language_status=dict(spec.languages),
        start=spec.start or spec.nodes[0].id,
        nodes=nodes,
        spec=spec,
        path=path,
        lines=lines,
    )
