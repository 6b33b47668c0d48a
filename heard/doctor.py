"""The checks behind `heard doctor`: settings, database, voice tools, Telegram, webhook.

Each check returns findings in plain words with what to do. A check never raises and never
prints a secret: a missing network or database is itself a finding.
"""

import logging
import re
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from cryptography.fernet import Fernet
from pydantic import SecretStr, ValidationError
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from api.settings import Settings
from bot.settings import BotSettings

Status = Literal["ok", "warning", "problem"]

# Values people paste from tutorials or leave in by mistake.
WEAK_VALUES = frozenset(
    {"changeme", "change-me", "change_me", "secret", "password", "test", "dev", "development",
     "heard", "example", "token", "key", "xxx", "todo", "none", "null"}
)  # fmt: skip
STRONG_LENGTH = 32
# Telegram takes secret_token of 1-256 characters A-Z, a-z, 0-9, _ and -.
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Ports Telegram delivers webhooks to (api.telegram.org; a local Bot API server allows any).
WEBHOOK_PORTS = (443, 80, 88, 8443)
TELEGRAM_TIMEOUT = 5.0

MAKE_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
MAKE_FERNET = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


@dataclass(frozen=True)
class Finding:
    """One thing the doctor looked at: what it found, and what to do about it."""

    check: str
    status: Status
    message: str
    fix: str = ""

    def to_dict(self) -> dict[str, str]:
        """Return the finding as plain JSON."""
        return asdict(self)


def _value(secret: SecretStr | None) -> str:
    return secret.get_secret_value().strip() if secret is not None else ""


def _is_weak(value: str) -> bool:
    return value.lower() in WEAK_VALUES or len(set(value)) <= 2


def _is_fernet_key(value: str) -> bool:
    try:
        Fernet(value.encode())
    except ValueError:
        return False
    return True


def load_settings() -> tuple[Settings | None, BotSettings | None, list[Finding]]:
    """Read both settings classes; report invalid values by name, never by value."""
    findings: list[Finding] = []
    loaded: list[Any] = []
    for cls in (Settings, BotSettings):
        try:
            loaded.append(cls())
        except ValidationError as error:
            loaded.append(None)
            names = sorted(
                {f"HEARD_{str(e['loc'][0]).upper()}" for e in error.errors() if e["loc"]}
            )
            findings.append(
                Finding(
                    "settings",
                    "problem",
                    f"These settings have values Heard cannot read: {', '.join(names)}.",
                    "Fix them in .env (see .env.example for what each one takes).",
                )
            )
    return loaded[0], loaded[1], findings


def check_environment(api: Settings) -> list[Finding]:
    """Say which environment this is, and flag development values in production."""
    found: list[Finding] = []
    if api.env == "production":
        found.append(Finding("environment", "ok", "HEARD_ENV is production."))
        public = urlsplit(api.public_url)
        if public.hostname in (None, "localhost", "127.0.0.1", "0.0.0.0"):
            found.append(
                Finding(
                    "environment",
                    "problem",
                    f"HEARD_PUBLIC_URL is still the development default ({api.public_url}).",
                    "Set HEARD_PUBLIC_URL to the address people and staff reach the API at.",
                )
            )
        elif public.scheme != "https":
            found.append(
                Finding(
                    "environment",
                    "warning",
                    "HEARD_PUBLIC_URL is not https.",
                    "Put the API behind HTTPS (a reverse proxy such as Caddy or nginx).",
                )
            )
        if api.database_url.startswith("sqlite"):
            found.append(
                Finding(
                    "environment",
                    "warning",
                    "The database is SQLite: fine for one process, not for more.",
                    "Use PostgreSQL (docker-compose.yml does) before running several api or "
                    "bot processes.",
                )
            )
    elif api.env == "test":
        found.append(
            Finding(
                "environment",
                "warning",
                "HEARD_ENV is test, which is meant for the test suite.",
                "Set HEARD_ENV=production on a server, or development on a laptop.",
            )
        )
    else:
        found.append(
            Finding(
                "environment",
                "warning",
                "HEARD_ENV is development: missing keys are made up on the fly.",
                "On a server set HEARD_ENV=production, so that missing keys stop Heard instead.",
            )
        )
    return found


def _key_finding(
    name: str, value: str, *, production: bool, purpose: str, fernet: bool, missing_dev: str
) -> Finding:
    make = MAKE_FERNET if fernet else MAKE_SECRET
    if not value:
        if production:
            return Finding(
                "keys", "problem", f"{name} is not set: {purpose}.", f"Make one with {make}"
            )
        return Finding(
            "keys", "warning", f"{name} is not set; {missing_dev}.", f"Make one with {make}"
        )
    if fernet and not _is_fernet_key(value):
        return Finding(
            "keys",
            "problem",
            f"{name} is not a Fernet key (32 bytes in URL-safe base64).",
            f"Make one with {make}",
        )
    if not fernet and (_is_weak(value) or len(value) < STRONG_LENGTH):
        status: Status = "problem" if production or len(value) < 16 else "warning"
        return Finding(
            "keys",
            status,
            f"{name} is weak: use {STRONG_LENGTH} or more random characters.",
            f"Make one with {make}",
        )
    return Finding("keys", "ok", f"{name} is set.")


def check_keys(api: Settings, bot: BotSettings) -> list[Finding]:
    """Check the channel token and the pseudonym, address and voice keys."""
    production = api.env == "production" or bot.env == "production"
    found = [
        _key_finding(
            "HEARD_CHANNEL_TOKEN",
            _value(api.channel_token or bot.channel_token),
            production=production,
            purpose="the bot cannot talk to the API",
            fernet=False,
            missing_dev="`heard serve` makes one per run; `heard api` and `heard bot` need it",
        ),
        _key_finding(
            "HEARD_PSEUDONYM_KEY",
            _value(bot.pseudonym_key),
            production=production,
            purpose="the bot cannot turn Telegram ids into pseudonyms",
            fernet=False,
            missing_dev=f"the bot makes one and keeps it under {bot.data_dir}",
        ),
        _key_finding(
            "HEARD_ADDRESS_KEY",
            _value(bot.address_key),
            production=production,
            purpose="the bot cannot seal addresses for follow-ups",
            fernet=True,
            missing_dev=f"the bot makes one and keeps it under {bot.data_dir}",
        ),
        _key_finding(
            "HEARD_VOICE_KEY",
            _value(api.voice_key),
            production=production,
            purpose="voice answers cannot be stored encrypted",
            fernet=True,
            missing_dev=f"the API makes one and keeps it under {api.data_dir}",
        ),
    ]
    values = {
        "HEARD_CHANNEL_TOKEN": _value(api.channel_token or bot.channel_token),
        "HEARD_PSEUDONYM_KEY": _value(bot.pseudonym_key),
        "HEARD_ADDRESS_KEY": _value(bot.address_key),
        "HEARD_VOICE_KEY": _value(api.voice_key),
    }
    seen: dict[str, str] = {}
    for name, value in values.items():
        if value and value in seen:
            found.append(
                Finding(
                    "keys",
                    "problem",
                    f"{name} has the same value as {seen[value]}.",
                    "Give every key its own random value, so one leaked key opens nothing else.",
                )
            )
        seen.setdefault(value, name)
    if (
        api.channel_token
        and bot.channel_token
        and _value(api.channel_token) != _value(bot.channel_token)
    ):
        found.append(
            Finding(
                "keys",
                "problem",
                "The API and the bot read different channel tokens.",
                "Set HEARD_CHANNEL_TOKEN once, in the .env both read.",
            )
        )
    return found


def _probe_engine(url: str) -> Engine:
    if url.startswith("postgresql"):
        return create_engine(url, connect_args={"connect_timeout": 5}, poolclass=None)
    return create_engine(url)


def check_database(url: str) -> list[Finding]:
    """Check that the database answers and is at the newest migration."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return [
            Finding(
                "database",
                "problem",
                "HEARD_DATABASE_URL is not a database URL.",
                "Use postgresql+psycopg://user:password@host:5432/heard or sqlite:///path.",
            )
        ]
    where = parsed.render_as_string(hide_password=True)
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file and file != ":memory:" and not Path(file).exists():
        return [
            Finding(
                "database",
                "warning",
                f"The SQLite file {file} does not exist yet.",
                "Run `heard db upgrade` (or `heard serve`, which creates it).",
            )
        ]
    # Alembic announces its dialect at INFO; in a report of findings that is noise.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        from api.migrations import alembic_config

        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        engine = _probe_engine(url)
        try:
            with engine.connect() as connection:
                current = MigrationContext.configure(connection).get_current_revision()
                tables = set(inspect(connection).get_table_names())
        finally:
            engine.dispose()
    except SQLAlchemyError as error:
        return [
            Finding(
                "database",
                "problem",
                f"Could not reach the database at {where} ({type(error).__name__}).",
                "Check that PostgreSQL is running, and the host, port, user and password in "
                "HEARD_DATABASE_URL.",
            )
        ]
    found = [Finding("database", "ok", f"The database at {where} answers.")]
    if current == head:
        found.append(
            Finding("migrations", "ok", f"The schema is at the newest migration ({head}).")
        )
    elif current is None and "site" in tables:
        found.append(
            Finding(
                "migrations",
                "warning",
                "The tables were made without migrations (by `heard serve`): level unknown.",
                "Run `heard db upgrade`: it adopts tables that match the models, and says so "
                "when they do not.",
            )
        )
    else:
        found.append(
            Finding(
                "migrations",
                "problem",
                f"The schema is at migration {current or 'none'}, the newest is {head}.",
                "Run `heard db upgrade` (docker-compose's api service does it at start).",
            )
        )
    return found


def check_voice_tools(
    api: Settings, which: Callable[[str], str | None] = shutil.which
) -> list[Finding]:
    """Check for espeak-ng and opusenc, which make the spoken questions."""
    tools = (api.espeak_path, api.opusenc_path)
    missing = [tool for tool in tools if which(tool) is None]
    if not missing:
        return [
            Finding(
                "voice", "ok", "espeak-ng and opusenc are installed: questions can be read aloud."
            )
        ]
    return [
        Finding(
            "voice",
            "warning",
            f"{' and '.join(missing)} not found: people who ask to hear questions get text only.",
            "Install them: `apt-get install espeak-ng opus-tools` (the Docker image has them).",
        )
    ]


def check_telegram(
    api: Settings, bot: BotSettings, *, timeout: float = TELEGRAM_TIMEOUT
) -> list[Finding]:
    """Ask Telegram's getMe whether the bot token works, and whether the username matches."""
    token = _value(bot.telegram_token)
    if not token:
        return [
            Finding(
                "telegram",
                "warning",
                "HEARD_TELEGRAM_TOKEN is not set: the bot is off.",
                "Make a bot with @BotFather in Telegram and put its token in HEARD_TELEGRAM_TOKEN.",
            )
        ]
    url = f"{bot.telegram_api_base_url.rstrip('/')}{token}/getMe"
    host = urlsplit(bot.telegram_api_base_url).netloc
    try:
        response = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as error:
        # Some servers may not reach the internet from where doctor runs: say so, go on.
        return [
            Finding(
                "telegram",
                "warning",
                f"Could not reach Telegram at {host} ({type(error).__name__}): token unchecked.",
                "If the bot runs on this machine it needs to reach Telegram: check the network "
                "and HEARD_TELEGRAM_API_BASE_URL.",
            )
        ]
    if response.status_code in (401, 404):
        return [
            Finding(
                "telegram",
                "problem",
                "Telegram does not accept HEARD_TELEGRAM_TOKEN.",
                "Copy the token again from @BotFather (/mybots, API Token), or make a new one.",
            )
        ]
    try:
        me = response.json()["result"]
        username = str(me["username"])
    except (ValueError, KeyError, TypeError):
        return [
            Finding(
                "telegram",
                "warning",
                f"Telegram answered getMe oddly (HTTP {response.status_code}).",
                "Try again later; check HEARD_TELEGRAM_API_BASE_URL.",
            )
        ]
    found = [Finding("telegram", "ok", f"The token works: the bot is @{username}.")]
    if username.lower() != api.telegram_bot_username.lstrip("@").lower():
        found.append(
            Finding(
                "telegram",
                "problem",
                f"HEARD_TELEGRAM_BOT_USERNAME is {api.telegram_bot_username}, but the token "
                f"belongs to @{username}: check-in links would open the wrong bot.",
                f"Set HEARD_TELEGRAM_BOT_USERNAME={username}.",
            )
        )
    return found


def check_webhook(bot: BotSettings) -> list[Finding]:
    """Check that the webhook URL and secret are set, and set consistently."""
    secret = _value(bot.telegram_webhook_secret)
    url = (bot.telegram_webhook_url or "").strip()
    official = urlsplit(bot.telegram_api_base_url).hostname == "api.telegram.org"
    if not url:
        found = [
            Finding(
                "webhook",
                "ok",
                "Polling mode (no HEARD_TELEGRAM_WEBHOOK_URL): run one bot process only.",
            )
        ]
        if secret:
            found.append(
                Finding(
                    "webhook",
                    "warning",
                    "HEARD_TELEGRAM_WEBHOOK_SECRET is set but unused in polling mode.",
                    "Set HEARD_TELEGRAM_WEBHOOK_URL too, or remove the secret.",
                )
            )
        return found
    found = []
    parts = urlsplit(url)
    if parts.scheme != "https" and official:
        found.append(
            Finding(
                "webhook",
                "problem",
                "HEARD_TELEGRAM_WEBHOOK_URL must start with https://.",
                "Telegram only calls HTTPS webhooks: put the bot behind a TLS reverse proxy.",
            )
        )
    elif parts.hostname in (None, "localhost", "127.0.0.1") and official:
        found.append(
            Finding(
                "webhook",
                "problem",
                "HEARD_TELEGRAM_WEBHOOK_URL points at this machine only.",
                "Use the public name Telegram can reach, such as https://heard.example.org/telegram/webhook.",
            )
        )
    elif official and (parts.port or 443) not in WEBHOOK_PORTS:
        found.append(
            Finding(
                "webhook",
                "problem",
                f"Telegram does not call port {parts.port}.",
                "Use port 443, 80, 88 or 8443 in HEARD_TELEGRAM_WEBHOOK_URL.",
            )
        )
    else:
        found.append(
            Finding(
                "webhook",
                "ok",
                f"Webhook mode: Telegram calls {parts.scheme}://{parts.netloc}{parts.path}.",
            )
        )
    if not secret:
        found.append(
            Finding(
                "webhook",
                "warning",
                "HEARD_TELEGRAM_WEBHOOK_SECRET is not set: each bot start makes its own.",
                f"Set one ({MAKE_SECRET}); several bot processes behind one webhook must share it.",
            )
        )
    elif not WEBHOOK_SECRET.fullmatch(secret):
        found.append(
            Finding(
                "webhook",
                "problem",
                "HEARD_TELEGRAM_WEBHOOK_SECRET has characters Telegram refuses.",
                "Use 1 to 256 of A-Z, a-z, 0-9, _ and -, for example " + MAKE_SECRET,
            )
        )
    elif len(secret) < 16:
        found.append(
            Finding(
                "webhook",
                "warning",
                "HEARD_TELEGRAM_WEBHOOK_SECRET is short.",
                f"Use {STRONG_LENGTH} or more random characters: {MAKE_SECRET}",
            )
        )
    else:
        found.append(Finding("webhook", "ok", "HEARD_TELEGRAM_WEBHOOK_SECRET is set."))
    return found


def run_checks(*, telegram_timeout: float = TELEGRAM_TIMEOUT) -> list[Finding]:
    """Run every check against the settings in the environment and `.env`."""
    api, bot, found = load_settings()
    if api is not None:
        found += check_environment(api)
        found += check_database(api.database_url)
    if api is not None and bot is not None:
        found += check_keys(api, bot)
        found += check_telegram(api, bot, timeout=telegram_timeout)
    if bot is not None:
        found += check_webhook(bot)
    if api is not None:
        found += check_voice_tools(api)
    return found
