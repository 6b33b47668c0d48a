"""`heard keys`, `heard sites` and `heard db`: an admin's commands on a real database."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.db import make_engine
from api.deps import hash_key
from api.migrations import current_revision
from api.models import ApiKey
from api.settings import get_settings
from heard.cli_admin import db_app, keys_app, sites_app

app = typer.Typer()
app.add_typer(keys_app, name="keys")
app.add_typer(sites_app, name="sites")
app.add_typer(db_app, name="db")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("HEARD_DATABASE_URL", url)
    monkeypatch.setenv("HEARD_ENV", "development")
    monkeypatch.setenv("HEARD_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_keys_create_prints_the_key_alone_on_its_last_line_and_stores_its_hash(
    database: str,
) -> None:
    code, out, _ = _run("keys", "create", "--role", "outreach", "--label", "Sam")
    assert code == 0
    key = out.strip().splitlines()[-1]
    assert re.fullmatch(r"hk_[A-Za-z0-9_-]{40,}", key)
    engine = make_engine(database)
    with Session(engine) as session:
        row = session.exec(select(ApiKey)).one()
    engine.dispose()
    assert (row.role, row.label, row.key_hash) == ("outreach", "Sam", hash_key(key))
    assert key not in str(row.model_dump())


def test_keys_list_and_revoke(database: str) -> None:
    _run("keys", "create", "--role", "admin")
    code, out, _ = _run("keys", "list")
    assert code == 0 and "admin" in out and "active" in out
    assert _run("keys", "revoke", "1")[0] == 0
    assert "revoked" in _run("keys", "list")[1]
    code, _, err = _run("keys", "revoke", "99")
    assert code == 1 and "no key 99" in err


def test_a_bad_role_is_refused(database: str) -> None:
    code, _, err = _run("keys", "create", "--role", "boss")
    assert code == 1 and "admin, coordinator, outreach" in err


def test_sites_create_and_list(database: str) -> None:
    code, out, _ = _run("sites", "create", "Riverside hostel")
    assert code == 0 and out.strip().splitlines()[-1] == "1"
    assert "Riverside hostel" in _run("sites", "list")[1]


def test_db_upgrade_migrates_to_the_newest_revision(database: str) -> None:
    code, out, _ = _run("db", "upgrade")
    assert code == 0
    assert current_revision(database) is not None
    assert f"revision {current_revision(database)}" in out


def test_db_purge_runs(database: str) -> None:
    code, out, _ = _run("db", "purge")
    assert code == 0, out
    assert "Purged data older than 90 days" in out


def test_every_command_has_help() -> None:
    for args in (
        ["keys"],
        ["keys", "create"],
        ["sites", "create"],
        ["db", "upgrade"],
        ["db", "purge"],
    ):
        result = CliRunner().invoke(app, [*args, "--help"])
        assert result.exit_code == 0 and "Usage" in result.stdout
