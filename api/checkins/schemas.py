"""Bodies of the check-in and nudge endpoints."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

FlowId = Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,64}$", examples=["checkin"])]
SiteId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class CheckinIn(BaseModel):
    """A check-in code to make for a site and flow."""

    model_config = ConfigDict(extra="forbid")

    site_id: SiteId
    flow: FlowId
    expires_at: datetime | None = Field(
        default=None, description="When the code stops working (ISO 8601; UTC if no zone)."
    )
    max_uses: int | None = Field(default=None, ge=1, le=1_000_000)


class CheckinOut(BaseModel):
    """A check-in code, its link and QR codes, and how often it was used."""

    code: str
    deep_link: str
    qr_png_url: str
    qr_svg_url: str
    site_id: int
    flow: str
    expires_at: datetime | None
    max_uses: int | None
    uses: int
    created_at: datetime


class NudgeIn(BaseModel):
    """Invite opted-in participants (of one site, or all) back to a flow."""

    model_config = ConfigDict(extra="forbid")

    site_id: SiteId | None = None
    flow: FlowId


class NudgeOut(BaseModel):
    """How many nudges were queued; never who."""

    queued: int
