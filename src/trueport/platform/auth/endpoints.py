"""HTTP endpoints of ``/auth``: sign in, refresh, sign out, pick a tenant, reset a password, and
accept an invitation (the only way to create an account)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import JSONResponse

from trueport.platform.api_errors import ErrorBody, error_response
from trueport.platform.auth import reset, service
from trueport.platform.auth.schemas import (
    LoginIn,
    LogoutIn,
    RefreshIn,
    ResetConfirmIn,
    ResetRequestIn,
    SelectTenantIn,
    TenantChoice,
    TokensOut,
)
from trueport.platform.context import PlatformDep, Work
from trueport.platform.members import invitations
from trueport.platform.members.schemas import AcceptIn, AcceptOut
from trueport.platform.principal import CurrentUser
from trueport.platform.rbac import Role

router = APIRouter(prefix="/auth", tags=["auth"])

_THROTTLED: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorBody,
        "description": "Too many attempts from this address or for this account; see Retry-After",
    }
}


def _client_ip(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


@router.post(
    "/login",
    summary="Sign in with e-mail and password",
    description="Returns a token pair not bound to any tenant (`tenant_id: null`); "
    "bind it with `POST /auth/select-tenant`. A wrong address and a wrong password get the same "
    "401 `invalid_credentials`.",
    responses=_THROTTLED,
)
async def login(request: Request, work: Work, platform: PlatformDep, body: LoginIn) -> TokensOut:
    pair = await service.login(work, platform, body.email, body.password, ip=_client_ip(request))
    return TokensOut.of(pair)


@router.post(
    "/refresh",
    summary="Exchange a refresh token for a new pair",
    description="The refresh token is single use. Presenting one that was already used ends the "
    "whole session (401 `refresh_token_reused`): someone else holds a copy.",
    response_model=TokensOut,
)
async def refresh(work: Work, platform: PlatformDep, body: RefreshIn) -> TokensOut | JSONResponse:
    outcome = await service.refresh(work, platform, body.refresh_token)
    if isinstance(outcome, service.TokenReused):
        # Returned rather than raised: the revocation of the family must be committed.
        return error_response(
            401, "refresh_token_reused", "this refresh token was already used; the session is ended"
        )
    return TokensOut.of(outcome)


@router.post(
    "/logout",
    status_code=204,
    summary="Sign out",
    description="Ends the session of `refresh_token`; with `everywhere`, every session of yours, and "
    "access tokens issued until now stop working.",
)
async def logout(user: CurrentUser, work: Work, body: LogoutIn) -> Response:
    await service.logout(work, user, body.refresh_token, everywhere=body.everywhere)
    return Response(status_code=204)


@router.get("/tenants", summary="List the tenants you can select")
async def my_tenants(user: CurrentUser, work: Work) -> list[TenantChoice]:
    return [TenantChoice.of(tenant, role) for tenant, role in await service.my_tenants(work, user)]


@router.post(
    "/select-tenant",
    summary="Bind a new token pair to one of your tenants",
    description="Tenant-scoped endpoints then act on that tenant. 403 `not_a_member` for a tenant you "
    "do not belong to (and for one that does not exist).",
)
async def select_tenant(
    user: CurrentUser, work: Work, platform: PlatformDep, body: SelectTenantIn
) -> TokensOut:
    return TokensOut.of(await service.select_tenant(work, platform, user, body.tenant))


@router.post(
    "/password-reset",
    status_code=202,
    summary="Ask for a password-reset link by e-mail",
    description="Always 202, whether or not the address has an account. The link leads to "
    "`/reset-password` on the public URL and works once.",
    responses=_THROTTLED,
)
async def request_password_reset(
    request: Request, work: Work, platform: PlatformDep, body: ResetRequestIn, background: BackgroundTasks
) -> Response:
    await platform.throttle.check_ip(_client_ip(request))
    mail = await reset.request_reset(work, platform, body.email)
    if mail is not None:
        background.add_task(reset.deliver, platform.mailer, mail)  # after the response: same timing
    return Response(status_code=202)


@router.post(
    "/password-reset/confirm",
    status_code=204,
    summary="Set a new password with a reset link's token",
    description="400 `invalid_reset_token` if the token is unknown, used or expired; 400 "
    "`weak_password` if the password is refused. Every session of the user ends.",
)
async def confirm_password_reset(
    request: Request, work: Work, platform: PlatformDep, body: ResetConfirmIn
) -> Response:
    await reset.confirm_reset(work, platform, body.token, body.new_password, ip=_client_ip(request))
    return Response(status_code=204)


@router.post(
    "/invitations/accept",
    summary="Accept an invitation",
    description="Creates your account if the invited address has none (`name` and `password` are then "
    "required), or adds the membership to your existing account. 400 `invalid_invitation` if the "
    "token is unknown, expired, revoked or already used. Then sign in with `POST /auth/login`.",
)
async def accept_invitation(work: Work, platform: PlatformDep, body: AcceptIn) -> AcceptOut:
    accepted = await invitations.accept(work, platform, body.token, name=body.name, password=body.password)
    return AcceptOut(
        user_id=accepted.user.id,
        tenant_id=accepted.tenant.id,
        tenant_slug=accepted.tenant.slug,
        role=Role(accepted.membership.role),
    )
