"""Bodies of the channel endpoints: what adapters send and what they get back."""

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

# A pseudonym is the adapter's HMAC of its own user id, in URL-safe characters.
Pseudonym = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,128}$")]
ChannelName = Annotated[
    str,
    Field(pattern=r"^[a-z][a-z0-9_]{1,19}$", examples=["telegram"], description="The adapter."),
]
# Printable only: PostgreSQL cannot store NUL, and no channel id has control characters.
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
MessageId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=PRINTABLE)]

MAX_TEXT = 4096

Command = Literal[
    "stop", "help", "back", "skip", "repeat", "language", "forget", "voice", "changes"
]


class InboundMessage(BaseModel):
    """One message from a participant, as the adapter received it."""

    model_config = ConfigDict(extra="forbid")

    channel: ChannelName
    participant: Pseudonym
    message_id: MessageId = Field(description="The channel's own id; a retry reuses it.")
    text: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT)
    choice: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        pattern=PRINTABLE,
        description="The key of a tapped option.",
    )
    command: Command | None = None
    checkin_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        pattern=PRINTABLE,
        description="The payload of a /start link.",
    )
    locale: str | None = Field(
        default=None,
        max_length=35,
        pattern=r"^[A-Za-z0-9_-]*$",
        description="The device language, e.g. `pl` or `pl-PL`.",
    )

    @field_validator("text", mode="before")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # NUL is never meant, and PostgreSQL cannot store it: drop it, keep the rest.
        return value.replace("\x00", "") if isinstance(value, str) else value

    @model_validator(mode="after")
    def _something_to_answer(self) -> "InboundMessage":
        given = (self.text, self.choice, self.command, self.checkin_code)
        if all(value is None for value in given):
            raise ValueError("send at least one of text, choice, command or checkin_code")
        return self


class ReplyOption(BaseModel):
    """A button: the key to send back as `choice`, an emoji and a word."""

    key: str
    emoji: str
    label: str


class Reply(BaseModel):
    """One message to show the participant, in order."""

    text: str
    options: list[ReplyOption] = []
    audio_url: str | None = Field(
        default=None, description="The spoken text (relative URL), for people who chose voice."
    )
    language: str = "en"
    question: bool = False


class ChannelResponse(BaseModel):
    """What to send back, and what the adapter should do next."""

    replies: list[Reply]
    ended: bool = Field(description="True when no conversation is waiting for an answer.")
    language: str = "en"
    voice_prompts: bool = Field(description="True when the participant wants questions read out.")
    send_address: bool = Field(
        description="True when the participant opted in to follow-ups and the API holds no "
        "sealed address for them yet: POST one to .../address."
    )


class SealedAddressIn(BaseModel):
    """The adapter's encrypted address of a participant; the API never opens it."""

    model_config = ConfigDict(extra="forbid")

    channel: ChannelName
    sealed: str = Field(
        min_length=4, max_length=2048, description="Base64 of the opaque sealed bytes."
    )


class ReachabilityIn(BaseModel):
    """Whether the adapter can reach a participant (false once they blocked the bot)."""

    model_config = ConfigDict(extra="forbid")

    reachable: bool


class OutboxClaimIn(BaseModel):
    """Lease up to `limit` waiting messages for `lease_seconds`."""

    model_config = ConfigDict(extra="forbid")

    channel: ChannelName
    limit: int = Field(default=20, ge=1, le=100)
    lease_seconds: int = Field(default=60, ge=5, le=600)


class OutboxItem(BaseModel):
    """A leased message: send `text` to the participant behind `sealed`."""

    id: int
    participant: str
    sealed: str = Field(description="Base64 of the sealed address the adapter stored.")
    text: str
    options: list[ReplyOption] = []


class OutboxClaim(BaseModel):
    """The messages leased to this adapter."""

    messages: list[OutboxItem]


class OutboxResultIn(BaseModel):
    """How sending one leased message went."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["delivered", "blocked", "failed"]
    retry_after: int | None = Field(
        default=None, ge=0, le=86_400, description="Seconds to wait before trying again."
    )
