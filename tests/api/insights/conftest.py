"""Fixtures for insights tests: coordinator and outreach headers, and a row builder."""

import pytest
from heard_testing import bearer
from insights_builder import Builder
from sqlalchemy.engine import Engine


@pytest.fixture
def build(engine: Engine) -> Builder:
    return Builder(engine)


@pytest.fixture
def coordinator(keys: dict[str, str]) -> dict[str, str]:
    return bearer(keys["coordinator"])


@pytest.fixture
def outreach(keys: dict[str, str]) -> dict[str, str]:
    return bearer(keys["outreach"])
