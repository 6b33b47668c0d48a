"""The flow file schema: what a YAML flow may say, checked strictly (unknown keys are errors)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Text = dict[str, str]
AskType = Literal["choice", "faces", "yesno", "text", "voice_or_text"]

_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: str) -> timedelta:
    """Turn "30m", "48h", "7d" or "2w" into a timedelta."""
    match = _DURATION.match(value)
    if match is None:
        raise ValueError(f"bad duration {value!r}: use a number and m, h, d or w, like 48h")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OptionSpec(_Strict):
    """One option of a choice: a key for routes, an emoji and a word or two per language."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    emoji: str = ""
    label: Text = Field(default_factory=dict)
    # More words that mean this option, per language ("dunno" for not_sure).
    words: dict[str, list[str]] = Field(default_factory=dict)


class AskSpec(_Strict):
    """A question: its kind, the result name its answer is saved under, and its options."""

    type: AskType
    result: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    scale: Literal[3, 5] | None = None
    options: list[OptionSpec] | None = None
    timeout: str | None = None
    # Emit Action(<action>, "yes"/"no") when a yes/no question gets one of those answers.
    action: str | None = None

    @field_validator("timeout")
    @classmethod
    def _timeout_is_duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value


class ActionSpec(_Strict):
    """Something the host should do when the flow reaches the node."""

    name: str
    value: str


class NodeSpec(_Strict):
    """A step of a flow: say something, maybe ask, then go on by category or to `next`."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    say: Text | None = None
    ask: AskSpec | None = None
    routes: dict[str, str] = Field(default_factory=dict)
    next: str | None = None
    # This node thanks the person or says goodbye; every ending must pass one.
    thanks: bool = False
    action: ActionSpec | None = None
    enter_flow: str | None = None
    end: Literal["completed", "declined"] | None = None
    # Route on whether the host gave this param: categories "present" and "absent".
    when_param: str | None = None


class FlowSpec(_Strict):
    """A whole flow file."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1)
    expiry: str
    languages: dict[str, Literal["draft", "reviewed"]] = Field(min_length=1)
    start: str | None = None
    nodes: list[NodeSpec] = Field(min_length=1)

    @field_validator("expiry")
    @classmethod
    def _expiry_is_duration(cls, value: str) -> str:
        parse_duration(value)
        return value
