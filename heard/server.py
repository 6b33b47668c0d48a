"""How `heard` runs uvicorn: JSON logs through our filter, no access log, graceful shutdown."""

from typing import Any

import uvicorn

# On SIGTERM uvicorn stops accepting, lets in-flight requests finish, then runs the
# lifespan shutdown. Bounded, so that a stuck request cannot hold a deploy; Docker's
# stop_grace_period (30 s in docker-compose.yml) must be longer than this.
GRACEFUL_SHUTDOWN_SECONDS = 20


def uvicorn_options() -> dict[str, Any]:
    """Return the uvicorn options every `heard` server uses."""
    return {
        # None: keep the root handler `heard.logs` set up (JSON, privacy filter).
        "log_config": None,
        # The access log prints raw paths (pseudonyms); the API logs route templates.
        "access_log": False,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
        "server_header": False,
    }


def run_server(app: Any, *, host: str, port: int) -> None:
    """Serve an ASGI app until SIGTERM or SIGINT, then finish in-flight requests."""
    uvicorn.run(app, host=host, port=port, **uvicorn_options())
