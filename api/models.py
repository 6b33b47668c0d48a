"""The tables. Nothing here may hold a Telegram id, chat id, username, name or phone number.

A participant is known only by a pseudonym (an HMAC made by the channel adapter).
Every row that belongs to a participant carries `pseudonym`, so that "delete my data"
is one DELETE per table (see `api.participants.service.forget`).
"""

from datetime import UTC, datetime
from typing import Any

from pydantic import NaiveDatetime
from sqlalchemy import JSON, Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


# Times are naive UTC everywhere (NaiveDatetime below): SQLModel would otherwise map
# datetime to a timezone-aware column that refuses naive values.
def utcnow() -> datetime:
    """Return the current time in UTC, without tzinfo (portable across SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


# --- staff and sites -------------------------------------------------------------------


class Site(SQLModel, table=True):
    """A place where people use a service: a hostel, a day centre, an outreach patch."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class ApiKey(SQLModel, table=True):
    """A staff key. Only its SHA-256 is stored; the key itself is shown once."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    role: str = Field(max_length=20)  # admin | coordinator | outreach
    label: str = Field(default="", max_length=120)
    key_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=12)  # first characters, to tell keys apart in lists
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    revoked_at: NaiveDatetime | None = None


class Checkin(SQLModel, table=True):
    """A check-in code an outreach worker shares as a deep link or QR code."""

    code: str = Field(primary_key=True, max_length=64)
    site_id: int = Field(foreign_key="site.id", index=True)
    flow: str = Field(max_length=64)
    expires_at: NaiveDatetime | None = None
    max_uses: int | None = None
    uses: int = 0
    created_at: NaiveDatetime = Field(default_factory=utcnow)


# --- participants and conversations -----------------------------------------------------


class Participant(SQLModel, table=True):
    """Someone who has talked to Heard, known only by a pseudonym."""

    pseudonym: str = Field(primary_key=True, max_length=128)
    channel: str = Field(default="telegram", max_length=20)
    language: str = Field(default="en", max_length=8)
    consented: bool = False
    followups: bool = False
    voice_prompts: bool = False
    reachable: bool = True
    site_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    last_nudged_at: NaiveDatetime | None = None
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class Conversation(SQLModel, table=True):
    """The live engine session of a participant (plain JSON from `flows`)."""

    pseudonym: str = Field(primary_key=True, max_length=128)
    run_id: int | None = Field(default=None, foreign_key="run.id")
    session: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: NaiveDatetime = Field(default_factory=utcnow)


class Run(SQLModel, table=True):
    """One pass of one participant through one flow: for starts and completions."""

    id: int | None = Field(default=None, primary_key=True)
    pseudonym: str = Field(max_length=128, index=True)
    flow: str = Field(max_length=64, index=True)
    site_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    checkin_code: str | None = Field(default=None, max_length=64, index=True)
    language: str = Field(default="en", max_length=8)
    status: str = Field(default="active", max_length=12)  # active|completed|stopped|expired
    started_at: NaiveDatetime = Field(default_factory=utcnow, index=True)
    # Indexed so insights can pick up runs that ended since they last looked.
    ended_at: NaiveDatetime | None = Field(default=None, index=True)


class Answer(SQLModel, table=True):
    """One saved result. Free text is redacted before it gets here."""

    __table_args__ = (
        Index("ix_answer_flow_question", "flow", "question"),
        Index("ix_answer_site_created", "site_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: int | None = Field(default=None, foreign_key="run.id", index=True)
    pseudonym: str = Field(max_length=128, index=True)
    site_id: int | None = Field(default=None, foreign_key="site.id")
    flow: str = Field(max_length=64)
    question: str = Field(max_length=64)  # the flow node
    result: str = Field(max_length=64)  # the result name
    category: str = Field(max_length=64)
    value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    number: int | None = None  # face-scale value
    free_text: bool = False
    language: str = Field(default="en", max_length=8)
    proposal_id: int | None = Field(default=None, foreign_key="proposal.id", index=True)
    created_at: NaiveDatetime = Field(default_factory=utcnow, index=True)


class InboundMessage(SQLModel, table=True):
    """A message already handled, so a retried delivery returns the same replies."""

    __tablename__ = "inbound_message"
    __table_args__ = (UniqueConstraint("channel", "pseudonym", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    pseudonym: str = Field(max_length=128, index=True)
    message_id: str = Field(max_length=64)
    response: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: NaiveDatetime = Field(default_factory=utcnow, index=True)


class SealedAddress(SQLModel, table=True):
    """The adapter's encrypted address of an opted-in participant. Opaque to the API."""

    __tablename__ = "sealed_address"

    pseudonym: str = Field(primary_key=True, max_length=128)
    channel: str = Field(max_length=20)
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class OutboxMessage(SQLModel, table=True):
    """A message waiting for an adapter to send it (nudges, "you said, we did")."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_claim", "channel", "status", "available_at"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=20)
    pseudonym: str = Field(max_length=128, index=True)
    kind: str = Field(max_length=20)  # nudge | loop_update
    text: str = Field(sa_column=Column(Text, nullable=False))
    options: list[dict[str, str]] = Field(default_factory=list, sa_column=Column(JSON))
    status: str = Field(default="pending", max_length=12)  # pending|leased|delivered|failed|blocked
    attempts: int = 0
    available_at: NaiveDatetime = Field(default_factory=utcnow)
    lease_expires_at: NaiveDatetime | None = None
    loop_update_id: int | None = Field(default=None, foreign_key="loop_update.id", index=True)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    delivered_at: NaiveDatetime | None = None


class VoiceNote(SQLModel, table=True):
    """A voice answer, encrypted on disk until transcribed or past retention."""

    __tablename__ = "voice_note"

    id: str = Field(primary_key=True, max_length=36)
    pseudonym: str = Field(max_length=128, index=True)
    run_id: int | None = Field(default=None, foreign_key="run.id")
    flow: str = Field(max_length=64)
    question: str = Field(max_length=64)
    site_id: int | None = Field(default=None, foreign_key="site.id")
    size: int = 0
    transcript: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    audio_deleted: bool = False
    created_at: NaiveDatetime = Field(default_factory=utcnow, index=True)


# --- themes, insights and closing the loop ---------------------------------------------


class Theme(SQLModel, table=True):
    """A theme of the codebook, with its "you said, we did" status."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=120)
    terms: dict[str, list[str]] = Field(default_factory=dict, sa_column=Column(JSON))
    # Idioms that contain a term without meaning the theme, by language.
    exclude: dict[str, list[str]] = Field(default_factory=dict, sa_column=Column(JSON))
    status: str = Field(default="heard", max_length=16)  # heard|planned|done|not_possible
    note: str = Field(default="", max_length=300)
    source: str = Field(default="codebook", max_length=16)  # codebook | discovered
    updated_at: NaiveDatetime = Field(default_factory=utcnow)


class ThemeProposal(SQLModel, table=True):
    """A theme that discovery proposed from untagged answers, until a coordinator accepts it."""

    __tablename__ = "theme_proposal"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    terms: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    size: int = 0
    contributors: int = 0
    # Redacted quotes, kept only when the group had at least HEARD_MIN_GROUP people.
    examples: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    status: str = Field(default="open", max_length=12)  # open | accepted
    theme_id: int | None = Field(default=None, foreign_key="theme.id", ondelete="SET NULL")
    created_at: NaiveDatetime = Field(default_factory=utcnow, index=True)


class Counter(SQLModel, table=True):
    """A named number shared by every API process: data versions and background-job progress."""

    name: str = Field(primary_key=True, max_length=40)
    value: int = 0


class AnswerTheme(SQLModel, table=True):
    """A theme tag on a free-text answer."""

    __tablename__ = "answer_theme"

    answer_id: int = Field(foreign_key="answer.id", primary_key=True, ondelete="CASCADE")
    theme_id: int = Field(foreign_key="theme.id", primary_key=True, index=True, ondelete="CASCADE")


class LoopUpdate(SQLModel, table=True):
    """A "you said, we did" message about a theme."""

    __tablename__ = "loop_update"

    id: int | None = Field(default=None, primary_key=True)
    theme_id: int = Field(foreign_key="theme.id", index=True)
    text: str = Field(max_length=300)
    queued: int = 0
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class Proposal(SQLModel, table=True):
    """A co-design proposal people vote on in the `codesign` flow."""

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(max_length=300)
    site_id: int | None = Field(default=None, foreign_key="site.id")
    status: str = Field(default="open", max_length=12)  # open | closed
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class SafeguardingAlert(SQLModel, table=True):
    """A crisis word was typed. No text and no identifier is kept: time, site, category."""

    __tablename__ = "safeguarding_alert"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int | None = Field(default=None, foreign_key="site.id")
    category: str = Field(max_length=20)
    created_at: NaiveDatetime = Field(default_factory=utcnow, index=True)


# Tables holding a participant's rows; "delete my data" clears each by pseudonym.
PERSONAL_TABLES: tuple[type[SQLModel], ...] = (
    InboundMessage,
    OutboxMessage,
    SealedAddress,
    VoiceNote,
    Answer,
    Conversation,
    Run,
    Participant,
)
