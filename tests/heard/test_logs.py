"""Logs are JSON lines with no URL path, token, pseudonym, id or message text in them."""

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from heard.logs import configure_logging, scrub

BOT_TOKEN = "7364519280:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9"
PSEUDONYM = "pX9aQm2LrT7wZk4Nd8Vy3Hs6Jb1Ce5Gf0Iu"
CHAT_ID = "5550123456"


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Configure logging into a buffer; put the root logger back afterwards."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    stream = io.StringIO()
    configure_logging("DEBUG", json=True, stream=stream)
    yield stream
    for handler in list(root.handlers):
        if getattr(handler, "_heard", False):
            root.removeHandler(handler)
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger("uvicorn.access").disabled = False


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_request_log_has_the_route_template_not_the_pseudonym(
    log_stream: io.StringIO, client: TestClient
) -> None:
    logging.getLogger("httpx").setLevel(logging.INFO)  # TestClient's httpx logs the full URL
    client.get(f"/v1/channel/participants/{PSEUDONYM}/address?chat={CHAT_ID}")
    client.get("/healthz")
    output = log_stream.getvalue()
    assert PSEUDONYM not in output
    assert CHAT_ID not in output
    records = lines(log_stream)
    requests = [r for r in records if r["logger"] == "heard.access"]
    assert {"method": "GET", "route": "/healthz", "status": 200}.items() <= requests[-1].items()
    assert all(set(r) >= {"time", "level", "logger", "event"} for r in records)
    outgoing = [r for r in records if r["logger"] == "httpx"]
    assert outgoing, "httpx logged nothing: the rewrite was not exercised"
    assert all(r["event"] == "http_request" for r in outgoing)


def test_a_bot_token_in_a_url_never_reaches_the_log(log_stream: io.StringIO) -> None:
    url = f"https://api.telegram.org/bot{BOT_TOKEN}/sendMessage?chat_id={CHAT_ID}&text=help+me"
    logging.getLogger("httpx").setLevel(logging.INFO)
    logging.getLogger("httpx").info(
        'HTTP Request: %s %s "%s %d %s"', "POST", url, "HTTP/1.1", 200, "OK"
    )
    logging.getLogger("telegram.ext.Updater").warning("Network error while calling %s", url)
    try:
        raise RuntimeError(f"Client error '404 Not Found' for url '{url}'")
    except RuntimeError:
        logging.getLogger("telegram.ext.Application").exception("Update failed")
    output = log_stream.getvalue()
    assert BOT_TOKEN not in output
    assert BOT_TOKEN.split(":")[1] not in output
    assert CHAT_ID not in output
    assert "help+me" not in output
    first, second, third = lines(log_stream)
    assert first["event"] == "http_request"
    assert first["method"] == "POST" and first["status"] == 200
    assert first["target"] == "https://api.telegram.org/bot{token}/sendMessage"
    assert (
        second["event"]
        == "Network error while calling https://api.telegram.org/bot{token}/sendMessage"
    )
    assert "RuntimeError" in str(third["exception"])
    assert "test_a_bot_token_in_a_url_never_reaches_the_log" in str(third["exception"])


def test_the_access_log_of_uvicorn_is_dropped(log_stream: io.StringIO) -> None:
    logging.getLogger("uvicorn.access").disabled = False  # even if someone turns it back on
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "10.0.0.7:51234", "POST", f"/v1/x/{PSEUDONYM}", "1.1", 204
    )
    assert log_stream.getvalue() == ""


def test_extra_fields_that_could_hold_words_or_ids_are_dropped(log_stream: io.StringIO) -> None:
    logging.getLogger("heard.test").info(
        "answer_saved",
        extra={"text": "I slept at the bus station", "pseudonym": PSEUDONYM, "chat_id": 5550123456,
               "flow": "checkin", "replies": 2},
    )  # fmt: skip
    (record,) = lines(log_stream)
    assert record["event"] == "answer_saved"
    assert record["flow"] == "checkin" and record["replies"] == 2
    assert not {"text", "pseudonym", "chat_id"} & set(record)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (f"GET http://api:8000/v1/channel/participants/{PSEUDONYM}", "GET http://api:8000/v1/channel/participants/{id}"),
        ("postgresql+psycopg://heard:s3cret@db:5432/heard", "postgresql+psycopg://db:5432/heard"),
        (f"blocked by user {CHAT_ID}", "blocked by user {number}"),
        (f"key {PSEUDONYM} seen", "key {id} seen"),
        ("sqlalchemy.exc.OperationalError: refused", "sqlalchemy.exc.OperationalError: refused"),
        ("/audio/3fa85f64-5717-4562-b3fc-2c963f66afa6.ogg", "/audio/{id}.ogg"),
        ("database_unreachable after 3 tries", "database_unreachable after 3 tries"),
    ],
)  # fmt: skip
def test_scrub_keeps_words_and_drops_ids(raw: str, clean: str) -> None:
    assert scrub(raw) == clean
