"""Public liveness: `/healthz` answers 200 when the database answers, 503 when it does not."""

import logging

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

router = APIRouter(tags=["public"])
log = logging.getLogger(__name__)

# A load balancer's check gives up after a few seconds; answer before it does.
DATABASE_CHECK_SECONDS = 3.0


class Health(BaseModel):
    status: str
    database: str


def _ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


@router.get(
    "/healthz",
    response_model=Health,
    summary="Liveness and database check",
    description=(
        '200 `{"status": "ok", "database": "ok"}` when the API and its database answer; '
        '503 `{"status": "unavailable", "database": "unreachable"|"timeout"}` when '
        "the database does not. Public, for load balancers and container health checks."
    ),
    responses={503: {"model": Health, "description": "The database did not answer."}},
)
async def healthz(request: Request) -> Health | JSONResponse:
    """Say whether the API and its database are up."""
    problem = None
    with anyio.move_on_after(DATABASE_CHECK_SECONDS) as scope:
        try:
            # A hung connection attempt is left behind in its thread, not waited for.
            await anyio.to_thread.run_sync(_ping, request.app.state.engine, abandon_on_cancel=True)
        except SQLAlchemyError as error:
            # The message can name hosts; the class is enough to tell what happened.
            log.warning("database_unreachable", extra={"error": type(error).__name__})
            problem = "unreachable"
    if scope.cancelled_caught:
        log.warning("database_timeout", extra={"seconds": DATABASE_CHECK_SECONDS})
        problem = "timeout"
    if problem is not None:
        return JSONResponse({"status": "unavailable", "database": problem}, status_code=503)
    return Health(status="ok", database="ok")
