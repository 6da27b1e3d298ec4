"""Where flag rules are stored, and the gateway's one read of all of them (across tenants).

- Installation-wide rules set through the API: ``installation_settings`` rows named
  ``flag:<name>`` whose value is the rule as JSON (they replace the config file's ``flags:`` rule).
- A tenant's rules: ``tenant_feature_flags`` rows (one per tenant and flag).
- A boolean under a known flag's name in the tenant's ``/settings`` feature flags is read as
  ``{"enabled": <bool>}`` for that tenant, unless a ``tenant_feature_flags`` row says otherwise.

Rows that no longer parse (a flag removed from the code, a rule format that moved on) are skipped
and logged: one bad row must not stop the reload for everybody.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import orjson
import structlog
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trueport.db.models import InstallationSetting, TenantFeatureFlag, TenantSettings
from trueport.flags.registry import Flag, known_flag
from trueport.flags.rules import FlagRule

log = structlog.get_logger(__name__)

INSTALLATION_PREFIX = "flag:"


def installation_row_name(flag: Flag) -> str:
    return f"{INSTALLATION_PREFIX}{flag.value}"


@dataclass(slots=True)
class StoredFlags:
    """Every rule the database holds: installation-wide, and per tenant."""

    installation: dict[Flag, FlagRule] = field(default_factory=dict)
    tenants: dict[str, dict[Flag, FlagRule]] = field(default_factory=dict)


def _rule(value: object, where: str) -> FlagRule | None:
    try:
        return FlagRule.model_validate(value)
    except ValidationError:
        log.error("flag_rule_invalid", where=where)
        return None


async def load_stored_flags(session: AsyncSession) -> StoredFlags:
    """Three small queries: installation rules, tenants' legacy booleans, tenants' rules."""
    stored = StoredFlags()
    rows = await session.execute(
        select(InstallationSetting.name, InstallationSetting.value).where(
            InstallationSetting.name.startswith(INSTALLATION_PREFIX)
        )
    )
    for name, value in rows:
        flag = known_flag(name.removeprefix(INSTALLATION_PREFIX))
        try:
            data = orjson.loads(value)
        except orjson.JSONDecodeError:
            data = None
        rule = _rule(data, name) if flag is not None else None
        if flag is not None and rule is not None:
            stored.installation[flag] = rule
    legacy = await session.execute(select(TenantSettings.tenant_id, TenantSettings.feature_flags))
    for tenant_id, flags in legacy:
        for flag_name, on in dict(flags or {}).items():
            flag = known_flag(flag_name)
            if flag is not None and isinstance(on, bool):
                stored.tenants.setdefault(tenant_id, {})[flag] = FlagRule(enabled=on)
    rules = await session.execute(
        select(TenantFeatureFlag.tenant_id, TenantFeatureFlag.name, TenantFeatureFlag.rule)
    )
    for tenant_id, name, data in rules:
        flag = known_flag(name)
        rule = _rule(data, f"{tenant_id}/{name}") if flag is not None else None
        if flag is not None and rule is not None:
            stored.tenants.setdefault(tenant_id, {})[flag] = rule
    return stored


def merged_rules(
    configured: Mapping[Flag, FlagRule], stored: Mapping[Flag, FlagRule]
) -> dict[Flag, FlagRule]:
    """The installation's rule of every flag: stored through the API, else the config file's."""
    return {**configured, **stored}
