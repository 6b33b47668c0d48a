"""A participant chatting over the channel endpoint, for API tests."""

import itertools
import secrets
from typing import Any

from fastapi.testclient import TestClient
from heard_testing import CHANNEL_TOKEN, bearer

_ids = itertools.count(1)


def new_pseudonym() -> str:
    """Return a fresh pseudonym, shaped like the bot's (URL-safe, 43 characters)."""
    return secrets.token_urlsafe(32)


class Chat:
    """One participant: `send` posts a message with a fresh message_id and returns the JSON."""

    def __init__(
        self, client: TestClient, pseudonym: str | None = None, *, channel: str = "telegram"
    ) -> None:
        self.client = client
        self.pseudonym = pseudonym or new_pseudonym()
        self.channel = channel
        self.last: dict[str, Any] = {}

    def post(self, **fields: Any) -> Any:
        """Post a message body (with defaults filled in) and return the raw response."""
        body = {"channel": self.channel, "participant": self.pseudonym, **fields}
        body.setdefault("message_id", f"m{next(_ids)}")
        return self.client.post("/v1/channel/messages", json=body, headers=bearer(CHANNEL_TOKEN))

    def send(self, **fields: Any) -> dict[str, Any]:
        """Post a message and return the reply JSON, failing on anything but 200."""
        response = self.post(**fields)
        assert response.status_code == 200, response.text
        self.last = response.json()
        return self.last

    @property
    def texts(self) -> list[str]:
        """Return the texts of the last replies."""
        return [reply["text"] for reply in self.last.get("replies", [])]

    @property
    def options(self) -> list[str]:
        """Return the option keys of the last question."""
        for reply in reversed(self.last.get("replies", [])):
            if reply["options"]:
                return [option["key"] for option in reply["options"]]
        return []

    def consent(self, *, followups: bool = False, voice: bool = False, **first: Any) -> None:
        """Pass the welcome: first message (default text 'hi'), yes, then follow-ups and voice."""
        self.send(**(first or {"text": "hi"}))
        self.send(choice="yes")
        self.send(choice="yes" if followups else "no")
        self.send(choice="yes" if voice else "no")
