"""``Flags``: the one accessor code uses, answering from memory on the hot path.

    flags.enabled(Flag.RESPONSE_CACHE, tenant_id=key.tenant_id, key_id=key.id)

The answer comes from the tenant's rule for the flag if it has one, else the installation's (set
through the API, else the config file's ``flags:``, else the flag's default in the registry). It is
a dictionary lookup or two and, for a partial rollout, one memoised hash: no I/O, no lock.

The snapshot is replaced whole (``replace``) by ``reload``, which the live-config watcher runs when
the configuration generation moves (pushed after every API change, polled every
``platform.live_config_poll_s``) and which ``start`` also runs every ``refresh_s`` (30 s) whatever
the generation says, as a safety net. A reload that fails keeps the previous snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping

import structlog
from sqlalchemy.exc import SQLAlchemyError

from trueport.db.engine import SessionFactory
from trueport.flags.registry import FLAGS, Flag
from trueport.flags.rules import CompiledRule, FlagRule
from trueport.flags.store import StoredFlags, load_stored_flags, merged_rules

log = structlog.get_logger(__name__)

REFRESH_S = 30.0

_Compiled = dict[str, CompiledRule]


def default_rules() -> dict[Flag, FlagRule]:
    """Every known flag's rule when nothing is configured: its registry default, for everybody."""
    return {flag: FlagRule(enabled=spec.default) for flag, spec in FLAGS.items()}


def _compile(rules: Mapping[Flag, FlagRule]) -> _Compiled:
    return {flag.value: rule.compiled() for flag, rule in rules.items()}


class Flags:
    """Every flag's answer for a tenant and a key, from the snapshot in memory."""

    def __init__(self, configured: Mapping[Flag, FlagRule] | None = None, *, refresh_s: float = REFRESH_S):
        self.configured: dict[Flag, FlagRule] = {**default_rules(), **(configured or {})}
        self.refresh_s = refresh_s
        self.stored = StoredFlags()
        self._installation: _Compiled = _compile(self.configured)
        self._tenants: dict[str, _Compiled] = {}
        self._task: asyncio.Task[None] | None = None
        self.loaded_at: float | None = None  # time.monotonic() of the last successful reload
        self.reloads = 0

    def enabled(self, flag: Flag, *, tenant_id: str | None = None, key_id: str | None = None) -> bool:
        """Whether ``flag`` is on for a call of ``key_id`` (a virtual key's id) of ``tenant_id``."""
        rule = None
        if tenant_id is not None:
            rules = self._tenants.get(tenant_id)
            if rules is not None:
                rule = rules.get(flag)
        if rule is None:
            rule = self._installation[flag]
        return rule.decides(flag, tenant_id, key_id)

    def installation_rule(self, flag: Flag) -> FlagRule:
        """The installation-wide rule in force (stored through the API, else configured)."""
        return self.stored.installation.get(flag) or self.configured[flag]

    def replace(self, stored: StoredFlags) -> None:
        """Make ``stored`` the rules in force (one swap each: a call sees the old or the new snapshot)."""
        installation = _compile(merged_rules(self.configured, stored.installation))
        tenants = {tenant_id: _compile(rules) for tenant_id, rules in stored.tenants.items()}
        self._installation, self._tenants, self.stored = installation, tenants, stored
        self.loaded_at = time.monotonic()
        self.reloads += 1

    async def reload(self, sessions: SessionFactory) -> None:
        """Read every stored rule and swap them in; raises if the database cannot be read."""
        async with sessions() as session:
            stored = await load_stored_flags(session)
        self.replace(stored)

    def reloader(self, sessions: SessionFactory) -> Callable[[], Awaitable[None]]:
        """``reload`` bound to ``sessions``, for the live-config watcher (``ConfigWatcher.add``)."""

        async def reload_flags() -> None:
            await self.reload(sessions)

        return reload_flags

    def start(self, sessions: SessionFactory) -> None:
        """Reload every ``refresh_s`` in the background, whatever the configuration generation says."""
        if self._task is None:
            self._task = asyncio.create_task(self._refresh(sessions), name="flags-refresh")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _refresh(self, sessions: SessionFactory) -> None:
        while True:
            await asyncio.sleep(self.refresh_s)
            try:
                await self.reload(sessions)
            except (SQLAlchemyError, OSError) as exc:
                log.warning("flags_refresh_failed", error=type(exc).__name__)
            except Exception:  # a background boundary: the next round tries again
                log.exception("flags_refresh_failed")
