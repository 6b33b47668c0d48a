"""The channel endpoints that adapters (the Telegram bot, later SMS) call with the channel token."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Path, Request, Response, UploadFile

from api.channel import outbox, service
from api.channel.library import LibraryDep, library_for
from api.channel.schemas import (
    ChannelName,
    ChannelResponse,
    InboundMessage,
    MessageId,
    OutboxClaim,
    OutboxClaimIn,
    OutboxResultIn,
    Pseudonym,
    ReachabilityIn,
    SealedAddressIn,
)
from api.channel.transaction import run_transaction
from api.deps import ChannelAuth, SessionDep, SettingsDep
from api.errors import TooLarge
from api.participants import service as participants

router = APIRouter(prefix="/v1/channel", tags=["channel"])

PseudonymPath = Annotated[Pseudonym, Path(description="The participant's pseudonym.")]
# Read one byte past the limit, so a bigger upload is refused without reading all of it.
_READ_LIMIT = service.MAX_VOICE_BYTES + 1


@router.post(
    "/messages",
    response_model=ChannelResponse,
    summary="Handle an inbound message",
    description="Runs the participant's conversation one step: the replies to send, in order. "
    "A new participant passes the welcome (consent) first; a `checkin_code` starts that "
    "check-in's flow after it. A retry with the same channel, participant and `message_id` "
    "returns the same replies and stores nothing twice.",
)
async def post_message(
    body: InboundMessage, _auth: ChannelAuth, request: Request
) -> ChannelResponse:
    # The busiest route: settings and flows come straight from the app's state, as
    # SettingsDep and LibraryDep would give them, since each dependency costs per request.
    state = request.app.state
    settings, library = state.settings, library_for(state, state.settings)
    response = await run_transaction(
        state,
        state.engine,
        lambda session: service.handle_message(
            session, settings=settings, library=library, message=body
        ),
    )
    # Already a validated ChannelResponse: serialise it once, not validate it again.
    return Response(response.model_dump_json(), media_type="application/json")  # type: ignore[return-value]


@router.post(
    "/voice",
    response_model=ChannelResponse,
    summary="Answer with a voice note",
    description="An OGG voice note (20 MB at most) answering the waiting question. It is "
    "stored encrypted only when it answers one; the replies are as for a message.",
    responses={413: {"description": "Over 20 MB."}, 422: {"description": "Not OGG."}},
)
async def post_voice(
    channel: Annotated[ChannelName, Form()],
    participant: Annotated[Pseudonym, Form()],
    message_id: Annotated[MessageId, Form()],
    audio: Annotated[UploadFile, File(description="The voice note, OGG/Opus.")],
    _auth: ChannelAuth,
    settings: SettingsDep,
    library: LibraryDep,
    request: Request,
) -> ChannelResponse:
    data = await audio.read(_READ_LIMIT)
    if len(data) > service.MAX_VOICE_BYTES:
        raise TooLarge("A voice note can be at most 20 MB.")
    # Through the same queue as text messages, so a person's voice and text never interleave.
    return await run_transaction(
        request.app.state,
        request.app.state.engine,
        lambda session: service.handle_voice(
            session,
            settings=settings,
            library=library,
            channel=channel,
            pseudonym=participant,
            message_id=message_id,
            audio=data,
        ),
    )


@router.post(
    "/participants/{pseudonym}/address",
    status_code=204,
    response_class=Response,
    summary="Store a sealed address",
    description="The adapter's encrypted address of a participant, kept opaque, and only "
    "when they opted in to follow-ups (409 otherwise).",
)
def post_address(
    pseudonym: PseudonymPath, body: SealedAddressIn, _auth: ChannelAuth, session: SessionDep
) -> Response:
    participants.store_address(
        session, pseudonym=pseudonym, channel=body.channel, sealed=body.sealed
    )
    return Response(status_code=204)


@router.post(
    "/participants/{pseudonym}/reachability",
    status_code=204,
    response_class=Response,
    summary="Mark a participant reachable or not",
    description="False once they blocked the bot (no more outbox messages), true when back.",
)
def post_reachability(
    pseudonym: PseudonymPath, body: ReachabilityIn, _auth: ChannelAuth, session: SessionDep
) -> Response:
    participants.set_reachable(session, pseudonym=pseudonym, reachable=body.reachable)
    return Response(status_code=204)


@router.delete(
    "/participants/{pseudonym}",
    status_code=204,
    response_class=Response,
    summary="Forget a participant",
    description="Deletes every row of this pseudonym (answers, conversation, outbox, sealed "
    "address) and its audio files. Forgetting someone unknown is not an error.",
)
def delete_participant(
    pseudonym: PseudonymPath, _auth: ChannelAuth, session: SessionDep, settings: SettingsDep
) -> Response:
    # Forgetting someone unknown (or twice) is not an error: the result is the same.
    participants.forget(session, pseudonym=pseudonym, settings=settings)
    return Response(status_code=204)


@router.post(
    "/outbox/claim",
    response_model=OutboxClaim,
    summary="Lease outbox messages",
    description="Up to `limit` messages for reachable participants with a sealed address, "
    "leased for `lease_seconds`. Delivery is at least once: an unreported lease expires and "
    "the message can be claimed again.",
)
def claim_outbox(body: OutboxClaimIn, _auth: ChannelAuth, session: SessionDep) -> OutboxClaim:
    items = outbox.claim(
        session, channel=body.channel, limit=body.limit, lease_seconds=body.lease_seconds
    )
    return OutboxClaim(messages=items)


@router.post(
    "/outbox/{message_id}/result",
    status_code=204,
    response_class=Response,
    summary="Report how sending went",
    description="`delivered`; `blocked` (the participant is marked unreachable); or `failed` "
    "(tried again later, with backoff, or after `retry_after` seconds if longer).",
)
def outbox_result(
    message_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: OutboxResultIn,
    _auth: ChannelAuth,
    session: SessionDep,
) -> Response:
    outbox.report(session, message_id=message_id, status=body.status, retry_after=body.retry_after)
    return Response(status_code=204)
