"""What the engine tells its host: frozen, JSON-safe events."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Literal

EndReason = Literal["completed", "stopped", "expired", "declined"]
InputKind = Literal["choice", "number", "text", "emoji", "voice", "skip", "timeout"]
ConcernCategory = Literal["suicide", "self_harm", "overdose", "unresponsive", "violence", "abuse"]


@dataclass(frozen=True, slots=True)
class Option:
    """One button: the key the host sends back, an emoji and a short word."""

    key: str
    emoji: str
    label: str

    def to_dict(self) -> dict[str, str]:
        """Return the option as plain JSON."""
        return {"key": self.key, "emoji": self.emoji, "label": self.label}


@dataclass(frozen=True, slots=True)
class Message:
    """Say this to the person; a question carries its options (none for free text)."""

    text: str
    options: tuple[Option, ...]
    language: str
    node: str
    question: bool
    flow: str
    kind: ClassVar[str] = "message"

    def to_dict(self) -> dict[str, Any]:
        """Return the event as plain JSON."""
        return {
            "kind": self.kind,
            "text": self.text,
            "options": [option.to_dict() for option in self.options],
            "language": self.language,
            "node": self.node,
            "question": self.question,
            "flow": self.flow,
        }


@dataclass(frozen=True, slots=True)
class ResultSaved:
    """Store this answer under `name`; free text still needs redacting by the host."""

    flow: str
    node: str
    name: str
    value: str
    category: str
    input: InputKind
    free_text: bool
    kind: ClassVar[str] = "result_saved"

    def to_dict(self) -> dict[str, Any]:
        """Return the event as plain JSON."""
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True, slots=True)
class Waiting:
    """The flow waits for the person at `node`, until `timeout_at` if the question has one."""

    node: str
    flow: str
    timeout_at: str | None
    kind: ClassVar[str] = "waiting"

    def to_dict(self) -> dict[str, Any]:
        """Return the event as plain JSON."""
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True, slots=True)
class Ended:
    """The flow is over; "declined" means the person said no to taking part."""

    flow: str
    reason: EndReason
    kind: ClassVar[str] = "ended"

    def to_dict(self) -> dict[str, Any]:
        """Return the event as plain JSON."""
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True, slots=True)
class Safeguarding:
    """The person wrote something that suggests danger; carries no text on purpose."""

    category: ConcernCategory
    language: str
    flow: str
    node: str
    kind: ClassVar[str] = "safeguarding"

    def to_dict(self) -> dict[str, Any]:
        """Return the event as plain JSON."""
        return {"kind": self.kind, **asdict(self)}


@dataclass(frozen=True, slots=True)
class Action:
    """Ask the host to do something: forget, consent, followups, voice_prompts, language."""

    name: str
    value: str
    kind: ClassVar[str] = "action"

    def to_dict(self) -> dict[str, Any]:
        """Return the event as plain JSON."""
        return {"kind": self.kind, **asdict(self)}


Event = Message | ResultSaved | Waiting | Ended | Safeguarding | Action

ACTION_NAMES = frozenset({"forget", "consent", "followups", "voice_prompts", "language"})
