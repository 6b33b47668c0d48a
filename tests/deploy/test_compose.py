"""docker-compose.yml has the layout the deploy needs (CI also runs `docker-compose config`)."""

from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_db_is_postgres_16_with_a_healthcheck_and_a_named_volume(compose: dict[str, Any]) -> None:
    db = compose["services"]["db"]
    assert db["image"] == "postgres:16"
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")[0]
    assert volume in compose["volumes"]
    assert "${POSTGRES_PASSWORD:?" in db["environment"]["POSTGRES_PASSWORD"]


def test_api_upgrades_the_schema_then_serves_after_a_healthy_db(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]
    script = " ".join(api["command"])
    assert script.index("heard db upgrade") < script.index("heard api")
    assert "--host 0.0.0.0" in script
    assert api["depends_on"]["db"]["condition"] == "service_healthy"
    assert api["env_file"] == ".env"
    assert api["environment"]["HEARD_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "@db:5432/" in api["environment"]["HEARD_DATABASE_URL"]


def test_bot_runs_heard_bot_after_the_api(compose: dict[str, Any]) -> None:
    bot = compose["services"]["bot"]
    assert bot["command"] == ["bot"]
    assert "api" in bot["depends_on"]
    assert bot["env_file"] == ".env"
    assert bot["environment"]["HEARD_API_URL"].endswith("http://api:8000}")


def test_the_image_runs_heard_as_a_user_without_privileges() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = [line for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert len(stages) == 2 and "AS builder" in stages[0]
    assert "\nUSER heard\n" in dockerfile
    assert "espeak-ng opus-tools" in dockerfile
    assert "HEALTHCHECK" in dockerfile and "/healthz" in dockerfile
    assert 'ENTRYPOINT ["heard"]' in dockerfile
