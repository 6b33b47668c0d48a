"""`heard doctor`: plain findings with what to do, exit 1 on problems, getMe via the fake."""

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from fake_telegram import BOT_USER, FakeTelegram
from pydantic import SecretStr
from typer.testing import CliRunner

from api.db import create_schema, make_engine
from api.migrations import upgrade_database
from api.settings import Settings
from bot.settings import BotSettings
from heard.cli import app
from heard.doctor import (
    Finding,
    check_database,
    check_keys,
    check_telegram,
    check_voice_tools,
    check_webhook,
)

STRONG = "q8Xr2LmT5vWz9KdP3sHy7BnC4fJg6AeU1oRi"
USERNAME = str(BOT_USER["username"])


def statuses(findings: list[Finding]) -> list[str]:
    return [f.status for f in findings]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


def production_keys() -> dict[str, SecretStr]:
    return {
        "channel_token": SecretStr(STRONG),
        "pseudonym_key": SecretStr(STRONG[::-1] + "x"),
        "address_key": SecretStr(Fernet.generate_key().decode()),
    }


# --- Telegram --------------------------------------------------------------------------


def test_get_me_through_the_fake_says_the_token_works(telegram: FakeTelegram) -> None:
    bot = BotSettings(
        telegram_token=SecretStr(telegram.token), telegram_api_base_url=telegram.base_url
    )
    found = check_telegram(Settings(telegram_bot_username=USERNAME), bot)
    assert statuses(found) == ["ok"]
    assert f"@{USERNAME}" in found[0].message
    assert telegram.token not in found[0].message


def test_a_username_that_does_not_match_the_token_is_a_problem(telegram: FakeTelegram) -> None:
    bot = BotSettings(
        telegram_token=SecretStr(telegram.token), telegram_api_base_url=telegram.base_url
    )
    found = check_telegram(Settings(telegram_bot_username="SomeOtherBot"), bot)
    assert statuses(found) == ["ok", "problem"]
    assert f"HEARD_TELEGRAM_BOT_USERNAME={USERNAME}" in found[1].fix


def test_a_refused_token_is_a_problem(telegram: FakeTelegram) -> None:
    wrong = "123456:" + "A" * 35
    bot = BotSettings(telegram_token=SecretStr(wrong), telegram_api_base_url=telegram.base_url)
    (finding,) = check_telegram(Settings(), bot)
    assert finding.status == "problem"
    assert "@BotFather" in finding.fix
    assert wrong not in finding.message + finding.fix


def test_telegram_out_of_reach_is_a_warning_not_a_crash() -> None:
    bot = BotSettings(
        telegram_token=SecretStr("123456:" + "B" * 35),
        telegram_api_base_url=f"http://127.0.0.1:{closed_port()}/bot",
    )
    (finding,) = check_telegram(Settings(), bot, timeout=2)
    assert finding.status == "warning"
    assert "Could not reach Telegram" in finding.message


# --- webhook ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "secret", "expected"),
    [
        (None, None, ["ok"]),
        (None, STRONG, ["ok", "warning"]),
        ("https://heard.example.org/telegram/webhook", STRONG, ["ok", "ok"]),
        ("https://heard.example.org/telegram/webhook", None, ["ok", "warning"]),
        ("http://heard.example.org/telegram/webhook", STRONG, ["problem", "ok"]),
        ("https://heard.example.org:9000/hook", STRONG, ["problem", "ok"]),
        ("https://localhost/hook", STRONG, ["problem", "ok"]),
        ("https://heard.example.org/hook", "has spaces and $igns", ["ok", "problem"]),
        ("https://heard.example.org/hook", "Zx9q", ["ok", "warning"]),
    ],
)
def test_webhook_url_and_secret_must_agree(
    url: str | None, secret: str | None, expected: list[str]
) -> None:
    bot = BotSettings(
        telegram_webhook_url=url,
        telegram_webhook_secret=SecretStr(secret) if secret else None,
    )
    found = check_webhook(bot)
    assert statuses(found) == expected
    assert all(f.fix for f in found if f.status != "ok")
    if secret:
        assert all(secret not in f.message + f.fix for f in found)


# --- keys ---------------------------------------------------------------------------------


def test_missing_keys_are_problems_in_production_and_warnings_in_development() -> None:
    production = check_keys(Settings(env="production"), BotSettings(env="production"))
    assert statuses(production) == ["problem"] * 4
    assert all("Make one with python -c" in f.fix for f in production)
    development = check_keys(Settings(), BotSettings())
    assert statuses(development) == ["warning"] * 4


def test_weak_invalid_and_reused_keys_are_problems() -> None:
    api = Settings(
        env="production", channel_token=SecretStr("changeme"), voice_key=SecretStr("nope")
    )
    bot = BotSettings(
        env="production",
        channel_token=SecretStr("changeme"),
        pseudonym_key=SecretStr(STRONG),
        address_key=SecretStr(STRONG),
    )
    found = {f.message: f.status for f in check_keys(api, bot)}
    assert found["HEARD_CHANNEL_TOKEN is weak: use 32 or more random characters."] == "problem"
    assert found["HEARD_PSEUDONYM_KEY is set."] == "ok"
    assert (
        found["HEARD_ADDRESS_KEY is not a Fernet key (32 bytes in URL-safe base64)."] == "problem"
    )
    assert found["HEARD_VOICE_KEY is not a Fernet key (32 bytes in URL-safe base64)."] == "problem"
    assert found["HEARD_ADDRESS_KEY has the same value as HEARD_PSEUDONYM_KEY."] == "problem"
    assert not any("changeme" in message or STRONG in message for message in found)


def test_good_production_keys_are_all_ok() -> None:
    keys = production_keys()
    api = Settings(env="production", channel_token=keys["channel_token"],
                   voice_key=SecretStr(Fernet.generate_key().decode()))  # fmt: skip
    bot = BotSettings(env="production", **keys)  # type: ignore[arg-type]
    assert statuses(check_keys(api, bot)) == ["ok"] * 4


# --- database and voice -------------------------------------------------------------------


def test_a_migrated_database_is_at_the_newest_level(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'heard.db'}"
    upgrade_database(url)
    assert statuses(check_database(url)) == ["ok", "ok"]


def test_an_unmigrated_database_asks_for_heard_db_upgrade(tmp_path: Path) -> None:
    (tmp_path / "heard.db").touch()
    found = check_database(f"sqlite:///{tmp_path / 'heard.db'}")
    assert statuses(found) == ["ok", "problem"]
    assert "heard db upgrade" in found[1].fix


def test_tables_made_by_heard_serve_are_a_warning_pointing_at_db_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'heard.db'}"
    engine = make_engine(url)
    create_schema(engine)
    engine.dispose()
    found = check_database(url)
    assert statuses(found) == ["ok", "warning"]
    assert "heard db upgrade" in found[1].fix


def test_an_unreachable_database_is_a_problem_without_its_password() -> None:
    url = f"postgresql+psycopg://heard:pa55word@127.0.0.1:{closed_port()}/heard"
    (finding,) = check_database(url)
    assert finding.status == "problem"
    assert "pa55word" not in finding.message
    assert "Could not reach the database" in finding.message


def test_missing_voice_tools_are_a_warning() -> None:
    found = check_voice_tools(Settings(espeak_path="no-such-espeak"), which=lambda _: None)
    assert statuses(found) == ["warning"]
    assert "apt-get install espeak-ng opus-tools" in found[0].fix


# --- the command --------------------------------------------------------------------------


def run_doctor(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str]
) -> tuple[int, str]:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in list(__import__("os").environ):
        if name.startswith("HEARD_"):
            monkeypatch.delenv(name)
    result = CliRunner().invoke(app, ["doctor", "--json"], env=env)
    return result.exit_code, result.output


def test_doctor_exits_0_on_a_sound_production_setup(
    telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'heard.db'}"
    upgrade_database(url)
    keys = production_keys()
    env = {
        "HEARD_ENV": "production",
        "HEARD_DATABASE_URL": url,
        "HEARD_PUBLIC_URL": "https://heard.example.org",
        "HEARD_CHANNEL_TOKEN": keys["channel_token"].get_secret_value(),
        "HEARD_PSEUDONYM_KEY": keys["pseudonym_key"].get_secret_value(),
        "HEARD_ADDRESS_KEY": keys["address_key"].get_secret_value(),
        "HEARD_VOICE_KEY": Fernet.generate_key().decode(),
        "HEARD_TELEGRAM_TOKEN": telegram.token,
        "HEARD_TELEGRAM_API_BASE_URL": telegram.base_url,
        "HEARD_TELEGRAM_BOT_USERNAME": USERNAME,
    }
    code, output = run_doctor(monkeypatch, tmp_path, env)
    report = json.loads(output)
    problems = [f for f in report["findings"] if f["status"] == "problem"]
    assert problems == [] and report["ok"] is True and code == 0
    checks = {f["check"] for f in report["findings"]}
    assert {
        "environment",
        "database",
        "migrations",
        "keys",
        "telegram",
        "webhook",
        "voice",
    } <= checks
    assert telegram.token not in output
    assert keys["pseudonym_key"].get_secret_value() not in output


def test_doctor_exits_1_and_names_bad_settings_without_their_values(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = {"HEARD_ENV": "production", "HEARD_MIN_GROUP": "one", "HEARD_PSEUDONYM_KEY": "short"}
    code, output = run_doctor(monkeypatch, tmp_path, env)
    report = json.loads(output)
    assert code == 1 and report["ok"] is False
    unreadable = [f for f in report["findings"] if f["check"] == "settings"]
    assert "HEARD_MIN_GROUP" in unreadable[0]["message"]
    assert "one" not in unreadable[0]["message"].split(": ")[1]
