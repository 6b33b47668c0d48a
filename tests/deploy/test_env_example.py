""".env.example documents every setting Heard reads, so a new one cannot be forgotten."""

import re
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from api.settings import Settings
from bot.settings import BotSettings
from heard.logs import LogSettings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / ".env.example"
SETTINGS_CLASSES: tuple[type[BaseSettings], ...] = (Settings, BotSettings, LogSettings)
# A documented variable: "NAME=value" or "# NAME=value" at the start of a line.
DOCUMENTED = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def documented_names() -> set[str]:
    return set(DOCUMENTED.findall(EXAMPLE.read_text(encoding="utf-8")))


def env_names(cls: type[BaseSettings]) -> set[str]:
    prefix = str(cls.model_config.get("env_prefix", ""))
    return {f"{prefix}{name}".upper() for name in cls.model_fields}


@pytest.mark.parametrize("cls", SETTINGS_CLASSES, ids=lambda cls: cls.__name__)
def test_every_setting_is_in_env_example(cls: type[BaseSettings]) -> None:
    missing = sorted(env_names(cls) - documented_names())
    assert missing == [], f"document these in .env.example: {missing}"


def test_env_example_names_only_settings_that_exist() -> None:
    known = set().union(*(env_names(cls) for cls in SETTINGS_CLASSES))
    compose_only = {name for name in documented_names() if not name.startswith("HEARD_")}
    compose_only |= {"HEARD_API_PUBLISH", "HEARD_WEBHOOK_PUBLISH"}
    stale = sorted(documented_names() - known - compose_only)
    assert stale == [], f".env.example documents settings nothing reads: {stale}"


def test_every_documented_setting_has_a_comment_above_it() -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        match = DOCUMENTED.match(line)
        if not match:
            continue
        above = number - 1  # a group of settings shares the comment above its first line
        while above >= 0 and DOCUMENTED.match(lines[above]):
            above -= 1
        if above < 0 or not lines[above].startswith("# "):
            pytest.fail(f"{match.group(1)} (line {number + 1}) has no explanation above it")


def test_the_checker_sees_a_missing_setting() -> None:
    # Guard against a test that cannot fail: a settings class with an undocumented field.
    class Extra(BaseSettings):
        model_config = {"env_prefix": "HEARD_"}
        brand_new_setting: int = 1

    assert env_names(Extra) - documented_names() == {"HEARD_BRAND_NEW_SETTING"}


def test_env_example_loads_as_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in documented_names():
        monkeypatch.delenv(name, raising=False)
    api, bot = Settings(), BotSettings()
    assert api.env == bot.env == "production"
    assert api.public_url == "https://heard.example.org"
