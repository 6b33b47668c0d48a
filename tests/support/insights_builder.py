"""Write insights rows directly, the way the channel would leave them (for tests of insights)."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count

from sqlalchemy.engine import Engine
from sqlmodel import select

from api.db import session_scope
from api.models import (
    Answer,
    AnswerTheme,
    Participant,
    Run,
    SealedAddress,
    Site,
    Theme,
)

MONDAY = datetime(2026, 3, 2, 12, 0)  # ISO week 2026-W10


def person(n: int) -> str:
    """Return a pseudonym that looks like the channel's (URL-safe, 16+ characters)."""
    return f"pseudo-{n:012d}-xyz"


@dataclass
class Builder:
    """Insert rows the way the channel would leave them, without going through the chat."""

    engine: Engine
    _numbers: Iterator[int] = field(default_factory=lambda: count(1))

    def site(self, name: str = "Hostel") -> int:
        with session_scope(self.engine) as session:
            site = Site(name=name)
            session.add(site)
            session.flush()
            assert site.id is not None
            return site.id

    def theme_id(self, slug: str) -> int:
        with session_scope(self.engine) as session:
            theme = session.exec(select(Theme).where(Theme.slug == slug)).one()
            assert theme.id is not None
            return theme.id

    def participant(
        self,
        pseudonym: str,
        *,
        followups: bool = False,
        reachable: bool = True,
        sealed: bool = False,
        site_id: int | None = None,
    ) -> None:
        with session_scope(self.engine) as session:
            session.add(
                Participant(
                    pseudonym=pseudonym,
                    consented=True,
                    followups=followups,
                    reachable=reachable,
                    site_id=site_id,
                )
            )
            if sealed:
                session.add(
                    SealedAddress(pseudonym=pseudonym, channel="telegram", sealed=b"\x01\x02")
                )

    def run(
        self,
        pseudonym: str,
        *,
        flow: str = "checkin",
        site_id: int | None = None,
        status: str = "completed",
        at: datetime = MONDAY,
        language: str = "en",
        checkin_code: str | None = None,
    ) -> int:
        with session_scope(self.engine) as session:
            run = Run(
                pseudonym=pseudonym,
                flow=flow,
                site_id=site_id,
                status=status,
                started_at=at,
                ended_at=None if status == "active" else at,
                language=language,
                checkin_code=checkin_code,
            )
            session.add(run)
            session.flush()
            assert run.id is not None
            return run.id

    def answer(
        self,
        pseudonym: str,
        *,
        question: str = "how",
        flow: str = "checkin",
        number: int | None = None,
        text: str | None = None,
        category: str | None = None,
        site_id: int | None = None,
        language: str = "en",
        at: datetime = MONDAY,
        run_id: int | None = None,
        themes: tuple[int, ...] = (),
        proposal_id: int | None = None,
        result: str | None = None,
    ) -> int:
        with session_scope(self.engine) as session:
            answer = Answer(
                run_id=run_id,
                pseudonym=pseudonym,
                site_id=site_id,
                flow=flow,
                question=question,
                result=result or question,
                category=category or (str(number) if number is not None else "other"),
                value=str(number) if number is not None else text,
                number=number,
                free_text=text is not None,
                language=language,
                created_at=at,
                proposal_id=proposal_id,
            )
            session.add(answer)
            session.flush()
            assert answer.id is not None
            for theme_id in themes:
                session.add(AnswerTheme(answer_id=answer.id, theme_id=theme_id))
            return answer.id
