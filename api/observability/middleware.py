"""Time every HTTP request by its route template and log one line for it.

The raw path is never used: `/v1/channel/participants/{pseudonym}` would put a pseudonym
into a metric label or a log line. Starlette records the matched route in the scope.
"""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.observability.metrics import REQUEST_LATENCY

log = logging.getLogger("heard.access")

# Requests that matched no route: one label, whatever the path was.
UNMATCHED = "<unmatched>"


def route_template(scope: Scope) -> str:
    """Return the template of the route this request matched, or a fixed label."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class RequestMetricsMiddleware:
    """Observe latency by method, route template and status; log the same, nothing more."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = str(scope.get("method", "GET"))
            REQUEST_LATENCY.labels(method=method, route=route, status=str(status)).observe(elapsed)
            log.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
