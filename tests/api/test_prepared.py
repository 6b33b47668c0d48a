"""Prepared statements store and read exactly what the ORM does, and fail as it does."""

from datetime import datetime

import pytest
from sqlalchemy import bindparam, exc, insert, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.db import session_scope
from api.models import Conversation, InboundMessage, Participant
from api.prepared import Prepared, PreparedInsert

PARTICIPANT = Participant.__table__  # type: ignore[attr-defined]
CONVERSATION = Conversation.__table__  # type: ignore[attr-defined]
DELIVERY = InboundMessage.__table__  # type: ignore[attr-defined]

WHEN = datetime(2026, 11, 29, 12, 30, 5, 123456)
ODD = {"text": "مرحبا \u200b👍 '; DROP TABLE answer; --", "nested": [1, None, True, {"a": "b"}]}

INSERT_PARTICIPANT = PreparedInsert(insert(PARTICIPANT))
INSERT_CONVERSATION = PreparedInsert(insert(CONVERSATION))
INSERT_DELIVERY = PreparedInsert(insert(DELIVERY))
LOAD = Prepared(
    select(PARTICIPANT.c.consented, PARTICIPANT.c.site_id, CONVERSATION.c.session)
    .select_from(
        PARTICIPANT.outerjoin(CONVERSATION, CONVERSATION.c.pseudonym == PARTICIPANT.c.pseudonym)
    )
    .where(PARTICIPANT.c.pseudonym == bindparam("pseudonym"))
)
MOVE = Prepared(
    update(CONVERSATION)
    .where(CONVERSATION.c.pseudonym == bindparam("key"))
    .values(updated_at=bindparam("when"))
)


def _participant(session: Session, pseudonym: str, *, consented: bool) -> None:
    INSERT_PARTICIPANT.run(
        session,
        pseudonym=pseudonym,
        channel="telegram",
        language="en",
        consented=consented,
        followups=False,
        voice_prompts=False,
        reachable=True,
        site_id=None,
        created_at=WHEN,
        last_nudged_at=None,
    )


def test_what_is_written_reads_back_the_same_through_the_orm(engine: Engine) -> None:
    with session_scope(engine) as session:
        _participant(session, "p" * 24, consented=True)
        INSERT_CONVERSATION.run(
            session, pseudonym="p" * 24, session=ODD, run_id=None, updated_at=WHEN
        )
    with Session(engine) as session:
        stored = session.get(Conversation, "p" * 24)
        assert stored is not None
        assert stored.session == ODD and stored.updated_at == WHEN
        person = session.get(Participant, "p" * 24)
        assert person is not None and person.consented is True and person.created_at == WHEN


def test_reads_come_back_with_python_types(engine: Engine) -> None:
    with session_scope(engine) as session:
        _participant(session, "q" * 24, consented=False)
        INSERT_CONVERSATION.run(
            session, pseudonym="q" * 24, session=ODD, run_id=None, updated_at=WHEN
        )
        assert LOAD.first(session, pseudonym="q" * 24) == (False, None, ODD)
        assert LOAD.first(session, pseudonym="nobody-by-this-name") is None
        assert MOVE.rowcount(session, key="q" * 24, when=WHEN) == 1
        assert MOVE.rowcount(session, key="nobody-by-this-name", when=WHEN) == 0


def test_a_duplicate_raises_sqlalchemys_integrity_error_and_keeps_what_was_saved(
    engine: Engine,
) -> None:
    row = {
        "channel": "telegram",
        "pseudonym": "r" * 24,
        "message_id": "7",
        "response": {"replies": []},
        "created_at": WHEN,
    }
    with session_scope(engine) as session:
        INSERT_DELIVERY.run(session, **row)
    with pytest.raises(exc.IntegrityError), session_scope(engine) as session:
        INSERT_DELIVERY.run(session, **{**row, "response": {"replies": ["other"]}})
    with Session(engine) as session:
        kept = session.exec(select(InboundMessage)).all()
        assert [k.response for k in kept] == [{"replies": []}]


def test_a_missing_value_is_a_programming_error_not_a_silent_null(engine: Engine) -> None:
    with pytest.raises(KeyError), session_scope(engine) as session:
        MOVE.rowcount(session, key="s" * 24)  # `when` left out
