"""A scripted person for flow tests: start a flow, answer each question, keep the transcript."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flows import Ended, Input, Library, Message, ResultSaved, Step, resume, start

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

Answer = Callable[[Message, "Chat"], Input]


@dataclass
class Chat:
    """A conversation with one flow, step by step."""

    library: Library
    flow: str
    language: str = "en"
    params: dict[str, str] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.steps.append(
            start(self.library, self.flow, language=self.language, now=NOW, params=self.params)
        )

    @property
    def step(self) -> Step:
        return self.steps[-1]

    @property
    def session(self) -> dict[str, Any]:
        return self.step.session

    def send(self, input: Input | str) -> Step:
        if isinstance(input, str):
            input = Input(text=input)
        self.steps.append(resume(self.library, self.session, input, now=NOW))
        return self.step

    @property
    def question(self) -> Message:
        """Return the question the person is looking at now."""
        return [m for m in self.step.messages if m.question][-1]

    def events(self) -> list[Any]:
        return [event for step in self.steps for event in step.events]

    def results(self) -> list[ResultSaved]:
        return [e for e in self.events() if isinstance(e, ResultSaved)]

    def messages(self) -> list[Message]:
        return [e for e in self.events() if isinstance(e, Message)]

    def ended(self) -> Ended | None:
        ends = [e for e in self.events() if isinstance(e, Ended)]
        return ends[-1] if ends else None

    def play(self, answer: Answer, limit: int = 40) -> Chat:
        """Answer every question with `answer` until the flow ends."""
        for _ in range(limit):
            if self.step.ended:
                return self
            self.send(answer(self.question, self))
        raise AssertionError(f"{self.flow} did not end after {limit} answers")
