"""Settings for the API, read from the environment (prefix HEARD_) and `.env`."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every API setting; `.env.example` documents each one."""

    # env_ignore_empty: `HEARD_PORT=` left blank in .env means "use the default", not "".
    model_config = SettingsConfigDict(
        env_prefix="HEARD_", env_file=".env", extra="ignore", frozen=True, env_ignore_empty=True
    )

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///./heard.db"
    data_dir: Path = Path("./data")
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://localhost:8000"

    # Adapters (the Telegram bot, later SMS) authenticate with this token.
    channel_token: SecretStr | None = None
    telegram_bot_username: str = "HeardBot"

    # Key that encrypts voice answers at rest (Fernet, urlsafe base64 32 bytes).
    voice_key: SecretStr | None = None
    # The programs that speak prompts (Debian: espeak-ng, opus-tools); a name on PATH or a path.
    espeak_path: str = "espeak-ng"
    opusenc_path: str = "opusenc"

    min_group: int = Field(default=5, ge=2)
    retention_days: int = Field(default=90, ge=1)
    nudge_gap_days: int = Field(default=7, ge=0)
    flows_dir: Path | None = None
    org_name: str = ""
    signposting: str | None = None
    alert_webhook_url: str | None = None
    # Seconds insights may reuse their loaded copy of the answers before looking for new
    # ones (0: every request sees every answer committed before it).
    insights_max_age: float = Field(default=0.0, ge=0)
    log_level: str = "INFO"
    # When set, /metrics asks for it as a bearer token; when empty, /metrics is public.
    metrics_token: SecretStr | None = None


@lru_cache
def get_settings() -> Settings:
    """Return the settings read from the environment, once per process."""
    return Settings()
