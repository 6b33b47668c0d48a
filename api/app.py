"""The FastAPI application factory."""

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import Engine

from api.db import make_engine
from api.errors import install_error_handlers
from api.settings import Settings, get_settings

# Each domain folder has a `views.py` with a `router`; this is the whole surface.
# Matched in this order on every request: the channel, the busiest by far, comes first.
ROUTER_MODULES = (
    "api.channel.views",
    "api.health",
    "api.admin.views",
    "api.voice.views",
    "api.prompts.views",
    "api.checkins.views",
    "api.themes.views",
    "api.insights.views",
    "api.loop.views",
    "api.proposals.views",
    "api.alerts.views",
    "api.observability.views",
)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    """Build the API for these settings (tests pass their own settings and engine)."""
    settings = settings or get_settings()
    engine = engine or make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for hook in app.state.startup_hooks:
            await hook(app)
        try:
            yield
        finally:
            for hook in reversed(app.state.shutdown_hooks):
                await hook(app)

    app = FastAPI(
        title="Heard API",
        version="1.0",
        description=(
            "Anonymous feedback and co-design from people services rarely hear from. "
            "Every group of endpoints has its own credential: send it as "
            "`Authorization: Bearer <key>`."
        ),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.startup_hooks = []
    app.state.shutdown_hooks = []
    install_error_handlers(app)
    for name in ROUTER_MODULES:
        module = importlib.import_module(name)
        app.include_router(module.router)
        setup = getattr(module, "setup", None)
        if setup is not None:
            setup(app)
    return app
