"""The session a host stores between messages: create it, and repair whatever comes back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flows.flow import Flow

HISTORY_LIMIT = 30
PENDING_KINDS = frozenset({"language", "carry_on"})
RESULT_CATEGORY_LIMIT = 64


def new_session(flow: Flow, language: str, params: dict[str, str]) -> dict[str, Any]:
    """Return a fresh session for `flow`, not yet at any node."""
    return {
        "flow": flow.id,
        "flow_version": flow.version,
        "language": language if language in flow.language_status else flow.base_language,
        "node": flow.start,
        "attempts": 0,
        "history": [],
        "results": {},
        "params": params,
        "status": "waiting",
        "pending": None,
        "waiting_since": None,
        "expires_at": None,
        "stack": [],
    }


def clean_params(params: Any) -> dict[str, str]:
    """Return params as str -> str, dropping anything else."""
    if not isinstance(params, dict):
        return {}
    return {
        str(key): value if isinstance(value, str) else str(value)
        for key, value in params.items()
        if isinstance(key, str) and value is not None and isinstance(value, str | int | float)
    }


def parse_time(value: Any) -> datetime | None:
    """Return an aware datetime from ISO text, or None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def repair(session: Any, flow: Flow | None) -> dict[str, Any] | None:
    """Return a clean copy of a stored session, or None when it cannot be trusted."""
    if not isinstance(session, dict) or flow is None:
        return None
    status = session.get("status")
    if status not in ("waiting", "ended"):
        return None
    language = session.get("language")
    if not isinstance(language, str) or language not in flow.language_status:
        language = flow.base_language
    node = session.get("node")
    if status == "waiting":
        current = flow.nodes.get(node) if isinstance(node, str) else None
        if current is None or current.ask is None:
            return None
    attempts = session.get("attempts")
    history = session.get("history")
    results = session.get("results")
    pending = _repair_pending(session.get("pending"), flow)
    stack = session.get("stack")
    version = session.get("flow_version")
    return {
        "flow": flow.id,
        "flow_version": version if isinstance(version, int) else flow.version,
        "language": language,
        "node": node if isinstance(node, str) else flow.start,
        "attempts": 1 if attempts == 1 else 0,
        "history": [h for h in history if isinstance(h, str) and h in flow.nodes][-HISTORY_LIMIT:]
        if isinstance(history, list)
        else [],
        "results": {
            name: {"value": str(result.get("value", "")), "category": str(result.get("category"))}
            for name, result in results.items()
            if isinstance(name, str) and isinstance(result, dict)
        }
        if isinstance(results, dict)
        else {},
        "params": clean_params(session.get("params")),
        "status": status,
        "pending": pending,
        "waiting_since": session.get("waiting_since")
        if isinstance(session.get("waiting_since"), str)
        else None,
        "expires_at": session.get("expires_at") if parse_time(session.get("expires_at")) else None,
        "stack": [entry for entry in stack if isinstance(entry, dict)]
        if isinstance(stack, list)
        else [],
    }


def _repair_pending(pending: Any, flow: Flow) -> dict[str, Any] | None:
    if not isinstance(pending, dict) or pending.get("kind") not in PENDING_KINDS:
        return None
    after = pending.get("continue")
    if after is not None and (not isinstance(after, str) or after not in flow.nodes):
        return None
    return {
        "kind": pending["kind"],
        "attempts": 1 if pending.get("attempts") == 1 else 0,
        "continue": after,
    }
