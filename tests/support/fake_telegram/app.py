"""The fake Bot API as an ASGI app: ``/bot{token}/{method}`` and ``/file/bot{token}/{path}``."""

import asyncio
import contextlib
import inspect
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import methods
from .forms import BadBody, decode_value, parse_body
from .state import BotApiState, SentCall
from .webhook import deliver_updates


def _error(error: methods.ApiError) -> JSONResponse:
    return JSONResponse(error.body(), status_code=error.status)


def create_app(
    state: BotApiState, *, webhook_attempts: int = 5, webhook_backoff: float = 0.05
) -> Starlette:
    """Build the fake Bot API serving ``state``."""

    async def call_method(request: Request) -> Response:
        """Answer one Bot API call and record it."""
        arrived = time.monotonic()
        name = request.path_params["method"]
        found = methods.find(name)
        method_name = found[0] if found else name
        params: dict[str, Any] = {
            key: decode_value(key, value) for key, value in request.query_params.items()
        }
        files = {}
        try:
            body_params, files = parse_body(
                request.headers.get("content-type", ""), await request.body()
            )
            params.update(body_params)
            result = await _answer(state, request.path_params["token"], found, params)
        except (methods.ApiError, BadBody) as exc:
            error = exc if isinstance(exc, methods.ApiError) else methods.bad_request(str(exc))
            state.record(SentCall(method_name, params, error.status, None, files, arrived))
            return _error(error)
        state.record(SentCall(method_name, params, 200, result, files, arrived))
        return JSONResponse({"ok": True, "result": result})

    async def download(request: Request) -> Response:
        """Serve a stored file's bytes."""
        if request.path_params["token"] != state.token:
            return _error(methods.ApiError(401, "Unauthorized"))
        stored = state.file_at(request.path_params["file_path"])
        if stored is None:
            return _error(methods.ApiError(404, "Not Found"))
        return Response(stored.data, media_type="application/octet-stream")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=5.0) as client:
            worker = asyncio.create_task(
                deliver_updates(state, client, attempts=webhook_attempts, backoff=webhook_backoff),
                name="fake-telegram-webhook",
            )
            try:
                yield
            finally:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker

    return Starlette(
        routes=[
            Route("/bot{token}/{method}", call_method, methods=["GET", "POST"]),
            Route("/file/bot{token}/{file_path:path}", download, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


async def _answer(
    state: BotApiState,
    token: str,
    found: tuple[str, methods.Handler] | None,
    params: dict[str, Any],
) -> Any:
    if token != state.token:
        raise methods.ApiError(401, "Unauthorized")
    if found is None:
        raise methods.ApiError(404, "Not Found: method not found")
    name, handler = found
    failure = state.pop_failure(name)
    if failure is not None:
        parameters = {"retry_after": failure.retry_after} if failure.retry_after else None
        raise methods.ApiError(failure.status, failure.description, parameters)
    if name in methods.CHAT_SENDS and params.get("chat_id") in state.blocked:
        raise methods.ApiError(403, "Forbidden: bot was blocked by the user")
    result = handler(state, params)
    if inspect.isawaitable(result):
        result = await result
    return result
