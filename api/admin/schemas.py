"""Bodies of the admin endpoints: sites, staff keys and flows."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["admin", "coordinator", "outreach"]
# Names and labels are one line of text: no control characters (PostgreSQL refuses NUL).
NO_CONTROLS = r"^[^\x00-\x1f\x7f]*$"


class SiteIn(BaseModel):
    """A site to create: a hostel, a day centre, an outreach patch."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1, max_length=120, pattern=NO_CONTROLS, examples=["Riverside day centre"]
    )


class SiteOut(BaseModel):
    """A site."""

    id: int
    name: str
    created_at: datetime


class KeyIn(BaseModel):
    """A staff key to create."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    label: str = Field(
        default="", max_length=120, pattern=NO_CONTROLS, examples=["Sam, outreach phone"]
    )


class KeyOut(BaseModel):
    """A staff key as listed: never the key, never its hash."""

    id: int
    role: str
    label: str
    prefix: str = Field(description="The key's first characters, to tell keys apart.")
    created_at: datetime
    revoked_at: datetime | None


class NewKey(KeyOut):
    """A key just made. `key` is shown this once; only its hash is kept."""

    key: str


class FlowOut(BaseModel):
    """A flow of the library, with each language's status (draft or reviewed)."""

    id: str
    version: int
    languages: dict[str, str]
    status: Literal["reviewed", "draft"] = Field(
        description="reviewed when every language is reviewed, else draft."
    )
