"""What the control plane works with (``Platform``), and the unit of work each request owns.

``open_platform`` builds the ``Platform`` in the app's lifespan; endpoints receive it and a
``UnitOfWork`` through FastAPI dependencies. Services flush; the unit of work commits once, after the
endpoint returned and before the response is sent, then announces configuration changes to the
gateways (``trueport.platform.live``).
"""

from __future__ import annotations

import hmac
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.audit.changes import ChangeTracker
from trueport.audit.events import ControlPlaneEvent
from trueport.audit.service import AuditTrail
from trueport.db.engine import SessionFactory
from trueport.errors import ApiUnauthorized, ConfigError
from trueport.events.bus import EventBus
from trueport.keys.secret import key_hmac_secret
from trueport.platform.auth.passwords import Passwords
from trueport.platform.auth.throttle import LoginThrottle
from trueport.platform.auth.tokens import TokenCodec
from trueport.platform.credentials.envelope import Envelope
from trueport.platform.inputs import check_column_values
from trueport.platform.live import LiveConfig
from trueport.platform.mail.mailer import Mailer
from trueport.platform.mail.outbox import Outbox, open_outbox
from trueport.platform.secrets import load_platform_secrets
from trueport.settings import Settings
from trueport.state.protocols import State

if TYPE_CHECKING:
    from trueport.gateway.guarding import GuardService
    from trueport.limits.breaker import BreakerRegistry
    from trueport.platform.evals.gateway_calls import EvalGateway


@dataclass(slots=True)
class Platform:
    settings: Settings
    sessions: SessionFactory
    state: State
    tokens: TokenCodec
    passwords: Passwords
    throttle: LoginThrottle
    mailer: Mailer
    envelope: Envelope
    live: LiveConfig
    key_secret: bytes  # HMAC secret of virtual keys
    audit: AuditTrail | None = None  # None: control-plane changes are not audited
    events: EventBus | None = None  # the process's event bus, once open (bus dead letters)
    guard: GuardService | None = None  # the gateway's guard, when enabled (eval runs, /policies/try)
    eval_gateway: EvalGateway | None = None  # the process's own data plane, for route eval suites
    outbox: Outbox | None = None  # development without SMTP: mail kept for platform admins to read
    breakers: BreakerRegistry | None = None  # the gateway's circuit breakers (/admin/providers/health)


async def open_platform(
    settings: Settings, sessions: SessionFactory, state: State, *, audit: AuditTrail | None = None
) -> Platform:
    config = settings.platform
    secrets = await load_platform_secrets(settings, sessions)
    outbox = open_outbox(settings, sessions)
    return Platform(
        settings=settings,
        sessions=sessions,
        state=state,
        tokens=TokenCodec(
            secrets.jwt_secret,
            issuer=config.jwt_issuer,
            audience=config.jwt_audience,
            ttl_s=config.access_token_ttl_s,
        ),
        passwords=Passwords(config.password_hash_concurrency),
        throttle=LoginThrottle(
            state,
            per_account_ip=config.login_failures_per_account_ip,
            per_ip=config.login_attempts_per_ip,
            slowdown_after=config.login_failures_per_account,
            slowdown_max_s=config.login_slowdown_max_s,
            known_ip_ttl_s=config.login_known_address_ttl_s,
        ),
        mailer=Mailer(
            settings.mail, tls_context=_mail_tls(settings), keep=outbox.put if outbox is not None else None
        ),
        envelope=Envelope(secrets.master_keys, secrets.active_master_key),
        live=LiveConfig(state, sessions, poll_s=config.live_config_poll_s),
        key_secret=await key_hmac_secret(settings, sessions),
        audit=audit,
        outbox=outbox,
    )


def _mail_tls(settings: Settings) -> ssl.SSLContext | None:
    """The certificates mail servers are checked against: ``mail.ca_file`` if set, else the system's."""
    if settings.mail.ca_file is None:
        return None
    try:
        return ssl.create_default_context(cafile=settings.mail.ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"cannot load mail.ca_file {settings.mail.ca_file}: {exc}") from exc


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


@dataclass(slots=True)
class UnitOfWork:
    """One request's session. Call ``config_changed()`` when the change must reach the gateways."""

    session: AsyncSession
    changed_config: bool = field(default=False)

    def config_changed(self) -> None:
        self.changed_config = True


async def unit_of_work(platform: PlatformDep, request: Request) -> AsyncIterator[UnitOfWork]:
    """The request's session; after the commit, each change it made becomes a durable audit event."""
    async with platform.sessions() as session:
        check_column_values(session)  # over-long or NUL strings: a 400 naming the field, not a 500
        work = UnitOfWork(session)
        tracker = ChangeTracker(session) if platform.audit is not None else None
        yield work
        generation = await platform.live.bump(session) if work.changed_config else None
        await session.commit()
    if tracker is not None and tracker.changes and platform.audit is not None:
        await _audit_changes(platform, platform.audit, request, tracker)
    if generation is not None:
        await platform.live.announce(generation)


async def _audit_changes(
    platform: Platform, audit: AuditTrail, request: Request, tracker: ChangeTracker
) -> None:
    """Append the events in order and wait for the last: the answer goes out once they are durable."""
    actor = _actor(platform, request)
    source_ip = request.client.host if request.client is not None else None
    events = [change.event(actor, source_ip) for change in tracker.changes]
    for event in events[:-1]:
        audit.append(event)
    await audit.record(events[-1])


async def audit_action(platform: Platform, request: Request, change: ControlPlaneEvent) -> None:
    """Audit an operator action that changes no row (``change`` with ``actor`` and ``source_ip`` left
    empty, filled here); the answer goes out once it is durable, like a row's change."""
    if platform.audit is None:
        return
    source_ip = request.client.host if request.client is not None else None
    await platform.audit.record(
        change.model_copy(update={"actor": _actor(platform, request), "source_ip": source_ip})
    )


def _actor(platform: Platform, request: Request) -> str:
    """Who made the change: ``admin-token``, ``user:<id>``, or ``anonymous`` (sign-up, sign-in, resets)."""
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return "anonymous"
    admin_token = platform.settings.admin_token
    if admin_token is not None and hmac.compare_digest(
        token.encode(), admin_token.get_secret_value().encode()
    ):
        return "admin-token"
    try:
        return f"user:{platform.tokens.decode(token).user_id}"
    except ApiUnauthorized:
        return "anonymous"


Work = Annotated[UnitOfWork, Depends(unit_of_work, scope="function")]
