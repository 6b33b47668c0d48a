"""Check a loaded flow for what makes it hard to use: the accessibility linter and figures.

Length is counted on the message text as written, placeholders included and options not:
the channel shows options as buttons, and their labels are checked separately (an emoji and
one or two words each).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import textstat

from flows.findings import Finding
from flows.flow import PLACEHOLDER, Flow, Node

MAX_CHARS = 160
MIN_READING_EASE = 80.0
MAX_OPTIONS = 4
MIN_TIMEOUT = timedelta(hours=24)


def reading_ease(text: str) -> float:
    """Return the Flesch reading ease of English `text`, placeholders read as a short word."""
    return float(textstat.flesch_reading_ease(PLACEHOLDER.sub("it", text)))


def _texts(node: Node, flow: Flow) -> Iterator[tuple[str, str, dict[str, str]]]:
    """Yield (what, kind, text by language) for every text a node has, as written in the file."""
    spec = next(n for n in flow.spec.nodes if n.id == node.id)
    if spec.say:
        yield "say", "message", spec.say
    if spec.ask and spec.ask.options:
        for option in spec.ask.options:
            yield f"option {option.key!r}", "label", option.label


def _reachable(flow: Flow) -> set[str]:
    seen = {flow.start}
    todo = [flow.start]
    while todo:
        for target in flow.nodes[todo.pop()].exits():
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _ends_here(node: Node) -> bool:
    """Return whether some answer or branch at `node` leads nowhere, ending the flow."""
    if node.enter_flow is not None:
        return False
    if node.next is not None:
        return False
    if node.when_param is not None:
        return not {"present", "absent"} <= node.routes.keys()
    if node.ask is not None:
        return not node.ask.categories() <= node.routes.keys()
    return True


def _unthanked_ends(flow: Flow) -> list[Node]:
    ends: dict[str, Node] = {}
    seen: set[tuple[str, bool]] = set()
    todo = [(flow.start, False)]
    while todo:
        node_id, thanked = todo.pop()
        if (node_id, thanked) in seen:
            continue
        seen.add((node_id, thanked))
        node = flow.nodes[node_id]
        thanked = thanked or node.thanks
        if _ends_here(node) and not thanked:
            ends[node.id] = node
        todo.extend((target, thanked) for target in node.exits())
    return list(ends.values())


def inspect_flow(flow: Flow) -> list[Finding]:
    """Return warnings about a loaded flow, each naming its node and line."""
    file = str(flow.path) if flow.path else flow.id
    found: list[Finding] = []

    def warn(code: str, message: str, node: Node | None, language: str | None = None) -> None:
        found.append(
            Finding(
                code,
                message,
                "warning",
                file,
                node.id if node else None,
                node.line if node else None,
                language,
            )
        )

    reachable = _reachable(flow)
    for node in flow.nodes.values():
        if node.id not in reachable:
            warn("unreachable", "no path reaches this node", node)
    for node in _unthanked_ends(flow):
        warn(
            "no_thanks", "a path ends here without a thank-you (mark one node `thanks: true`)", node
        )
    for node in flow.nodes.values():
        found.extend(_node_warnings(flow, node, file))
    return found


def _node_warnings(flow: Flow, node: Node, file: str) -> Iterator[Finding]:
    def warning(code: str, message: str, language: str | None = None) -> Finding:
        return Finding(code, message, "warning", file, node.id, node.line, language)

    for what, kind, text in _texts(node, flow):
        for language in flow.languages:
            value = text.get(language)
            if not value:
                yield warning("missing_translation", f"{what} has no {language!r} text", language)
                continue
            if kind == "message" and len(value) > MAX_CHARS:
                yield warning(
                    "too_long",
                    f"{what} in {language!r} is {len(value)} characters (at most {MAX_CHARS})",
                    language,
                )
            if kind == "message" and language == "en":
                score = reading_ease(value)
                if score < MIN_READING_EASE:
                    yield warning(
                        "hard_to_read",
                        f"{what} scores {score:.0f} on reading ease "
                        f"(at least {MIN_READING_EASE:.0f})",
                        language,
                    )
            if kind == "label" and len(value.split()) > 2:
                yield warning(
                    "option_wordy", f"{what} in {language!r} is more than two words", language
                )
    ask = node.ask
    if ask is None:
        return
    # A face scale is a scale of up to five, not a list of choices to read.
    if not ask.faces and len(ask.choices) > MAX_OPTIONS:
        yield warning("too_many_options", f"{len(ask.choices)} options (at most {MAX_OPTIONS})")
    for choice in ask.choices:
        if not choice.emoji.strip():
            yield warning("option_incomplete", f"option {choice.key!r} has no emoji")
        if not any(label.strip() for label in choice.labels.values()):
            yield warning("option_incomplete", f"option {choice.key!r} has no word")
    if ask.timeout is not None and ask.timeout < MIN_TIMEOUT:
        yield warning("short_timeout", "timeout under 24 hours: give people a day or more")


def figures(flow: Flow) -> dict[str, Any]:
    """Return a flow's figures: messages, longest message, lowest reading ease, coverage."""
    messages = 0
    longest: dict[str, Any] = {"chars": 0, "node": None, "language": None}
    lowest: dict[str, Any] = {"score": None, "node": None}
    have = dict.fromkeys(flow.languages, 0)
    total = 0
    for node in flow.nodes.values():
        for _, kind, text in _texts(node, flow):
            total += 1
            for language in flow.languages:
                value = text.get(language)
                if not value:
                    continue
                have[language] += 1
                if kind != "message":
                    continue
                if len(value) > longest["chars"]:
                    longest = {"chars": len(value), "node": node.id, "language": language}
                if language == "en":
                    score = round(reading_ease(value), 1)
                    if lowest["score"] is None or score < lowest["score"]:
                        lowest = {"score": score, "node": node.id}
            if kind == "message":
                messages += 1
    coverage = {
        language: {
            "status": flow.language_status[language],
            "texts": have[language],
            "total": total,
            "percent": round(100 * have[language] / total, 1) if total else 100.0,
        }
        for language in flow.languages
    }
    return {
        "messages": messages,
        "longest": longest,
        "lowest_reading_ease": lowest,
        "coverage": coverage,
    }
