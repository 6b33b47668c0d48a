"""Check-ins and nudges, for outreach workers (coordinators may read check-ins too)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from api.channel.library import LibraryDep
from api.channel.nudging import queue_nudges
from api.checkins import service
from api.checkins.qr import qr_png, qr_svg
from api.checkins.schemas import CheckinIn, CheckinOut, NudgeIn, NudgeOut
from api.deps import OutreachKey, SessionDep, SettingsDep, require_role
from api.models import ApiKey, Checkin
from api.settings import Settings

router = APIRouter(prefix="/v1", tags=["outreach"])

ReaderKey = Annotated[ApiKey, Depends(require_role("outreach", "coordinator"))]
Code = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The check-in code.")]


def _public(settings: Settings, checkin: Checkin) -> CheckinOut:
    base = f"{settings.public_url.rstrip('/')}/v1/checkins/{checkin.code}"
    return CheckinOut(
        code=checkin.code,
        deep_link=service.deep_link(settings, checkin.code),
        qr_png_url=f"{base}/qr.png",
        qr_svg_url=f"{base}/qr.svg",
        site_id=checkin.site_id,
        flow=checkin.flow,
        expires_at=checkin.expires_at,
        max_uses=checkin.max_uses,
        uses=checkin.uses,
        created_at=checkin.created_at,
    )


@router.post(
    "/checkins",
    response_model=CheckinOut,
    status_code=201,
    summary="Make a check-in code",
    description="A code for a site and flow, with a Telegram deep link and QR codes of it. "
    "Whoever opens the link passes the welcome (consent) and then this flow, bound to the "
    "site. Optional `expires_at` and `max_uses` end it.",
)
def create_checkin(
    body: CheckinIn,
    _key: OutreachKey,
    session: SessionDep,
    settings: SettingsDep,
    library: LibraryDep,
) -> CheckinOut:
    checkin = service.create_checkin(
        session,
        library=library,
        site_id=body.site_id,
        flow=body.flow,
        expires_at=body.expires_at,
        max_uses=body.max_uses,
    )
    return _public(settings, checkin)


@router.get(
    "/checkins",
    response_model=list[CheckinOut],
    summary="List check-in codes",
    description="Every check-in code, newest first, with how often each was used.",
)
def list_checkins(
    _key: ReaderKey,
    session: SessionDep,
    settings: SettingsDep,
    site_id: Annotated[int | None, Query(ge=1, le=2**31 - 1, description="Only this site.")] = None,
) -> list[CheckinOut]:
    return [_public(settings, c) for c in service.list_checkins(session, site_id=site_id)]


@router.get(
    "/checkins/{code}/qr.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "A PNG QR code."}},
    summary="QR code (PNG)",
    description="A PNG QR code of the check-in's deep link, to show on a phone.",
)
def checkin_qr_png(
    code: Code, _key: ReaderKey, session: SessionDep, settings: SettingsDep
) -> Response:
    checkin = service.get_checkin(session, code=code)
    return Response(qr_png(service.deep_link(settings, checkin.code)), media_type="image/png")


@router.get(
    "/checkins/{code}/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}, "description": "An SVG QR code."}},
    summary="QR code (SVG)",
    description="An SVG QR code of the check-in's deep link, to print at any size.",
)
def checkin_qr_svg(
    code: Code, _key: ReaderKey, session: SessionDep, settings: SettingsDep
) -> Response:
    checkin = service.get_checkin(session, code=code)
    return Response(qr_svg(service.deep_link(settings, checkin.code)), media_type="image/svg+xml")


@router.post(
    "/nudges",
    response_model=NudgeOut,
    summary="Nudge opted-in participants",
    description="Queue one invitation to `flow` for each participant (of `site_id`, or of "
    "every site) who opted in to follow-ups, is reachable, and was not nudged in the last "
    "HEARD_NUDGE_GAP_DAYS days. Returns only the count.",
)
def nudge(
    body: NudgeIn,
    _key: OutreachKey,
    session: SessionDep,
    settings: SettingsDep,
    library: LibraryDep,
) -> NudgeOut:
    queued = queue_nudges(
        session, settings=settings, library=library, flow=body.flow, site_id=body.site_id
    )
    return NudgeOut(queued=queued)
