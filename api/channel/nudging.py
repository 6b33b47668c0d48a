"""Nudges: invite opted-in participants back to a flow, and understand their answer.

A nudge is an outbox message with two options, `nudge:<flow>` and `nudge:no`. A tap comes
back as that choice; a typed "yes", "1" or "👍" is understood too, while the nudge is fresh.
"""

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import insert, or_, update
from sqlmodel import Session, col, select

from api.channel.texts import host_text
from api.errors import Invalid, NotFound
from api.models import OutboxMessage, Participant, Run, SealedAddress, Site, utcnow
from api.settings import Settings
from flows.loader import Library
from flows.understanding import Choice, Matcher, normalise

if TYPE_CHECKING:
    from api.channel.conversation import Turn
    from api.channel.schemas import InboundMessage

NUDGE_PREFIX = "nudge:"
NUDGE_NO = "nudge:no"
# Flows a nudge cannot invite to: the welcome runs by itself, deleting is the person's call.
NOT_NUDGEABLE = frozenset({"welcome", "forget"})
# A typed "yes" counts as an answer to a nudge this fresh.
FRESH = timedelta(days=2)


def nudge_options(flow: str, language: str) -> list[dict[str, str]]:
    """Return the two options of a nudge to `flow`."""
    return [
        {"key": f"{NUDGE_PREFIX}{flow}", "emoji": "👍", "label": host_text("nudge_yes", language)},
        {"key": NUDGE_NO, "emoji": "👋", "label": host_text("nudge_no", language)},
    ]


def queue_nudges(
    session: Session,
    *,
    settings: Settings,
    library: Library,
    flow: str,
    site_id: int | None,
    now: datetime | None = None,
) -> int:
    """Queue one nudge for each opted-in, reachable participant not nudged lately; count them."""
    if library.get(flow) is None:
        raise NotFound(f"There is no flow {flow!r}. GET /v1/flows lists them.")
    if flow in NOT_NUDGEABLE:
        raise Invalid(f"Nudges cannot invite people to the {flow!r} flow.")
    if site_id is not None and session.get(Site, site_id) is None:
        raise NotFound(f"There is no site {site_id}.")
    now = now or utcnow()
    cutoff = now - timedelta(days=settings.nudge_gap_days)
    # One UPDATE ... RETURNING claims each participant, so two nudges at once cannot both
    # pick the same person: the second sees the new last_nudged_at.
    claim = (
        update(Participant)
        .where(
            col(Participant.consented),
            col(Participant.followups),
            col(Participant.reachable),
            col(Participant.pseudonym).in_(select(SealedAddress.pseudonym)),
            or_(
                col(Participant.last_nudged_at).is_(None), col(Participant.last_nudged_at) <= cutoff
            ),
        )
        .values(last_nudged_at=now)
        .returning(col(Participant.pseudonym), col(Participant.language))
        .execution_options(synchronize_session=False)
    )
    if site_id is not None:
        claim = claim.where(col(Participant.site_id) == site_id)
    claimed = session.execute(claim).all()
    if not claimed:
        return 0
    channels = dict(
        session.exec(
            select(SealedAddress.pseudonym, SealedAddress.channel).where(
                col(SealedAddress.pseudonym).in_([row[0] for row in claimed])
            )
        ).all()
    )
    session.execute(
        insert(OutboxMessage),
        [
            {
                "channel": channels.get(pseudonym, "telegram"),
                "pseudonym": pseudonym,
                "kind": "nudge",
                "text": host_text("nudge", language),
                "options": nudge_options(flow, language),
                "status": "pending",
                "attempts": 0,
                "available_at": now,
                "created_at": now,
            }
            for pseudonym, language in claimed
        ],
    )
    return len(claimed)


def nudge_reply(turn: "Turn", message: "InboundMessage") -> bool:
    """Start the nudged flow (or say goodbye) if this message answers a nudge; else False."""
    if message.choice is not None and message.choice.startswith(NUDGE_PREFIX):
        return _answer(turn, message.choice)
    if turn.live or message.text is None:
        return False
    latest = _fresh_nudge(turn)
    if latest is None or not latest.options:
        return False
    yes_key = latest.options[0].get("key", "")
    hit = _yes_no(turn.participant.language).match(normalise(message.text))
    if hit is None:
        return False
    return _answer(turn, yes_key if hit.key == "yes" else NUDGE_NO)


def _answer(turn: "Turn", key: str) -> bool:
    if key == NUDGE_NO:
        turn.say(host_text("nudge_declined", turn.participant.language))
        return True
    flow = key[len(NUDGE_PREFIX) :]
    if flow in NOT_NUDGEABLE or turn.library.get(flow) is None:
        return False  # a forged key: the flow answers it like any key it does not know
    turn.start(flow, site_id=turn.participant.site_id)
    return True


def _fresh_nudge(turn: "Turn") -> OutboxMessage | None:
    """Return the person's last nudge if it was sent lately and no flow started since."""
    pseudonym = turn.participant.pseudonym
    latest = turn.db.exec(
        select(OutboxMessage)
        .where(
            OutboxMessage.pseudonym == pseudonym,
            OutboxMessage.kind == "nudge",
            col(OutboxMessage.status).in_(("leased", "delivered")),
            OutboxMessage.created_at >= turn.now - FRESH,
        )
        .order_by(col(OutboxMessage.id).desc())
        .limit(1)
    ).first()
    if latest is None:
        return None
    started_since = turn.db.exec(
        select(Run.id).where(Run.pseudonym == pseudonym, Run.started_at >= latest.created_at)
    ).first()
    return None if started_since is not None else latest


_MATCHERS: dict[str, Matcher] = {}


def _yes_no(language: str) -> Matcher:
    matcher = _MATCHERS.get(language)
    if matcher is None:
        choices = [
            Choice("yes", "👍", {language: host_text("nudge_yes", language)}, {}),
            Choice("no", "👋", {language: host_text("nudge_no", language)}, {}),
        ]
        matcher = _MATCHERS[language] = Matcher(choices, language, [language])
    return matcher
