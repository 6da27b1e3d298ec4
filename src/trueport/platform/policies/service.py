"""What ``/policies`` does: versions of a tenant's guard policy, appended, never rewritten.

Every save (an edit or a rollback) appends version N+1, so each violation's ``policy_version``
always names the exact rules that decided it, and a rollback is itself auditable (who brought an
old version back, when). The highest version is the active one; a tenant that never saved one runs
under the installation's policy (``guard.policy_file`` or the built-in default).

A policy is validated twice over: by its own format (``Policy.from_dict``: every problem is reported
at once, as 400 ``invalid_policy``), and against this installation, which must run every detector
the policy enables: a policy that relies on a detector the gateways lack would fail on every
request (closed or open, neither is what the tenant asked for). Writes mark the configuration as
changed, so the gateways reload their in-memory policies (``trueport.gateway.tenant_policies``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError

from trueport.db.models import TenantPolicy
from trueport.errors import ApiConflict, ApiInvalid, ApiNotFound
from trueport.gateway.tenant_policies import installation_policy
from trueport.guard.policy import Policy, PolicyError
from trueport.platform.context import UnitOfWork
from trueport.platform.pagination import PageQuery
from trueport.platform.policies.repository import PolicyRepo
from trueport.platform.policies.schemas import MAX_VERSION, PolicyVersionOut
from trueport.platform.tenancy import TenantContext
from trueport.settings import GuardConfig


def default_version(config: GuardConfig) -> PolicyVersionOut:
    return PolicyVersionOut.installation(installation_policy(config))


async def active_version(work: UnitOfWork, ctx: TenantContext, config: GuardConfig) -> PolicyVersionOut:
    latest = await PolicyRepo(work.session, ctx.tenant_id).latest()
    return PolicyVersionOut.of(latest) if latest is not None else default_version(config)


async def find_version(work: UnitOfWork, ctx: TenantContext, version: str | int) -> TenantPolicy:
    """The tenant's ``version``; a foreign, unknown or malformed one is simply not found."""
    number = _version_number(version)
    row = await PolicyRepo(work.session, ctx.tenant_id).version(number) if number is not None else None
    if row is None:
        raise ApiNotFound("no such version of this tenant's policy", code="policy_version_not_found")
    return row


async def list_versions(
    work: UnitOfWork, ctx: TenantContext, query: PageQuery
) -> tuple[list[TenantPolicy], bool]:
    return await PolicyRepo(work.session, ctx.tenant_id).page(query)


async def save(
    work: UnitOfWork, ctx: TenantContext, config: GuardConfig, data: dict[str, Any]
) -> TenantPolicy:
    """Append ``data`` as the tenant's next version, which becomes the active one."""
    repo = PolicyRepo(work.session, ctx.tenant_id)
    latest = await repo.latest()
    number = (latest.version if latest is not None else 0) + 1
    policy = checked_policy(data, number, config)
    row = repo.add(
        TenantPolicy(version=number, policy=policy.model_dump(mode="json"), created_by=ctx.user_id)
    )
    try:
        await work.session.flush()
    except IntegrityError:  # another save took this number between our read and our insert
        raise ApiConflict(
            "the policy was changed by someone else at the same time; reload it and try again",
            code="policy_conflict",
        ) from None
    work.config_changed()
    return row


async def rollback(work: UnitOfWork, ctx: TenantContext, config: GuardConfig, version: int) -> TenantPolicy:
    """Make ``version`` active again by saving a copy of it as the next version."""
    old = await find_version(work, ctx, version)
    return await save(work, ctx, config, dict(old.policy))


def checked_policy(data: dict[str, Any], version: int, config: GuardConfig) -> Policy:
    """``data`` as a ``Policy`` numbered ``version``, or 400 ``invalid_policy`` listing the problems."""
    try:
        policy = Policy.from_dict({**data, "version": version})
    except PolicyError as exc:
        raise ApiInvalid(str(exc), code="invalid_policy") from None
    installed = set(config.detectors)
    missing = sorted(
        name
        for name, rules in policy.detectors.items()
        if name not in installed and (rules.input.active or rules.output.active)
    )
    if missing:
        runs = ", ".join(config.detectors) or "none"
        problems = "; ".join(
            f"detectors.{name}: this installation does not run the {name} detector (it runs: {runs})"
            for name in missing
        )
        raise ApiInvalid(f"invalid guard policy: {problems}", code="invalid_policy")
    return policy


def _version_number(version: str | int) -> int | None:
    if isinstance(version, int):
        return version if 1 <= version <= MAX_VERSION else None
    if not version.isascii() or not version.isdigit() or len(version) > 10:
        return None
    return _version_number(int(version))
