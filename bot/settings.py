"""Settings for the Telegram bot, read from the environment (prefix HEARD_) and `.env`."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class BotSettings(BaseSettings):
    """Every bot setting; `.env.example` documents each one."""

    model_config = SettingsConfigDict(
        env_prefix="HEARD_", env_file=".env", extra="ignore", frozen=True
    )

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("./data")

    telegram_token: SecretStr | None = None
    # A local Bot API server (or the tests' fake) instead of api.telegram.org.
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    # Where `heard bot --webhook` listens when it runs apart from the API.
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8001

    api_url: str = "http://127.0.0.1:8000"
    channel_token: SecretStr | None = None
    api_timeout: float = Field(default=10.0, gt=0)

    # HMAC key turning Telegram user ids into pseudonyms; Fernet key sealing chat ids.
    pseudonym_key: SecretStr | None = None
    address_key: SecretStr | None = None

    # Handlers running at once; each waits mostly on the API and Telegram.
    concurrent_updates: int = Field(default=256, ge=1)
    # Connections for replies to the Bot API.
    telegram_connections: int = Field(default=8, ge=1, le=256)
    # "lean" (default): bot/keepalive.py, a small keep-alive client that costs about a fifth
    # of httpx's CPU per reply; uploads and downloads still go through httpx, and so does
    # everything when a proxy is set in the environment. "httpx": python-telegram-bot's own
    # request layer for every call.
    telegram_http: Literal["httpx", "lean"] = "lean"
    outbox_interval: float = Field(default=5.0, gt=0)
    outbox_batch: int = Field(default=50, ge=1, le=100)
    outbox_rate: float = Field(default=25.0, gt=0)  # messages a second, all chats
    outbox_chat_gap: float = Field(default=1.0, ge=0)  # seconds between two to one chat
    spool_interval: float = Field(default=15.0, gt=0)

    @property
    def telegram_file_base_url(self) -> str:
        """Return the file download base URL matching `telegram_api_base_url`."""
        base = self.telegram_api_base_url.rstrip("/")
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base + "/file/bot"

    @property
    def webhook_mode(self) -> bool:
        """Whether Telegram pushes updates to a webhook rather than being polled."""
        return bool(self.telegram_webhook_url)


@lru_cache
def get_bot_settings() -> BotSettings:
    """Return the bot settings read from the environment, once per process."""
    return BotSettings()
