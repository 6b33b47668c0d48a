"""The docker-compose layout, natively: `heard api` and `heard bot` as separate processes on
one PostgreSQL, the bot in webhook mode talking to the fake Telegram Bot API.

PostgreSQL at 127.0.0.1:5432 (trust auth) gets its own database, `heard_deploy_test`, made
afresh for each test; the tests skip only when PostgreSQL is not there at all.
"""

import base64
import hashlib
import hmac
import secrets
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from fake_telegram import BOT_USER, FakeTelegram, updates
from heard_processes import (
    HeardProcess,
    clean_environment,
    free_port,
    fresh_postgres_database,
    run_heard,
    wait_until,
)
from heard_testing import bearer
from sqlalchemy import create_engine, text

SAM = 5_550_002_002  # a Telegram user id: it must never reach the API's database or logs
THANK_YOU = "Thank you. This helps the people who run the service hear you."
CHECKIN_ANSWERS = ("mood", "helped", "hard", "more")


@dataclass
class Deployment:
    """Two `heard` processes, the fake Telegram, and what the test needs to drive them."""

    tg: FakeTelegram
    api: HeardProcess
    bot: HeardProcess
    api_url: str
    database_url: str
    outreach_key: str
    site_id: int
    folder: Path

    def checkin_code(self) -> str:
        """Make a check-in code through the API, as an outreach worker would."""
        made = httpx.post(
            f"{self.api_url}/v1/checkins",
            json={"site_id": self.site_id, "flow": "checkin"},
            headers=bearer(self.outreach_key),
            timeout=10,
        )
        assert made.status_code == 201, made.text
        return str(made.json()["code"])

    def say(self, update: dict[str, Any], expect: str, timeout: float = 30) -> list[str]:
        """Send an update through the fake; wait for a reply containing `expect`."""
        before = len(self.tg.messages_to(SAM))

        def replied() -> list[str]:
            new = [call.text or "" for call in self.tg.messages_to(SAM)[before:]]
            return new if any(expect in line for line in new) else []

        self.tg.inject(update)
        try:
            return self.tg.wait_for(replied, timeout=timeout)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.api.log()}\n{self.bot.log()}") from None

    def scalar(self, query: str) -> Any:
        """Run one SQL query against the deployment's database."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return connection.execute(text(query)).scalar_one()
        finally:
            engine.dispose()


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    database_url = fresh_postgres_database("heard_deploy_test")
    api_port, bot_port = free_port(), free_port()
    api_url = f"http://127.0.0.1:{api_port}"
    with FakeTelegram() as tg:
        env = clean_environment(
            HEARD_ENV="production",
            HEARD_DATABASE_URL=database_url,
            HEARD_PUBLIC_URL=api_url,
            HEARD_LOG_LEVEL="INFO",
            HEARD_CHANNEL_TOKEN=secrets.token_urlsafe(32),
            HEARD_PSEUDONYM_KEY=secrets.token_urlsafe(32),
            HEARD_ADDRESS_KEY=Fernet.generate_key().decode(),
            HEARD_VOICE_KEY=Fernet.generate_key().decode(),
            HEARD_TELEGRAM_TOKEN=tg.token,
            HEARD_TELEGRAM_API_BASE_URL=tg.base_url,
            HEARD_TELEGRAM_BOT_USERNAME=str(BOT_USER["username"]),
            HEARD_TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{bot_port}/telegram/webhook",
            HEARD_TELEGRAM_WEBHOOK_SECRET=secrets.token_urlsafe(24),
            HEARD_WEBHOOK_PORT=str(bot_port),
            HEARD_API_URL=api_url,
            HEARD_SPOOL_INTERVAL="0.2",
        )
        # As the compose `api` service does before it serves: migrate, then set up.
        run_heard(["db", "upgrade"], env, tmp_path)
        site_id = int(run_heard(["sites", "create", "Riverside day centre"], env, tmp_path))
        outreach_key = run_heard(["keys", "create", "--role", "outreach"], env, tmp_path).strip()

        api_folder, bot_folder = tmp_path / "api", tmp_path / "bot"
        api_folder.mkdir()
        bot_folder.mkdir()
        api = HeardProcess(
            "api",
            ["api", "--host", "127.0.0.1", "--port", str(api_port)],
            env | {"HEARD_DATA_DIR": str(api_folder)},
            api_folder,
        )
        bot = HeardProcess("bot", ["bot"], env | {"HEARD_DATA_DIR": str(bot_folder)}, bot_folder)
        try:
            api.start().wait_healthy(f"{api_url}/healthz")
            bot.start()
            wait_until(
                lambda: bot.alive() and tg.webhook,
                timeout=30,
                what="the bot to set its webhook",
                log=bot.log(),
            )
            yield Deployment(tg, api, bot, api_url, database_url, outreach_key, site_id, tmp_path)
        finally:
            bot.stop()
            api.stop()


def welcome_then_checkin(deployment: Deployment) -> None:
    """Open the check-in link and pass the welcome: consent yes, follow-ups no, voice no."""
    code = deployment.checkin_code()
    deployment.say(updates.command(SAM, "/start", args=code), "Are you happy to take part?")
    deployment.say(updates.text(SAM, "1"), "?")
    deployment.say(updates.text(SAM, "2"), "?")
    deployment.say(updates.text(SAM, "2"), "How are things for you today?")


def test_a_checkin_runs_end_to_end_across_api_and_bot_processes(deployment: Deployment) -> None:
    welcome_then_checkin(deployment)
    deployment.say(updates.text(SAM, "4"), "What is one thing that helped you lately?")
    deployment.say(updates.text(SAM, "The hot showers"), "What is one thing that is hard")
    deployment.say(updates.text(SAM, "Waiting lists"), "anything else")
    deployment.say(updates.text(SAM, "2"), THANK_YOU)

    saved = deployment.scalar(
        "SELECT string_agg(result, ',' ORDER BY id) FROM answer WHERE flow = 'checkin'"
    )
    assert saved.split(",") == list(CHECKIN_ANSWERS)
    assert deployment.scalar("SELECT count(*) FROM run WHERE status = 'completed'") >= 1
    assert (
        deployment.scalar(
            f"SELECT count(*) FROM run WHERE flow = 'checkin' AND site_id = {deployment.site_id}"
        )
        == 1
    )
    # The bot used the webhook: every update came by POST from the fake, none by polling.
    assert all(call.method != "getUpdates" for call in deployment.tg.calls)
    assert all(d.ok for d in deployment.tg.webhook_deliveries)
    for process in (deployment.api, deployment.bot):
        assert str(SAM) not in process.log(), f"{process.name} logged the Telegram id"
        assert "The hot showers" not in process.log(), f"{process.name} logged message text"


def test_killing_the_api_mid_conversation_loses_no_answer(deployment: Deployment) -> None:
    welcome_then_checkin(deployment)
    deployment.say(updates.text(SAM, "4"), "What is one thing that helped you lately?")
    assert deployment.scalar("SELECT count(*) FROM answer WHERE flow = 'checkin'") == 1

    deployment.api.kill()  # SIGKILL: no shutdown, no goodbye
    assert deployment.api.process is not None
    assert deployment.api.process.returncode == -signal.SIGKILL
    # The person answers while the API is gone: told kindly, and the answer is kept.
    deployment.say(updates.text(SAM, "The hot showers"), "I kept your message")

    deployment.api.start().wait_healthy(f"{deployment.api_url}/healthz")
    # The kept answer is replayed: the flow goes on from the same place.
    wait_until(
        lambda: any(
            "What is one thing that is hard" in (call.text or "")
            for call in deployment.tg.messages_to(SAM)
        ),
        timeout=30,
        what="the spooled answer to be replayed",
        log=deployment.bot.log(),
    )
    deployment.say(updates.text(SAM, "Waiting lists"), "anything else")
    deployment.say(updates.text(SAM, "2"), THANK_YOU)

    rows = deployment.scalar(
        "SELECT string_agg(result || '=' || coalesce(value, category), '|' ORDER BY id) "
        "FROM answer WHERE flow = 'checkin'"
    )
    results = [row.split("=", 1)[0] for row in rows.split("|")]
    assert results == list(CHECKIN_ANSWERS), rows  # each once, in order, none lost
    assert "helped=The hot showers" in rows.split("|")


def pseudonym_of(user_id: int, key: str) -> str:
    """The pseudonym the bot makes (HMAC-SHA256, URL-safe base64), to look for it in output."""
    digest = hmac.new(key.encode(), str(user_id).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_metrics_after_traffic_hold_no_pseudonym_and_no_text(deployment: Deployment) -> None:
    code = deployment.checkin_code()
    deployment.say(updates.command(SAM, "/start", args=code), "Are you happy to take part?")
    deployment.say(updates.text(SAM, "1"), "?")
    # Follow-ups yes: the bot then posts a sealed address to /participants/{pseudonym}/...
    deployment.say(updates.text(SAM, "1"), "?")
    deployment.say(updates.text(SAM, "2"), "How are things for you today?")
    deployment.say(updates.text(SAM, "1"), "?")
    deployment.say(updates.text(SAM, "My keyworker Dana at 07700 900123"), "?")
    wait_until(
        lambda: deployment.scalar("SELECT count(*) FROM sealed_address") == 1,
        timeout=30,
        what="the bot to post the sealed address",
        log=deployment.bot.log(),
    )
    metrics = httpx.get(f"{deployment.api_url}/metrics", timeout=10)
    assert metrics.status_code == 200
    body = metrics.text

    pseudonym = pseudonym_of(SAM, deployment.api.env["HEARD_PSEUDONYM_KEY"])
    assert deployment.scalar(f"SELECT count(*) FROM participant WHERE pseudonym = '{pseudonym}'")
    for secret in (pseudonym, str(SAM), "Dana", "07700", "keyworker", code):
        assert secret not in body, f"/metrics holds {secret!r}"
    assert 'route="/v1/channel/participants/{pseudonym}/address"' in body
    assert 'route="/v1/channel/messages"' in body
    assert 'heard_flow_starts_total{flow="checkin"}' in body
    assert 'heard_messages_in_total{channel="telegram"}' in body
    assert "heard_outbox_messages" in body or "heard_database_up 1.0" in body
