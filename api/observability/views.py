"""Route: `/metrics`, Prometheus text. Public unless HEARD_METRICS_TOKEN is set."""

import hmac

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from api.deps import Credentials, SettingsDep
from api.errors import Unauthorized
from api.observability.middleware import RequestMetricsMiddleware
from api.observability.scrape import render_metrics

router = APIRouter(tags=["public"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    description=(
        "Messages in and out, flow starts and completions, outbox depth and age, "
        "safeguarding alerts and request latency by route template, in Prometheus text "
        "format. No label carries a pseudonym, a site name or any text. Public unless "
        "HEARD_METRICS_TOKEN is set; then send it as `Authorization: Bearer <token>`."
    ),
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
async def metrics(request: Request, settings: SettingsDep, credentials: Credentials) -> Response:
    """Expose this process's counters and the database's gauges."""
    if settings.metrics_token is not None:
        expected = settings.metrics_token.get_secret_value().encode()
        given = (credentials.credentials if credentials else "").encode()
        if not given or not hmac.compare_digest(given, expected):
            raise Unauthorized("Send the metrics token as 'Authorization: Bearer <token>'.")
    body = await run_in_threadpool(render_metrics, request.app.state.engine)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def setup(app: FastAPI) -> None:
    """Time every request by route template."""
    app.add_middleware(RequestMetricsMiddleware)
