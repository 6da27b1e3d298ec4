"""HTTP endpoints of ``/auth``: sign in, refresh, sign out, pick a tenant, reset a password, and
accept an invitation (the only way to create an account)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request, Response
from fastapi.responses import JSONResponse

from trueport.errors import ApiInvalid
from trueport.platform.api_errors import ErrorBody, error_response
from trueport.platform.auth import reset, service
from trueport.platform.auth.cookie import clear_refresh_cookie, refresh_cookie_of, set_refresh_cookie
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


def _tokens(pair: service.TokenPair, response: Response, *, in_cookie: bool) -> TokensOut:
    """The body of a new pair; with ``in_cookie``, the refresh token goes to the cookie instead."""
    if in_cookie:
        set_refresh_cookie(response, pair.refresh_token, pair.refresh_expires_in)
    return TokensOut.of(pair, in_cookie=in_cookie)


@router.post(
    "/login",
    summary="Sign in with e-mail and password",
    description="Returns a token pair not bound to any tenant (`tenant_id: null`); "
    "bind it with `POST /auth/select-tenant`. A wrong address and a wrong password get the same "
    "401 `invalid_credentials`. With `refresh_cookie`, the refresh token is set as an httpOnly, "
    "Secure, SameSite=Strict cookie on `/api/v1/auth` instead of being returned (`refresh_token: null`).",
    responses=_THROTTLED,
)
async def login(
    request: Request, response: Response, work: Work, platform: PlatformDep, body: LoginIn
) -> TokensOut:
    pair = await service.login(work, platform, body.email, body.password, ip=_client_ip(request))
    return _tokens(pair, response, in_cookie=body.refresh_cookie)


@router.post(
    "/refresh",
    summary="Exchange a refresh token for a new pair",
    description="The refresh token is single use. Presenting one that was already used ends the "
    "whole session (401 `refresh_token_reused`): someone else holds a copy. Without `refresh_token` "
    "in the body, the refresh cookie is used, and the new refresh token replaces it; with neither, 400 "
    "`refresh_token_missing`.",
    response_model=TokensOut,
)
async def refresh(
    request: Request, response: Response, work: Work, platform: PlatformDep, body: RefreshIn
) -> TokensOut | JSONResponse:
    in_cookie = body.refresh_token is None
    token = refresh_cookie_of(request) if in_cookie else body.refresh_token
    if token is None:  # nothing to check: a malformed request (a token that fails is a 401)
        raise ApiInvalid(
            "send refresh_token in the body, or the refresh cookie set at sign-in",
            code="refresh_token_missing",
        )
    outcome = await service.refresh(work, platform, token)
    if isinstance(outcome, service.TokenReused):
        # Returned rather than raised: the revocation of the family must be committed.
        refused = error_response(
            401, "refresh_token_reused", "this refresh token was already used; the session is ended"
        )
        if in_cookie:
            clear_refresh_cookie(refused)
        return refused
    return _tokens(outcome, response, in_cookie=in_cookie)


@router.post(
    "/logout",
    status_code=204,
    summary="Sign out",
    description="Ends the session of `refresh_token` (or, without it, of the refresh cookie, which is "
    "cleared); with `everywhere`, every session of yours, and access tokens issued until now stop working.",
)
async def logout(user: CurrentUser, request: Request, work: Work, body: LogoutIn) -> Response:
    token = body.refresh_token if body.refresh_token is not None else refresh_cookie_of(request)
    if token is not None:
        await service.logout(work, user, token, everywhere=body.everywhere)
    elif body.everywhere:
        await service.end_sessions(work.session, user)
    ended = Response(status_code=204)
    if body.refresh_token is None:
        clear_refresh_cookie(ended)
    return ended


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
    user: CurrentUser,
    request: Request,
    response: Response,
    work: Work,
    platform: PlatformDep,
    body: SelectTenantIn,
) -> TokensOut:
    pair = await service.select_tenant(work, platform, user, body.tenant)
    replaced = refresh_cookie_of(request) if body.refresh_cookie else None
    if replaced is not None:  # the cookie's unbound session would otherwise live on, unreachable
        await service.logout(work, user, replaced, everywhere=False)
    return _tokens(pair, response, in_cookie=body.refresh_cookie)


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
