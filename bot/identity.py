"""Pseudonyms and sealed addresses: the only place a Telegram id is turned into something else.

A pseudonym is an HMAC of the Telegram user id, so the same person always gets the same one and
nobody without the key can go back. A sealed address is the chat id encrypted with a key only the
bot holds; the API stores it without being able to read it.
"""

import base64
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from bot.settings import BotSettings

log = logging.getLogger(__name__)

PSEUDONYM_KEY_FILE = "bot_pseudonym.key"
ADDRESS_KEY_FILE = "bot_address.key"


class IdentityKeyError(RuntimeError):
    """A key the bot needs is missing or malformed."""


class UnsealError(ValueError):
    """A sealed address could not be opened (another key sealed it, or it was altered)."""


@dataclass(frozen=True)
class Identity:
    """Turn Telegram ids into pseudonyms and chat ids into sealed addresses, and back."""

    pseudonym_key: bytes
    address_key: bytes

    def pseudonym(self, user_id: int) -> str:
        """Return the URL-safe pseudonym (43 characters) of a Telegram user id."""
        digest = hmac.new(self.pseudonym_key, str(user_id).encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def seal(self, chat_id: int) -> bytes:
        """Encrypt a chat id so that only this bot can read it back."""
        return Fernet(self.address_key).encrypt(str(chat_id).encode())

    def unseal(self, sealed: bytes) -> int:
        """Decrypt a sealed address back to its chat id."""
        try:
            return int(Fernet(self.address_key).decrypt(sealed).decode())
        except (InvalidToken, ValueError) as exc:
            raise UnsealError("the sealed address cannot be opened with this key") from exc


def load_identity(settings: BotSettings) -> Identity:
    """Return the identity keys from settings; in development make and keep them on first run."""
    pseudonym_key = _secret(settings.pseudonym_key)
    address_key = _secret(settings.address_key)
    if settings.env == "development":
        pseudonym_key = pseudonym_key or _development_key(
            settings.data_dir / PSEUDONYM_KEY_FILE, "HEARD_PSEUDONYM_KEY", secrets.token_urlsafe(32)
        )
        address_key = address_key or _development_key(
            settings.data_dir / ADDRESS_KEY_FILE,
            "HEARD_ADDRESS_KEY",
            Fernet.generate_key().decode(),
        )
    if not pseudonym_key:
        raise IdentityKeyError(
            "HEARD_PSEUDONYM_KEY is not set. Set it to a long random secret, for example "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`, and keep it: "
            "a new key makes every participant a stranger."
        )
    if len(pseudonym_key) < 16:
        raise IdentityKeyError("HEARD_PSEUDONYM_KEY is too short: use at least 16 characters.")
    if not address_key:
        raise IdentityKeyError(
            "HEARD_ADDRESS_KEY is not set. Set it to a Fernet key, made for example with "
            "`python -c 'from cryptography.fernet import Fernet as F; "
            "print(F.generate_key().decode())'`."
        )
    try:
        Fernet(address_key.encode())
    except ValueError as exc:
        raise IdentityKeyError(
            "HEARD_ADDRESS_KEY is not a Fernet key (32 bytes, URL-safe base64)."
        ) from exc
    return Identity(pseudonym_key=pseudonym_key.encode(), address_key=address_key.encode())


def _secret(value: object) -> str:
    getter = getattr(value, "get_secret_value", None)
    return getter().strip() if getter else ""


def _development_key(path: Path, variable: str, fresh: str) -> str:
    """Read a key kept under the data folder, or make one there (readable by its owner only)."""
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(fresh + "\n")
    log.warning(
        "%s was not set, so a new key was made and kept in %s (development only). "
        "Keep that file: without it the bot cannot recognise anyone again. "
        "Outside development set %s yourself.",
        variable,
        path,
        variable,
    )
    return fresh
