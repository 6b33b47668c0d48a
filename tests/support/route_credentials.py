"""Which credential each /v1 endpoint accepts, read from the route's own dependencies."""

import inspect
import re
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from api.deps import require_channel

CHANNEL = "channel"


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    allowed: frozenset[str]  # roles, or {"channel"}

    @property
    def url(self) -> str:
        # Any value matches a path template, and auth is checked before the value is. No row
        # has this id, so a DELETE let in (revoke key 1: the admin's) destroys nothing.
        return re.sub(r"\{[^}]+\}", "999999", self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _credentials_of(route: APIRoute) -> set[str]:
    """Return who the route's dependencies let in: roles, or "channel"."""
    found: set[str] = set()

    def walk(dependant) -> None:  # type: ignore[no-untyped-def]
        for sub in dependant.dependencies:
            call = sub.call
            if call is require_channel:
                found.add(CHANNEL)
            elif getattr(call, "__name__", "").startswith("require_"):
                allowed = inspect.getclosurevars(call).nonlocals.get("allowed")
                assert allowed, f"{call.__name__} does not say which roles it allows"
                found.update(allowed)
            walk(sub)

    walk(route.dependant)
    return found


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Return every /v1 endpoint of the app with the credentials it accepts."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not (context.path or "").startswith("/v1/"):
            continue
        allowed = _credentials_of(route)
        for method in sorted(context.methods or ()):
            found.append(Endpoint(method, context.path or "", frozenset(allowed)))
    return found
