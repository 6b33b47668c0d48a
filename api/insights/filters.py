"""The filters every insights figure takes: site, flow, question, date range and language."""

from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlmodel import col

from api.models import Answer

# Ids beyond this fit no database integer column; asking for one is a 422, not a crash.
MAX_ID = 2**31 - 1


class Filters(BaseModel):
    """Which answers a figure counts. Dates are whole days in UTC, both ends included."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    site_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="Only this site.")
    flow: str | None = Field(
        default=None, min_length=1, max_length=64, description="Only this flow."
    )
    question: str | None = Field(
        default=None, min_length=1, max_length=64, description="Only this question (flow node)."
    )
    since: date | None = Field(default=None, description="From this day (UTC), included.")
    until: date | None = Field(default=None, description="To this day (UTC), included.")
    language: str | None = Field(
        default=None, min_length=2, max_length=8, description="Only answers in this language."
    )

    @model_validator(mode="after")
    def _ordered(self) -> "Filters":
        if self.since and self.until and self.since > self.until:
            raise ValueError("'since' is after 'until'; swap them")
        return self

    def applied(self) -> dict[str, Any]:
        """Return the filters that are set, by name."""
        return {k: v for k, v in self.model_dump().items() if v is not None}

    def answer_clauses(self) -> list[Any]:
        """Return SQL conditions on `Answer` for these filters."""
        clauses: list[Any] = []
        if self.site_id is not None:
            clauses.append(col(Answer.site_id) == self.site_id)
        if self.flow is not None:
            clauses.append(col(Answer.flow) == self.flow)
        if self.question is not None:
            clauses.append(col(Answer.question) == self.question)
        if self.language is not None:
            clauses.append(col(Answer.language) == self.language)
        if self.since is not None:
            clauses.append(col(Answer.created_at) >= datetime.combine(self.since, time.min))
        if self.until is not None:
            end = datetime.combine(self.until + timedelta(days=1), time.min)
            clauses.append(col(Answer.created_at) < end)
        return clauses
