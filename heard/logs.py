"""Structured logs: one JSON object a line, with no message text and no identifier.

Libraries log URLs: httpx logs every request, and the Telegram Bot API URL holds the bot
token, while API URLs hold pseudonyms. A filter on the one root handler rewrites every
record before it is written: URLs keep only scheme, host and a path template, tokens and
long ids become placeholders, and extra fields that could carry a person's words or ids
are dropped. uvicorn's access log (raw paths, client addresses) is dropped whole; the
API logs its own request line with the route template instead.
"""

import json as jsonlib
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

# A Telegram bot token: "<bot id>:<35 URL-safe characters>".
BOT_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
URL = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<authority>[^/\s\"'<>?#]*)(?P<rest>[^\s\"'<>]*)"
)
# Opaque strings: pseudonyms, keys, file ids. 16+ characters with a digit, or 24+ in mixed
# case; snake_case names and class names (OperationalError) stay readable.
OPAQUE = re.compile(
    r"(?<![\w.-])(?:(?=[A-Za-z_-]*\d)[A-Za-z0-9_-]{16,}"
    r"|(?=[a-z0-9_-]*[A-Z])(?=[A-Z0-9_-]*[a-z])[A-Za-z0-9_-]{24,})(?![\w-])"
)
# Telegram user and chat ids are plain integers of six digits or more.
LONG_NUMBER = re.compile(r"(?<![\w.:])-?\d{6,}(?![\w.])")

# Extra fields never written, whatever a caller passes: they name a person or hold words.
UNSAFE_FIELDS = frozenset(
    {
        "text", "message_text", "caption", "body", "content", "answer", "value",
        "pseudonym", "participant", "chat_id", "user_id", "from_user", "username",
        "first_name", "last_name", "name", "phone", "phone_number", "contact",
        "token", "secret", "sealed", "address", "url", "path", "client", "headers",
    }
)  # fmt: skip
_RECORD_FIELDS = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's ANSI-coloured copy of the message
}
# Loggers too chatty at INFO (a line per HTTP call); their URLs are rewritten if shown.
QUIET_LOGGERS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "apscheduler": logging.WARNING,
}


class LogSettings(BaseSettings):
    """How `heard` logs: HEARD_LOG_LEVEL and HEARD_LOG_FORMAT."""

    model_config = SettingsConfigDict(
        env_prefix="HEARD_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"


def _path_segment(segment: str) -> str:
    if not segment:
        return segment
    if segment.startswith("bot") and ":" in segment:
        return "bot{token}"
    if segment.isdigit() or len(segment) >= 16 or OPAQUE.fullmatch(segment):
        return "{id}"
    return segment


def _url_template(match: re.Match[str]) -> str:
    host = match["authority"].rsplit("@", 1)[-1]  # drop user:password@
    path = re.split(r"[?#]", match["rest"], maxsplit=1)[0]
    return f"{match['scheme']}://{host}" + "/".join(_path_segment(s) for s in path.split("/"))


def scrub(text: str) -> str:
    """Return text with URLs reduced to templates and tokens and ids replaced."""
    text = BOT_TOKEN.sub("{token}", text)
    text = URL.sub(_url_template, text)
    text = OPAQUE.sub("{id}", text)
    return LONG_NUMBER.sub("{number}", text)


class PrivacyFilter(logging.Filter):
    """Rewrite each record so that no URL path, token, id or message text gets out."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Drop access-log records, rewrite the rest in place."""
        if record.name.startswith("uvicorn.access"):
            return False
        args = record.args
        if record.name.startswith("httpx") and isinstance(args, tuple) and len(args) >= 4:
            # httpx: 'HTTP Request: %s %s "%s %d %s"' (method, url, version, status, reason)
            method, url, _version, status = args[:4]
            record.msg, record.args = "http_request", None
            record.__dict__.update(
                method=str(method),
                target=scrub(str(url)),
                status=int(status),  # type: ignore[call-overload]
            )
            return True
        message = scrub(record.getMessage())
        record.msg, record.args = message, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        for key in list(record.__dict__):
            if key in _RECORD_FIELDS:
                continue
            if key.lower() in UNSAFE_FIELDS:
                del record.__dict__[key]
            elif isinstance(record.__dict__[key], str):
                record.__dict__[key] = scrub(record.__dict__[key])
        return True


def _extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for key, value in record.__dict__.items():
        if key in _RECORD_FIELDS or key.startswith("_"):
            continue
        if value is None or isinstance(value, bool | int | float | str):
            fields[key] = value
        else:
            fields[key] = type(value).__name__  # no repr: it could hold anything
    return fields


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, event and safe fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the JSON line for this record."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        line.update(_extra_fields(record))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return jsonlib.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Format a record as one readable line, for development."""

    def format(self, record: logging.LogRecord) -> str:
        """Return `time level logger event key=value ...`."""
        when = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        fields = " ".join(f"{k}={v}" for k, v in _extra_fields(record).items())
        line = f"{when} {record.levelname:<7} {record.name}: {record.getMessage()} {fields}"
        line = line.rstrip()
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        return f"{line}\n{record.exc_text}" if record.exc_text else line


def configure_logging(
    level: str | int = "INFO", json: bool = True, stream: TextIO | None = None
) -> None:
    """Send every log record, rewritten by the privacy filter, to stderr as JSON or text."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json else TextFormatter())
    handler.addFilter(PrivacyFilter())
    handler._heard = True  # type: ignore[attr-defined]  # ours to replace on a second call
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_heard", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    root.setLevel(numeric if isinstance(numeric, int) else logging.INFO)
    for name, quiet in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(quiet, root.level))
    logging.getLogger("uvicorn.access").disabled = True
    logging.captureWarnings(True)


def configure_from_environment() -> None:
    """Configure logging from HEARD_LOG_LEVEL and HEARD_LOG_FORMAT (bad values: defaults)."""
    try:
        settings = LogSettings()
    except ValidationError:
        settings = LogSettings.model_construct()
    configure_logging(settings.log_level, json=settings.log_format == "json")
