"""The flow library the API runs: loaded once per app, on first use."""

import threading
from typing import Annotated, Any

from fastapi import Depends, Request

from api.settings import Settings
from flows import load_library
from flows.loader import Library

_lock = threading.Lock()


def load_flows(settings: Settings) -> Library:
    """Load the built-in flows and those in HEARD_FLOWS_DIR (a same id replaces a built-in)."""
    return load_library([settings.flows_dir] if settings.flows_dir else None)


def library_for(state: Any, settings: Settings) -> Library:
    """Return the library cached on an app's state, loading it the first time."""
    library = getattr(state, "flow_library", None)
    if library is None:
        with _lock:
            library = getattr(state, "flow_library", None)
            if library is None:
                library = load_flows(settings)
                state.flow_library = library
    return library


async def get_library(request: Request) -> Library:
    """Return the app's flow library (async: no thread hop on the hot path)."""
    return library_for(request.app.state, request.app.state.settings)


LibraryDep = Annotated[Library, Depends(get_library)]
