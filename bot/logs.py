"""Keep python-telegram-bot's and httpx's chatty loggers above the levels that leak.

python-telegram-bot logs whole updates (names, ids, texts) and request parameters at DEBUG;
httpx logs every request URL at INFO, and Bot API URLs carry the bot token while channel URLs
carry pseudonyms. Whatever level the root logger has, these stay above those levels. (`heard`
also scrubs every record on its root handler; this is the bot's own line of defence.)
"""

import logging

QUIET = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "hpack": logging.WARNING,
    "telegram": logging.INFO,
}


def quiet_loggers() -> None:
    """Hold chatty libraries above the levels where they log URLs or updates."""
    for name, level in QUIET.items():
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < level:
            logger.setLevel(level)
