"""Logging for the bot: third-party loggers that would leak tokens or identities are quietened.

httpx logs every request URL at INFO: Bot API URLs carry the bot token and channel URLs carry
pseudonyms. python-telegram-bot logs whole updates (names, ids, texts) at DEBUG. So both are held
above those levels whatever the root level is, and the stderr handler scrubs the token from
anything left.
"""

import logging

QUIET = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram": logging.INFO,
    "telegram.ext": logging.INFO,
    "hpack": logging.WARNING,
    "uvicorn.access": logging.WARNING,
}


class TokenFilter(logging.Filter):
    """Replace the bot token in a log record's message, in case a library prints a URL."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self._token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the token from the record; always keep the record."""
        if self._token and self._token in record.getMessage():
            record.msg = record.getMessage().replace(self._token, "<token>")
            record.args = None
        return True


def quiet_loggers() -> None:
    """Hold chatty libraries above the levels where they log URLs or updates."""
    for name, level in QUIET.items():
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < level:
            logger.setLevel(level)


def configure_logging(level: str = "INFO", token: str | None = None) -> None:
    """Log to stderr at `level`, quieten chatty libraries and scrub the bot token."""
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    quiet_loggers()
    if token:
        for handler in logging.getLogger().handlers:
            if not any(isinstance(f, TokenFilter) for f in handler.filters):
                handler.addFilter(TokenFilter(token))
