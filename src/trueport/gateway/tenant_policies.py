"""Every tenant's active guard policy, in memory, ready to run: the hot path never asks the database.

The control plane stores policies as versions (``tenant_policies``; the highest version is the active
one). ``TenantPolicies.reload(sessions)`` reads the latest version of every tenant in one query and
swaps in a new ``{tenant_id: GuardEngine}`` map; the live-config watcher calls it whenever the
configuration changes, and start-up calls it once. A tenant without a stored policy gets the
installation's (``guard.policy_file``, or the built-in default).

An engine is built once per policy version (plans resolved, contexts made) and kept across reloads
while the tenant's version is unchanged: versions are immutable rows, so the same version is the
same policy. A stored policy that no longer parses (the format moved on since it was written) keeps
the tenant on its previous engine, or on the installation policy if there is none, and is logged:
one broken row must not stop the reload for everybody.

A **shadow trial** (``guard.shadow_trial``, for the calls the ``guard_shadow_trial`` flag is on for)
runs more detectors than the policy names: ``trial_engine_for`` gives the tenant's policy plus each
trial detector the policy leaves off on the way in, set to ``flag`` in shadow mode (findings recorded
with ``shadow: true``, never enforced). A detector the policy already runs keeps its rule. The trial
covers requests only: on answers it would hold streams back for a detector that enforces nothing.
Trial engines are built on first use and dropped at each reload.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.engine import SessionFactory
from trueport.db.models import TenantPolicy
from trueport.guard.base import Detector
from trueport.guard.engine import GuardEngine
from trueport.guard.findings_cache import FindingsCache
from trueport.guard.policy import Action, DetectorPolicy, DirectionPolicy, Policy, PolicyError, default_policy
from trueport.settings import GuardConfig

log = structlog.get_logger(__name__)

StoredPolicy = tuple[str, int, dict[str, Any]]  # tenant id, version, the policy as stored


def installation_policy(config: GuardConfig) -> Policy:
    """The policy of tenants that have none of their own: ``policy_file``, or the built-in default.

    The built-in default names only the detectors the installation runs (``guard.detectors``): its
    rules for a detector left out would fail closed and refuse every call. A ``policy_file`` is taken
    as written. The file is read once per process (like the gateway, which loads it at start-up): a
    changed file takes effect on restart, on the data plane and the control plane alike.
    """
    if config.policy_file is None:
        policy = default_policy()
        installed = {name: rules for name, rules in policy.detectors.items() if name in config.detectors}
        return policy.model_copy(update={"detectors": installed})
    return _policy_file(config.policy_file)


@lru_cache(maxsize=4)
def _policy_file(path: str) -> Policy:
    return Policy.from_json(Path(path).read_bytes())


async def latest_policies(session: AsyncSession) -> list[StoredPolicy]:
    """The highest version of every tenant's policy, in one query (across tenants: the gateway's view)."""
    latest = (
        select(TenantPolicy.tenant_id, func.max(TenantPolicy.version).label("version"))
        .group_by(TenantPolicy.tenant_id)
        .subquery()
    )
    statement = select(TenantPolicy.tenant_id, TenantPolicy.version, TenantPolicy.policy).join(
        latest,
        (TenantPolicy.tenant_id == latest.c.tenant_id) & (TenantPolicy.version == latest.c.version),
    )
    rows = await session.execute(statement)
    return [(tenant_id, version, dict(policy)) for tenant_id, version, policy in rows]


_TRIAL_RULE = DetectorPolicy(shadow=True, input=DirectionPolicy(action=Action.FLAG))


def with_shadow_trial(policy: Policy, detectors: Sequence[str]) -> Policy:
    """``policy`` plus, in shadow mode on the way in, each of ``detectors`` it leaves off there."""
    added = {
        name: _TRIAL_RULE
        for name in detectors
        if (rule := policy.detector(name)) is None or not rule.input.active
    }
    if not added:
        return policy
    return policy.model_copy(update={"detectors": {**policy.detectors, **added}})


class TenantPolicies:
    """``{tenant_id: GuardEngine}`` for tenants with a policy of their own; the installation's for the rest."""

    def __init__(
        self,
        detectors: Sequence[Detector],
        installation: Policy,
        *,
        cache: FindingsCache | None = None,
        trial: Sequence[str] = (),
    ):
        self._detectors = list(detectors)
        self._trial = tuple(trial)  # guard.shadow_trial
        self._trial_engines: dict[str | None, GuardEngine] = {}
        self._cache = cache  # shared by every engine: the detectors are the same, the policies apply after
        self.installation = GuardEngine(self._detectors, installation, cache=cache)
        self._engines: dict[str, GuardEngine] = {}
        self.loaded_at: float | None = None  # time.monotonic() of the last successful reload

    @property
    def size(self) -> int:
        """How many tenants have a policy of their own."""
        return len(self._engines)

    def engine_for(self, tenant_id: str | None) -> GuardEngine:
        if tenant_id is None:
            return self.installation
        return self._engines.get(tenant_id, self.installation)

    def trial_engine_for(self, tenant_id: str | None) -> GuardEngine:
        """The tenant's engine with the shadow trial's detectors added (itself if none is added)."""
        engine = self._trial_engines.get(tenant_id)
        if engine is None:
            base = self.engine_for(tenant_id)
            policy = with_shadow_trial(base.policy, self._trial)
            engine = (
                base
                if policy is base.policy
                else GuardEngine(self._detectors, policy, tenant_id=base.tenant_id, cache=self._cache)
            )
            self._trial_engines[tenant_id] = engine
        return engine

    def policy_for(self, tenant_id: str | None) -> Policy:
        return self.engine_for(tenant_id).policy

    async def reload(self, sessions: SessionFactory) -> None:
        """Read every tenant's active policy and swap it in; raises if the database cannot be read
        (the policies in memory stay as they were)."""
        async with sessions() as session:
            stored = await latest_policies(session)
        self.replace(stored)

    def replace(self, stored: Iterable[StoredPolicy]) -> None:
        """Make ``stored`` the active policies (tenants not in it fall back to the installation's)."""
        engines: dict[str, GuardEngine] = {}
        for tenant_id, version, data in stored:
            current = self._engines.get(tenant_id)
            if current is not None and current.policy.version == version:
                engines[tenant_id] = current
                continue
            try:
                policy = Policy.from_dict({**data, "version": version})
            except PolicyError as exc:
                log.error(
                    "tenant_policy_invalid", tenant_id=tenant_id, version=version, problems=len(exc.problems)
                )
                if current is not None:
                    engines[tenant_id] = current
                continue
            engines[tenant_id] = GuardEngine(self._detectors, policy, tenant_id=tenant_id, cache=self._cache)
        self._engines = engines
        self._trial_engines = {}
        self.loaded_at = time.monotonic()
