"""The channel: inbound messages and voice notes in, replies out, exactly once per delivery."""

import logging
import uuid
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from api.channel import store
from api.channel.conversation import FORGET, HELP, WELCOME, Turn
from api.channel.nudging import nudge_reply
from api.channel.schemas import ChannelResponse, InboundMessage
from api.channel.store import ParticipantState
from api.channel.transaction import BATCHED
from api.errors import Conflict, Invalid, TooLarge
from api.models import VoiceNote, utcnow
from api.observability.metrics import MESSAGES_IN, MESSAGES_OUT
from api.participants.service import forget
from api.settings import Settings
from flows import Input, system_text
from flows.commands import command_for
from flows.loader import Library
from flows.safeguarding import concern_in
from flows.understanding import normalise

logger = logging.getLogger(__name__)

MAX_VOICE_BYTES = 20 * 1024 * 1024
OGG_MAGIC = b"OggS"
# A message can clash with a duplicate, then with a newcomer's other first message: enough.
ATTEMPTS = 3
ENGINE_COMMANDS = frozenset({"stop", "help", "back", "skip", "repeat", "language", "forget"})


def handle_message(
    session: Session,
    *,
    settings: Settings,
    library: Library,
    message: InboundMessage,
    now: datetime | None = None,
) -> ChannelResponse:
    """Run one inbound message through the participant's conversation; a retry gets the same."""
    key = (message.channel, message.participant, message.message_id)
    for _attempt in range(ATTEMPTS):
        stored = _stored_response(session, *key)
        if stored is not None:
            return stored
        try:
            turn = _begin(session, settings=settings, library=library, message=message, now=now)
            _route(turn, message)
            return _finish(session, turn, key)
        except IntegrityError:
            # The same delivery handled at the same moment (its record won), or a newcomer's
            # two first messages (both made the participant): look again at what is stored.
            if session.info.get(BATCHED):
                raise  # the batch is rolled back and this message run again on its own
            session.rollback()
    raise Conflict("This message clashed with others at the same moment; send it again.")


def handle_voice(
    session: Session,
    *,
    settings: Settings,
    library: Library,
    channel: str,
    pseudonym: str,
    message_id: str,
    audio: bytes,
    now: datetime | None = None,
) -> ChannelResponse:
    """Answer the waiting question with a voice note; store the audio only if it answers."""
    if len(audio) > MAX_VOICE_BYTES:
        raise TooLarge("A voice note can be at most 20 MB.")
    if not audio.startswith(OGG_MAGIC):
        raise Invalid("The audio must be OGG (Telegram voice notes are OGG/Opus).")
    key = (channel, pseudonym, message_id)
    stored = _stored_response(session, *key)
    if stored is not None:
        return stored
    message = InboundMessage(
        channel=channel, participant=pseudonym, message_id=message_id, command="repeat"
    )
    turn = _begin(session, settings=settings, library=library, message=message, now=now)
    if not turn.participant.consented or not turn.live:
        # Nothing is waiting for a voice answer: say so kindly, and keep no audio.
        turn.say(turn_text(turn, "voice_not_now"))
        _route(turn, message)
        return _finish(session, turn, key)
    voice_id = str(uuid.uuid4())
    flow, node = str(turn.engine.get("flow")), str(turn.engine.get("node"))  # type: ignore[union-attr]
    site_id, run_id = turn.site_id, turn.host.get("run_id")
    turn.resume(Input(voice=voice_id))
    if any(answer["value"] == voice_id for answer in turn.answers):
        from api.voice.storage import store_audio

        size = store_audio(settings, voice_id=voice_id, data=audio)
        session.add(
            VoiceNote(
                id=voice_id,
                pseudonym=pseudonym,
                run_id=run_id if isinstance(run_id, int) else None,
                flow=flow,
                question=node,
                site_id=site_id,
                size=size,
                created_at=turn.now,
            )
        )
    return _finish(session, turn, key)


def _counter(metric: Counter, channel: str) -> Counter:
    """Return the metric's child for a channel (`labels` costs more than the increment)."""
    key = (metric, channel)
    child = _COUNTERS.get(key)
    if child is None:
        child = _COUNTERS[key] = metric.labels(channel)
    return child


_COUNTERS: dict[tuple[Counter, str], Counter] = {}


def _stored_response(
    session: Session, channel: str, pseudonym: str, message_id: str
) -> ChannelResponse | None:
    """Return the replies already sent for this delivery, or None if it is new."""
    response = store.stored_response(session, channel, pseudonym, message_id)
    if response is None:
        return None
    return ChannelResponse.model_validate(response or _empty_response())


def _empty_response() -> dict[str, Any]:
    return {"replies": [], "ended": True, "voice_prompts": False, "send_address": False}


def _begin(
    session: Session,
    *,
    settings: Settings,
    library: Library,
    message: InboundMessage,
    now: datetime | None,
) -> Turn:
    _counter(MESSAGES_IN, message.channel).inc()
    pseudonym = message.participant
    # Lock the participant's row (PostgreSQL), so two messages of one person run one after
    # the other; on SQLite the channel handles one message at a time (see transaction.py).
    loaded = store.load(session, pseudonym)
    participant = loaded.participant
    if participant is None:
        participant = ParticipantState(
            pseudonym=pseudonym,
            channel=message.channel,
            language=_language_for(message.locale, library),
            new=True,
        )
    return Turn(
        session,
        settings=settings,
        library=library,
        participant=participant,
        conversation=loaded.conversation,
        now=now or utcnow(),
    )


def _language_for(locale: str | None, library: Library) -> str:
    """Return the participant's language from the device locale, when the welcome has it."""
    if not locale:
        return "en"
    code = locale.replace("_", "-").split("-")[0].lower()
    welcome = library.get(WELCOME)
    if welcome is not None and code in welcome.language_status:
        return code
    return "en"


def _input_for(message: InboundMessage) -> Input:
    if message.command is not None and message.command in ENGINE_COMMANDS:
        return Input(command=message.command)
    if message.choice is not None:
        return Input(choice=message.choice)
    return Input(text=message.text)


def _route(turn: Turn, message: InboundMessage) -> None:
    """Decide what this message does: answer, command, start a flow, or the welcome first."""
    participant = turn.participant
    if message.command == "voice":
        participant.voice_prompts = not participant.voice_prompts
        turn.say(turn_text(turn, "voice_on" if participant.voice_prompts else "voice_off"))
        if participant.consented and turn.live:
            turn.resume(Input(command="repeat"))
            return
    if not participant.consented:
        _route_newcomer(turn, message)
        return
    if message.checkin_code is not None:
        if not turn.start_checkin(message.checkin_code):
            turn.say(turn_text(turn, "code_ended"))
            _carry_on(turn)
        return
    if message.command == "voice":
        return
    if message.command == "changes":
        _what_changed(turn)
        _carry_on(turn)
        return
    if nudge_reply(turn, message):
        return
    if turn.live:
        turn.resume(_input_for(message))
        return
    _start_fresh(turn, message)


def _route_newcomer(turn: Turn, message: InboundMessage) -> None:
    """Someone who has not consented: the welcome, carrying a check-in code for afterwards."""
    code = message.checkin_code
    pending: str | None = None
    if code is not None:
        from api.checkins.service import peek

        if peek(turn.db, code=code, now=turn.now) is not None:
            pending = code
        else:
            turn.say(turn_text(turn, "code_ended"))
    if turn.live:
        if code is not None:
            turn.host["pending_code"] = pending
            turn.resume(Input(command="repeat"))
        elif message.command in ("voice", "changes"):
            turn.resume(Input(command="repeat"))
        else:
            turn.resume(_input_for(message))
        return
    command = _command_of(message)
    if command == "forget" and code is None:
        turn.start(FORGET)
        return
    turn.start(WELCOME, pending_code=pending)
    _check_concern(turn, message)


def _start_fresh(turn: Turn, message: InboundMessage) -> None:
    """Nothing is waiting: a command does what it says; anything else opens the menu."""
    command = _command_of(message)
    if command == "forget":
        turn.start(FORGET)
        return
    if command == "stop":
        turn.say(system_text("goodbye", turn.participant.language))
        return
    turn.start(HELP)
    if command == "language":
        turn.resume(Input(command="language"))
        return
    _check_concern(turn, message)


def _command_of(message: InboundMessage) -> str | None:
    if message.command is not None:
        return message.command
    if message.text is not None:
        return command_for(normalise(message.text), message.text)
    return None


def _check_concern(turn: Turn, message: InboundMessage) -> None:
    """A first message can carry words of crisis: let the engine signpost at once."""
    if message.text is not None and turn.live and concern_in(message.text) is not None:
        turn.resume(Input(text=message.text))


def _carry_on(turn: Turn) -> None:
    """After a side reply, ask the waiting question again, or open the menu."""
    if turn.live:
        turn.resume(Input(command="repeat"))
    else:
        turn.start(HELP)


def _what_changed(turn: Turn) -> None:
    from api.loop.service import what_changed

    texts = what_changed(
        turn.db, site_id=turn.participant.site_id, language=turn.participant.language
    )
    if not texts:
        turn.say(turn_text(turn, "nothing_new"))
    for text in texts:
        turn.say(text)


def turn_text(turn: Turn, key: str) -> str:
    """Return the API's own text `key` in the participant's language."""
    from api.channel.texts import host_text

    return host_text(key, turn.participant.language)


def _finish(session: Session, turn: Turn, key: tuple[str, str, str]) -> ChannelResponse:
    channel, pseudonym, _ = key
    participant = turn.participant
    _counter(MESSAGES_OUT, channel).inc(len(turn.replies))
    if turn.forget_requested:
        forget(session, pseudonym=participant.pseudonym, settings=turn.settings)
        return ChannelResponse(
            replies=turn.replies,
            ended=True,
            language=participant.language,
            voice_prompts=False,
            send_address=False,
        )
    turn.save()
    send_address = participant.followups and not store.has_address(session, pseudonym)
    response = ChannelResponse(
        replies=turn.replies,
        ended=not turn.live,
        language=participant.language,
        voice_prompts=participant.voice_prompts,
        send_address=send_address,
    )
    # Recorded last: the unique (channel, pseudonym, message_id) makes a duplicate that ran
    # at the same moment fail here, where handle_message answers it from the stored record.
    store.record_delivery(session, key, response.model_dump(mode="json"), turn.now)
    session.flush()  # theme tags and alerts, so a conflict shows here and not at commit
    return response
