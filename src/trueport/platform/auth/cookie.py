"""The refresh cookie: how the console keeps a session without any token script can read.

A sign-in or tenant selection with ``refresh_cookie`` set returns the access token in the body (the
console holds it in memory only) and the refresh token in this cookie instead: httpOnly (no script
reads it), Secure (browsers treat ``http://localhost`` as secure, so it works in development too),
SameSite=Strict (no other site's page makes the browser send it) and scoped to ``/api/v1/auth`` (no
other request carries it). ``POST /auth/refresh`` and ``POST /auth/logout`` without a token in the
body use it. API clients that send the token in the body are unaffected.
"""

from __future__ import annotations

from fastapi import Request, Response

REFRESH_COOKIE = "trueport_refresh"
COOKIE_PATH = "/api/v1/auth"
_MAX_LENGTH = 256  # as the body's refresh_token: anything longer is not one of ours


def refresh_cookie_of(request: Request) -> str | None:
    value = request.cookies.get(REFRESH_COOKIE)
    if not value or len(value) > _MAX_LENGTH:
        return None
    return value


def set_refresh_cookie(response: Response, token: str, max_age_s: int) -> None:
    response.set_cookie(
        REFRESH_COOKIE,
        token,
        max_age=max_age_s,
        path=COOKIE_PATH,
        secure=True,
        httponly=True,
        samesite="strict",
    )


def clear_refresh_cookie(response: Response) -> None:
    response.delete_cookie(REFRESH_COOKIE, path=COOKIE_PATH, secure=True, httponly=True, samesite="strict")
