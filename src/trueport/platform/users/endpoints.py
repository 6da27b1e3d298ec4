"""HTTP endpoints of ``/users``: your own profile and password."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from trueport.platform.context import PlatformDep, Work
from trueport.platform.principal import CurrentUser
from trueport.platform.users import service
from trueport.platform.users.schemas import PasswordChange, UserOut, UserPatch

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", summary="Read your profile")
async def read_me(user: CurrentUser) -> UserOut:
    return UserOut.of(user)


@router.patch("/me", summary="Change your name")
async def update_me(user: CurrentUser, work: Work, body: UserPatch) -> UserOut:
    return UserOut.of(await service.rename(work, user, body.name))


@router.post(
    "/me/password",
    status_code=204,
    summary="Change your password",
    description="400 `invalid_credentials` if `current_password` is wrong, 400 `weak_password` if the new "
    "one is refused. Every session ends, this one included: sign in again with the new password.",
)
async def change_password(
    request: Request, user: CurrentUser, work: Work, platform: PlatformDep, body: PasswordChange
) -> Response:
    ip = request.client.host if request.client is not None else "unknown"
    await service.change_password(work, platform, user, body.current_password, body.new_password, ip=ip)
    return Response(status_code=204)
