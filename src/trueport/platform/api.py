"""The control-plane API under ``/api/v1``: ``create_api(platform)`` builds it.

Each domain package contributes one ``router`` (HTTP only; rules live in its ``service``); this
module assembles them, installs the one error shape, and wraps the app in CORS, the body limit and
the security headers. The OpenAPI schema is served at ``/api/v1/openapi.json``.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from trueport import __version__
from trueport.gateway.asgi import Receive, Scope, Send
from trueport.platform.admin_users.endpoints import router as admin_users_router
from trueport.platform.api_errors import ERROR_RESPONSES, install_error_handlers
from trueport.platform.audit.endpoints import router as audit_router
from trueport.platform.auth.endpoints import router as auth_router
from trueport.platform.billing.endpoints import router as billing_router
from trueport.platform.budgets.endpoints import router as budgets_router
from trueport.platform.context import Platform
from trueport.platform.credentials.endpoints import admin_router
from trueport.platform.credentials.endpoints import router as credentials_router
from trueport.platform.dead_letters.endpoints import router as dead_letters_router
from trueport.platform.evals.endpoints import router as evals_router
from trueport.platform.flags.endpoints import admin_router as admin_flags_router
from trueport.platform.flags.endpoints import router as flags_router
from trueport.platform.guard_bundle.endpoints import router as guard_bundle_router
from trueport.platform.inputs import InputCheck
from trueport.platform.installation.endpoints import router as installation_router
from trueport.platform.keys.endpoints import router as keys_router
from trueport.platform.mail.endpoints import router as outbox_router
from trueport.platform.members.endpoints import router as members_router
from trueport.platform.policies.endpoints import router as policies_router
from trueport.platform.reviews.endpoints import router as reviews_router
from trueport.platform.routes.endpoints import router as routes_router
from trueport.platform.tenant_settings.endpoints import router as settings_router
from trueport.platform.tenants.endpoints import router as tenants_router
from trueport.platform.usage.endpoints import router as usage_router
from trueport.platform.users.endpoints import router as users_router
from trueport.platform.violations.endpoints import router as violations_router
from trueport.platform.web import BodyLimit, SecurityHeaders
from trueport.platform.webhooks.endpoints import router as webhooks_router

PREFIX = "/api/v1"

_DESCRIPTION = """\
The TruePort control plane: users and sign-in, tenants, members and invitations, virtual keys,
bring-your-own-key provider credentials, per-tenant model routes, settings and usage.

**Authentication.** `POST /api/v1/auth/login` returns a short-lived access token (JWT) and a
refresh token. Send the access token as `Authorization: Bearer <token>`. Tenant-scoped endpoints act
on the tenant the token is bound to (`POST /api/v1/auth/select-tenant`), or the one named by the
request's subdomain (`<slug>.<base domain>`).

**Errors** always have the shape `{"error": {"code": "...", "message": "..."}}`.
"""

ROUTERS = (
    auth_router,
    users_router,
    tenants_router,
    members_router,
    keys_router,
    credentials_router,
    routes_router,
    policies_router,
    settings_router,
    usage_router,
    violations_router,
    reviews_router,
    budgets_router,
    webhooks_router,
    billing_router,
    audit_router,
    admin_router,
    dead_letters_router,
    flags_router,
    admin_flags_router,
    guard_bundle_router,
    evals_router,
    admin_users_router,
    installation_router,
    outbox_router,
)


def create_api(platform: Platform) -> FastAPI:
    app = FastAPI(
        title="TruePort control plane",
        version=__version__,
        description=_DESCRIPTION,
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.platform = platform
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router, prefix=PREFIX, responses=ERROR_RESPONSES)
    return app


class ControlPlane:
    """The API wrapped in its middleware, as one ASGI app (``TruePortApp`` hands it ``/api/`` paths)."""

    def __init__(self, platform: Platform):
        self.api = create_api(platform)
        config = platform.settings.platform
        cors = CORSMiddleware(
            self.api,
            allow_origin_regex=config.cors_allow_origin_regex or r"(?!)",  # (?!) matches nothing
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["authorization", "content-type", "x-tenant-slug", "idempotency-key"],
            expose_headers=["content-disposition", "x-export-rows", "x-export-truncated", "retry-after"],
            max_age=600,
        )
        self._app = SecurityHeaders(BodyLimit(InputCheck(cors), config.max_body_bytes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)
