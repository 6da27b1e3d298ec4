"""What the control plane works with (``Platform``) and ``open_platform``, which builds it in the app's
lifespan. No web framework here: serving processes open the platform at start-up, and FastAPI is
imported by the control plane's first request (``trueport.platform.deferred``); the endpoints'
dependencies are in ``trueport.platform.context``.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

from trueport.audit.service import AuditTrail
from trueport.db.engine import SessionFactory
from trueport.errors import ConfigError
from trueport.events.bus import EventBus
from trueport.keys.secret import key_hmac_secret
from trueport.platform.auth.passwords import Passwords
from trueport.platform.auth.throttle import LoginThrottle
from trueport.platform.auth.tokens import TokenCodec
from trueport.platform.credentials.envelope import Envelope
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
