"""Sites, staff keys and flows: the admin's endpoints."""

from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.admin import service
from api.admin.schemas import FlowOut, KeyIn, KeyOut, NewKey, SiteIn, SiteOut
from api.channel.library import LibraryDep
from api.deps import AdminKey, SessionDep
from api.models import ApiKey

router = APIRouter(prefix="/v1", tags=["admin"])


def _key_out(row: ApiKey) -> KeyOut:
    return KeyOut(
        id=row.id or 0,
        role=row.role,
        label=row.label,
        prefix=row.prefix,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


@router.post(
    "/sites",
    response_model=SiteOut,
    status_code=201,
    summary="Create a site",
    description="A place where people use a service. Check-ins and answers belong to a site.",
)
def create_site(body: SiteIn, _key: AdminKey, session: SessionDep) -> SiteOut:
    site = service.create_site(session, name=body.name)
    return SiteOut(id=site.id or 0, name=site.name, created_at=site.created_at)


@router.get(
    "/sites",
    response_model=list[SiteOut],
    summary="List sites",
    description="Every site, oldest first.",
)
def list_sites(_key: AdminKey, session: SessionDep) -> list[SiteOut]:
    return [
        SiteOut(id=site.id or 0, name=site.name, created_at=site.created_at)
        for site in service.list_sites(session)
    ]


@router.post(
    "/keys",
    response_model=NewKey,
    status_code=201,
    summary="Create a staff key",
    description="A key for the admin, coordinator or outreach role. The key is in this "
    "response only; the API keeps its hash.",
)
def create_key(body: KeyIn, _key: AdminKey, session: SessionDep) -> NewKey:
    row, key = service.create_key(session, role=body.role, label=body.label)
    return NewKey(**_key_out(row).model_dump(), key=key)


@router.get(
    "/keys",
    response_model=list[KeyOut],
    summary="List staff keys",
    description="Every staff key with its role, label and prefix; never the key or hash.",
)
def list_keys(_key: AdminKey, session: SessionDep) -> list[KeyOut]:
    return [_key_out(row) for row in service.list_keys(session)]


@router.delete(
    "/keys/{key_id}",
    status_code=204,
    response_class=Response,
    summary="Revoke a staff key",
    description="The key stops working at once. Revoking a revoked key is harmless.",
)
def revoke_key(
    key_id: Annotated[int, Path(ge=1, le=2**31 - 1)], _key: AdminKey, session: SessionDep
) -> Response:
    service.revoke_key(session, key_id=key_id)
    return Response(status_code=204)


@router.get(
    "/flows",
    response_model=list[FlowOut],
    summary="List flows",
    description="The flows Heard runs, with each language's review status.",
)
def list_flows(_key: AdminKey, library: LibraryDep) -> list[FlowOut]:
    return [
        FlowOut(
            id=flow.id,
            version=flow.version,
            languages=dict(flow.language_status),
            status="reviewed"
            if all(status == "reviewed" for status in flow.language_status.values())
            else "draft",
        )
        for flow in sorted(library, key=lambda flow: flow.id)
    ]
