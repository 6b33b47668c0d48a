"""Run a flow: `start` and `resume` take a session and an input, and return events.

The engine holds no state and does no I/O. The host stores `Step.session` (plain JSON),
delivers the messages and acts on the other events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flows.commands import COMMANDS, command_for
from flows.events import (
    Action,
    ConcernCategory,
    Ended,
    EndReason,
    Event,
    InputKind,
    Message,
    Option,
    ResultSaved,
    Safeguarding,
    Waiting,
)
from flows.findings import Finding, FlowError
from flows.flow import PLACEHOLDER, Flow, Node
from flows.loader import Library
from flows.safeguarding import concern_in
from flows.session import HISTORY_LIMIT, clean_params, new_session, parse_time, repair
from flows.texts import SYSTEM_TEXTS, language_name, system_text
from flows.understanding import Choice, Matcher, normalise

Signposting = str | Mapping[str, str] | None

# A say-only chain longer than this is a loop in the flow; stop rather than spin.
_MAX_HOPS = 64


@dataclass(frozen=True, slots=True)
class Input:
    """What the person sent: one of text, a tapped option key, a command, a voice note, or
    nothing before the question's timeout."""

    text: str | None = None
    choice: str | None = None
    command: str | None = None
    voice: str | None = None
    timed_out: bool = False

    def __post_init__(self) -> None:
        given = sum(x is not None for x in (self.text, self.choice, self.command, self.voice))
        if given + bool(self.timed_out) > 1:
            raise ValueError(
                "an Input carries exactly one of text, choice, command, voice, timed_out"
            )


@dataclass(frozen=True, slots=True)
class Step:
    """The outcome of one turn: the session to store and the events to act on."""

    session: dict[str, Any]
    events: list[Event]

    @property
    def ended(self) -> bool:
        """Return whether the flow is over."""
        return self.session.get("status") == "ended"

    @property
    def messages(self) -> list[Message]:
        """Return just the messages to send, in order."""
        return [event for event in self.events if isinstance(event, Message)]


def start(
    library: Library,
    flow_id: str,
    *,
    language: str = "en",
    now: datetime | None = None,
    params: Mapping[str, Any] | None = None,
    signposting: Signposting = None,
) -> Step:
    """Start `flow_id` for a person; raise FlowError when the library has no such flow."""
    flow = library.get(flow_id)
    if flow is None:
        raise FlowError([Finding("missing_flow", f"no flow {flow_id!r}", "error")])
    run = _Run(library, flow, new_session(flow, language, clean_params(params)), now, signposting)
    run.walk(flow.start)
    return run.step()


def resume(
    library: Library,
    session: Any,
    input: Input,
    *,
    now: datetime | None = None,
    signposting: Signposting = None,
) -> Step:
    """Take the person's input and return what happens next; never raises on a bad session."""
    flow_id = session.get("flow") if isinstance(session, dict) else None
    flow = library.get(flow_id) if isinstance(flow_id, str) else None
    clean = repair(session, flow)
    if flow is None or clean is None:
        return _restart(library, session, input, now, signposting)
    run = _Run(library, flow, clean, now, signposting)
    run.handle(input)
    return run.step()


def _restart(
    library: Library, session: Any, input: Input, now: datetime | None, signposting: Signposting
) -> Step:
    """Start again politely after a session we cannot trust (a flow edit, a corrupt store)."""
    stored = session if isinstance(session, dict) else {}
    flow_id = stored.get("flow")
    flow = library.get(flow_id) if isinstance(flow_id, str) else None
    if flow is None:
        flow = library.get("help") or next(iter(library), None)
    language = stored.get("language")
    if flow is None:
        return Step({"status": "ended"}, [])
    run = _Run(
        library,
        flow,
        new_session(
            flow,
            language if isinstance(language, str) else "en",
            clean_params(stored.get("params")),
        ),
        now,
        signposting,
    )
    if isinstance(input.text, str):
        concern = concern_in(input.text)
        if concern is not None:
            run.signpost(concern)
    run.say(system_text("restart", run.language), flow.start)
    run.walk(flow.start)
    return run.step()


class _Run:
    """One turn of one session: mutates its own copy of the session and collects events."""

    __slots__ = ("events", "flow", "library", "now", "session", "signposting")

    def __init__(
        self,
        library: Library,
        flow: Flow,
        session: dict[str, Any],
        now: datetime | None,
        signposting: Signposting,
    ) -> None:
        self.library = library
        self.flow = flow
        self.session = session
        if now is None:
            now = datetime.now(UTC)
        elif now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        self.now = now
        self.signposting = signposting
        self.events: list[Event] = []

    @property
    def language(self) -> str:
        return str(self.session["language"])

    @property
    def node(self) -> Node:
        return self.flow.nodes[self.session["node"]]

    def step(self) -> Step:
        return Step(self.session, self.events)

    # --- saying and asking -------------------------------------------------------------

    def say(
        self, text: str, node: str, options: tuple[Option, ...] = (), *, question: bool = False
    ) -> None:
        self.events.append(Message(text, options, self.language, node, question, self.flow.id))

    def render(self, node: Node) -> str:
        text = node.say.get(self.language, "")
        if node.templated:
            params = self.session["params"]
            # One pass, so a param that itself contains "{org}" is never expanded again.
            text = PLACEHOLDER.sub(lambda m: params.get(m.group(1), ""), text)
        return text

    def ask(self, node: Node) -> None:
        """Put the question at `node` to the person and wait."""
        assert node.ask is not None
        session = self.session
        session["node"] = node.id
        history = session["history"]
        if not history or history[-1] != node.id:
            history.append(node.id)
            del history[:-HISTORY_LIMIT]
        self.say(self.render(node), node.id, node.ask.options[self.language], question=True)
        timeout = node.ask.timeout
        self.wait(node.id, self.now + timeout if timeout else None)

    def wait(self, node_id: str, timeout_at: datetime | None) -> None:
        session = self.session
        session["status"] = "waiting"
        session["waiting_since"] = self.now.isoformat()
        session["expires_at"] = (self.now + self.flow.expiry).isoformat()
        self.events.append(
            Waiting(node_id, self.flow.id, timeout_at.isoformat() if timeout_at else None)
        )

    def ask_pending(self) -> None:
        """Put the pending side question (language or carry on) to the person again."""
        pending = self.session["pending"]
        node_id = self.session["node"]
        language = self.language
        if pending["kind"] == "language":
            options = tuple(Option(code, *language_name(code)) for code in self.flow.languages)
            self.say(system_text("language_question", language), node_id, options, question=True)
        else:
            options = (
                Option("yes", "✅", system_text("yes", language)),
                Option("no", "❌", system_text("no", language)),
            )
            self.say(system_text("carry_on", language), node_id, options, question=True)
        self.wait(node_id, None)

    def reask(self) -> None:
        if self.session["pending"]:
            self.ask_pending()
        else:
            self.ask(self.node)

    # --- moving through the flow -------------------------------------------------------

    def walk(self, node_id: str | None) -> None:
        """Go from `node_id` through says and branches until a question or an end."""
        session = self.session
        session["attempts"] = 0
        session["pending"] = None
        for _ in range(_MAX_HOPS):
            if node_id is None:
                self.end("completed")
                return
            node = self.flow.nodes[node_id]
            if node.action is not None:
                self.events.append(Action(*node.action))
            if node.when_param is not None:
                branch = "present" if session["params"].get(node.when_param) else "absent"
                node_id = node.routes.get(branch) or node.next
                continue
            if node.ask is not None:
                self.ask(node)
                return
            session["node"] = node.id
            if node.say:
                self.say(self.render(node), node.id)
            if node.enter_flow is not None:
                if not self.enter(node.enter_flow):
                    self.end("completed")
                    return
                node_id = self.flow.start
                continue
            if node.end is not None:
                self.end(node.end)  # type: ignore[arg-type]
                return
            node_id = node.next
        self.end("completed")

    def enter(self, flow_id: str) -> bool:
        """Switch this session into another flow, keeping language and params."""
        flow = self.library.get(flow_id)
        if flow is None:
            return False
        fresh = new_session(flow, self.language, self.session["params"])
        self.session.clear()
        self.session.update(fresh)
        self.flow = flow
        return True

    def end(self, reason: EndReason) -> None:
        session = self.session
        stack = session["stack"]
        forgot = any(isinstance(e, Action) and e.name == "forget" for e in self.events)
        if stack and reason == "completed" and not forgot:
            # Back from a side trip (the person said no to deleting): pick up where they were.
            parent = stack.pop()
            flow = self.library.get(parent.get("flow", ""))
            restored = repair(parent, flow)
            if flow is not None and restored is not None and restored["status"] == "waiting":
                restored["stack"] = stack
                self.session = restored
                self.flow = flow
                self.session["pending"] = None
                self.session["attempts"] = 0
                self.ask(self.node)
                return
        session["status"] = "ended"
        session["pending"] = None
        session["stack"] = []
        session["waiting_since"] = None
        self.events.append(Ended(self.flow.id, reason))

    def route(self, node: Node, category: str) -> None:
        self.walk(node.routes.get(category) or node.next)

    def save(self, node: Node, value: str, category: str, kind: InputKind) -> None:
        assert node.ask is not None
        # Typed words that are not an option (free text, or "other" after two tries) are the
        # person's own words: flagged for redaction, and never kept in the session.
        free_text = kind == "text" and category in ("text", "other")
        name = node.ask.result
        self.session["results"][name] = {"value": "" if free_text else value, "category": category}
        self.events.append(
            ResultSaved(self.flow.id, node.id, name, value, category, kind, free_text)
        )
        action = node.ask.action
        if action is not None and category in ("yes", "no"):
            self.events.append(Action(action, category))

    # --- handling input ----------------------------------------------------------------

    def handle(self, input: Input) -> None:
        session = self.session
        text = input.text
        norm = ""
        if text is not None:
            norm = normalise(text)
            concern = concern_in(text, norm=norm)
            if concern is not None:
                self.concern(concern, text)
                return
        if session["status"] == "ended":
            self.after_end(text, norm, input.command)
            return
        expires = parse_time(session["expires_at"])
        if expires is not None and self.now >= expires:
            self.say(system_text("expired", self.language), session["node"])
            self.end("expired")
            return
        command = None
        if text is not None:
            command = command_for(norm, text)
        elif input.command is not None:
            command = input.command if input.command in COMMANDS else None
            if command is None:
                self.not_understood("", "text")
                return
        if command is not None:
            self.command(command)
        elif session["pending"]:
            self.answer_pending(input, norm)
        else:
            self.answer(input, norm)

    def after_end(self, text: str | None, norm: str, command: str | None) -> None:
        command = command_for(norm, text) if text is not None else command
        target = {"help": "help", "forget": "forget"}.get(command or "")
        if target and self.library.get(target) is not None:
            self.session["stack"] = []
            self.enter(target)
            self.walk(self.flow.start)
            return
        self.say(system_text("ended", self.language), self.session["node"])

    def command(self, command: str) -> None:
        session = self.session
        language = self.language
        node_id = session["node"]
        pending = session["pending"]
        if command == "stop":
            self.say(system_text("goodbye", language), node_id)
            session["stack"] = []
            self.end("stopped")
        elif command == "help":
            self.say(system_text("help", language), node_id)
            self.reask()
        elif command == "repeat":
            self.reask()
        elif command == "back":
            self.back()
        elif command == "skip":
            if pending and pending["kind"] == "carry_on":
                self.walk(pending["continue"])
            elif pending:
                session["pending"] = None
                self.ask(self.node)
            else:
                self.save(self.node, "", "skipped", "skip")
                self.route(self.node, "skipped")
        elif command == "language":
            if len(self.flow.languages) < 2:
                self.reask()
            else:
                session["pending"] = {
                    "kind": "language",
                    "attempts": 0,
                    "continue": pending["continue"] if pending else None,
                }
                self.ask_pending()
        elif command == "forget":
            if self.flow.id == "forget" or self.library.get("forget") is None:
                self.reask()
                return
            parent = {key: value for key, value in session.items() if key != "stack"}
            stack = [*session["stack"], parent]
            self.enter("forget")
            self.session["stack"] = stack
            self.walk(self.flow.start)

    def back(self) -> None:
        session = self.session
        if session["pending"]:
            session["pending"] = None
            self.ask(self.node)
            return
        history = session["history"]
        if len(history) >= 2 and history[-2] in self.flow.nodes:
            history.pop()
            session["attempts"] = 0
            self.ask(self.flow.nodes[history[-1]])
            return
        self.say(system_text("first_question", self.language), session["node"])
        self.ask(self.node)

    def answer(self, input: Input, norm: str) -> None:
        node = self.node
        ask = node.ask
        assert ask is not None
        if input.timed_out:
            self.save(node, "", "timeout", "timeout")
            self.route(node, "timeout")
            return
        if ask.free_text:
            if input.text is not None:
                self.save(node, input.text, "text", "text")
                self.route(node, "text")
                return
            if input.voice is not None and ask.type == "voice_or_text":
                self.save(node, input.voice, "voice", "voice")
                self.route(node, "voice")
                return
        elif input.choice is not None:
            if input.choice in ask.matchers[self.language].keys:
                self.chosen(node, input.choice, "choice")
                return
        elif input.text is not None:
            hit = ask.matchers[self.language].match(norm)
            if hit is not None:
                self.chosen(node, hit.key, hit.input)  # type: ignore[arg-type]
                return
        raw = input.text if input.text is not None else input.choice or input.voice or ""
        self.not_understood(raw, "voice" if input.voice is not None else "text")

    def chosen(self, node: Node, key: str, kind: InputKind) -> None:
        assert node.ask is not None
        value = key
        if node.ask.faces:
            value = str(next(i for i, c in enumerate(node.ask.choices, 1) if c.key == key))
        self.save(node, value, key, kind)
        self.route(node, key)

    def not_understood(self, raw: str, kind: InputKind) -> None:
        session = self.session
        pending = session["pending"]
        if pending:
            if pending["attempts"] >= 1:
                self.give_up_pending()
                return
            pending["attempts"] = 1
            self.say(system_text("not_understood", self.language), session["node"])
            self.ask_pending()
            return
        if session["attempts"] >= 1:
            # Never a third ask: keep what they said and go on.
            node = self.node
            self.save(node, raw, "other", kind)
            self.route(node, "other")
            return
        session["attempts"] = 1
        self.say(system_text("not_understood", self.language), session["node"])
        self.ask(self.node)

    def give_up_pending(self) -> None:
        pending = self.session["pending"]
        if pending["kind"] == "carry_on":
            # After signposting, an unclear reply carries on: they can still say stop.
            self.walk(pending["continue"])
        else:
            self.session["pending"] = None
            self.ask(self.node)

    def answer_pending(self, input: Input, norm: str) -> None:
        session = self.session
        pending = session["pending"]
        if input.timed_out:
            if pending["kind"] == "carry_on":
                self.say(system_text("carry_on_stop", self.language), session["node"])
                self.end("stopped")
            else:
                session["pending"] = None
                self.answer(input, norm)
            return
        if pending["kind"] == "language":
            key = self._pending_key(input, norm, self.flow.languages)
            if key is None:
                self.not_understood("", "text")
                return
            session["language"] = key
            self.events.append(Action("language", key))
            if pending["continue"] is not None:
                # They changed language while asked whether to carry on: ask that again.
                session["pending"] = {
                    "kind": "carry_on",
                    "attempts": 0,
                    "continue": pending["continue"],
                }
                self.ask_pending()
            else:
                session["pending"] = None
                self.ask(self.node)
            return
        key = self._pending_key(input, norm, ["yes", "no"])
        if key is None:
            self.not_understood("", "text")
        elif key == "yes":
            self.walk(pending["continue"])
        else:
            self.say(system_text("carry_on_stop", self.language), session["node"])
            session["stack"] = []
            self.end("stopped")

    def _pending_key(self, input: Input, norm: str, keys: list[str]) -> str | None:
        if input.choice is not None:
            return input.choice if input.choice in keys else None
        if input.text is None:
            return None
        hit = _side_matcher(tuple(keys), self.language).match(norm)
        return hit.key if hit is not None else None

    # --- safeguarding ------------------------------------------------------------------

    def signpost(self, concern: ConcernCategory) -> None:
        language = self.language
        self.events.append(Safeguarding(concern, language, self.flow.id, self.session["node"]))
        self.say(self._signposting_text(language), self.session["node"])

    def _signposting_text(self, language: str) -> str:
        given = self.signposting
        if isinstance(given, str) and given:
            return given
        if isinstance(given, Mapping):
            text = given.get(language) or given.get("en")
            if text:
                return str(text)
        return system_text("signposting", language)

    def concern(self, concern: ConcernCategory, text: str) -> None:
        session = self.session
        if session["status"] == "ended":
            self.signpost(concern)
            return
        expires = parse_time(session["expires_at"])
        if expires is not None and self.now >= expires:
            self.signpost(concern)
            self.end("expired")
            return
        pending = session["pending"]
        node = self.node
        assert node.ask is not None
        after: str | None = node.id
        if pending and pending["kind"] == "carry_on":
            after = pending["continue"]
        elif not pending and node.ask.free_text:
            # Their words are their answer: keep them, then go on from there if they want.
            self.events.append(Safeguarding(concern, self.language, self.flow.id, node.id))
            self.save(node, text, "text", "text")
            self.say(self._signposting_text(self.language), node.id)
            session["pending"] = {
                "kind": "carry_on",
                "attempts": 0,
                "continue": node.routes.get("text") or node.next,
            }
            self.ask_pending()
            return
        self.signpost(concern)
        session["pending"] = {"kind": "carry_on", "attempts": 0, "continue": after}
        self.ask_pending()


_SIDE_MATCHERS: dict[tuple[tuple[str, ...], str], Matcher] = {}


def _side_matcher(keys: tuple[str, ...], language: str) -> Matcher:
    """Return a cached matcher for the engine's own questions (language, carry on)."""
    cached = _SIDE_MATCHERS.get((keys, language))
    if cached is None:
        if keys == ("yes", "no"):
            choices = [
                Choice("yes", "✅", SYSTEM_TEXTS["yes"], {}),
                Choice("no", "❌", SYSTEM_TEXTS["no"], {}),
            ]
        else:
            choices = [
                Choice(code, language_name(code)[0], {"en": language_name(code)[1]}, {})
                for code in keys
            ]
        cached = _SIDE_MATCHERS[(keys, language)] = Matcher(choices, language, keys)
    return cached
