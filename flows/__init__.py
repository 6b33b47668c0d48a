"""Heard's flow engine: flow files, their checks, and a pure engine that runs them.

No I/O beyond reading flow files; imports nothing from `api`, `bot` or `heard`.
"""

from flows.engine import Input, Step, resume, start
from flows.events import Action, Ended, Event, Message, Option, ResultSaved, Safeguarding, Waiting
from flows.findings import Finding, FlowError, Warning_
from flows.flow import Flow
from flows.inspection import figures, inspect_flow
from flows.loader import Library, load_flow, load_library, parse_flow
from flows.texts import hint_for, system_text

__all__ = [
    "Action",
    "Ended",
    "Event",
    "Finding",
    "Flow",
    "FlowError",
    "Input",
    "Library",
    "Message",
    "Option",
    "ResultSaved",
    "Safeguarding",
    "Step",
    "Waiting",
    "Warning_",
    "figures",
    "hint_for",
    "inspect_flow",
    "load_flow",
    "load_library",
    "parse_flow",
    "resume",
    "start",
    "system_text",
]
