"""A serving process sets its startup objects aside from the garbage collector, once ready."""

import gc
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from heard.server import GC_THRESHOLDS, settle_garbage_collector


@pytest.fixture
def restored_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


async def test_the_freeze_waits_for_startup_to_finish(restored_gc: None) -> None:
    app = FastAPI()
    order: list[str] = []

    async def load_flows(_app: FastAPI) -> None:
        order.append(f"startup, frozen={gc.get_freeze_count()}")

    app.state.startup_hooks = [load_flows]
    gc.unfreeze()
    settle_garbage_collector(app)
    assert gc.get_threshold() == GC_THRESHOLDS
    assert gc.get_freeze_count() == 0, "nothing is frozen before startup has run"
    for hook in app.state.startup_hooks:
        await hook(app)
    assert order == ["startup, frozen=0"]
    assert gc.get_freeze_count() > 1000  # the modules, routes and flows loaded so far


def test_an_app_without_startup_work_is_settled_at_once(restored_gc: None) -> None:
    gc.unfreeze()
    settle_garbage_collector(object())
    assert gc.get_freeze_count() > 1000
    assert gc.get_threshold() == GC_THRESHOLDS
