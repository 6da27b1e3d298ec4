"""What ``/flags`` and ``/admin/flags`` do: read and set the rules of the known feature flags.

A name that is not a known flag is 404 ``unknown_flag`` (the message lists the known ones); a
tenant rule naming a key the tenant does not have is 400 ``unknown_key``. Every write marks the
configuration as changed, so gateways reload their flags at once (push) or at their next poll, and
is audited like every other control-plane change (the unit of work records the row's before/after).
"""

from __future__ import annotations

import orjson
from pydantic import ValidationError

from trueport.db.models import TenantFeatureFlag
from trueport.errors import ApiInvalid, ApiNotFound
from trueport.flags.registry import FLAGS, Flag, known_flag
from trueport.flags.rules import FlagRule
from trueport.jsonutil import dumps
from trueport.platform.context import UnitOfWork
from trueport.platform.flags.repository import FlagKeyRepo, InstallationFlagRepo, TenantFlagRepo
from trueport.platform.flags.schemas import (
    FlagsOut,
    InstallationFlagOut,
    InstallationFlagRule,
    InstallationFlagsOut,
    TenantFlagOut,
    TenantFlagRule,
)
from trueport.platform.tenant_settings.repository import SettingsRepo
from trueport.settings import Settings


def flag_named(name: str) -> Flag:
    flag = known_flag(name)
    if flag is None:
        known = ", ".join(sorted(f.value for f in FLAGS))
        raise ApiNotFound(
            f"there is no feature flag named {name!r}; the known flags are: {known}", code="unknown_flag"
        )
    return flag


def configured_rule(settings: Settings, flag: Flag) -> FlagRule:
    return settings.flags.get(flag) or FlagRule(enabled=FLAGS[flag].default)


def _stored_rule(value: str | None) -> FlagRule | None:
    if value is None:
        return None
    try:
        return FlagRule.model_validate(orjson.loads(value))
    except (orjson.JSONDecodeError, ValidationError):
        return None  # unreadable: the gateways skip it too (and log it)


def _tenant_rule(data: object) -> FlagRule | None:
    try:
        return FlagRule.model_validate(data)
    except ValidationError:
        return None


async def installation_flags(work: UnitOfWork, settings: Settings) -> InstallationFlagsOut:
    stored = await InstallationFlagRepo(work.session).all()
    return InstallationFlagsOut(
        flags=[_installation_out(settings, flag, stored.get(flag.value)) for flag in FLAGS]
    )


def _installation_out(settings: Settings, flag: Flag, value: str | None) -> InstallationFlagOut:
    configured = configured_rule(settings, flag)
    stored = _stored_rule(value)
    return InstallationFlagOut(
        name=flag.value,
        description=FLAGS[flag].description,
        default=FLAGS[flag].default,
        configured=configured,
        stored=stored,
        effective=stored or configured,
    )


async def set_installation_flag(
    work: UnitOfWork, settings: Settings, name: str, body: InstallationFlagRule
) -> InstallationFlagOut:
    flag = flag_named(name)
    value = dumps(body.rule().model_dump(mode="json")).decode()
    repo = InstallationFlagRepo(work.session)
    row = await repo.named(flag)
    if row is None:
        row = repo.add(flag, value)
    elif row.value == value:
        return _installation_out(settings, flag, row.value)  # nothing changes: nothing to announce
    else:
        row.value = value
    await work.session.flush()
    work.config_changed()
    return _installation_out(settings, flag, row.value)


async def clear_installation_flag(work: UnitOfWork, name: str) -> None:
    """Remove the API's rule: the config file's (or the default) applies again."""
    flag = flag_named(name)
    repo = InstallationFlagRepo(work.session)
    row = await repo.named(flag)
    if row is None:
        return
    await repo.delete(row)
    await work.session.flush()
    work.config_changed()


async def tenant_flags(work: UnitOfWork, settings: Settings, tenant_id: str) -> FlagsOut:
    rules = await _tenant_rules(work, tenant_id)
    stored = await InstallationFlagRepo(work.session).all()
    return FlagsOut(
        flags=[_tenant_out(settings, flag, rules.get(flag), stored.get(flag.value)) for flag in FLAGS]
    )


async def _tenant_rules(work: UnitOfWork, tenant_id: str) -> dict[Flag, FlagRule]:
    """The tenant's rules as the gateways read them: its rows, else a boolean in its /settings flags."""
    rules: dict[Flag, FlagRule] = {}
    settings_row = await SettingsRepo(work.session, tenant_id).first()
    for flag_name, on in dict(settings_row.feature_flags if settings_row is not None else {}).items():
        flag = known_flag(flag_name)
        if flag is not None and isinstance(on, bool):
            rules[flag] = FlagRule(enabled=on)
    for row in await TenantFlagRepo(work.session, tenant_id).all():
        flag = known_flag(row.name)
        rule = _tenant_rule(row.rule) if flag is not None else None
        if flag is not None and rule is not None:
            rules[flag] = rule
    return rules


def _tenant_out(settings: Settings, flag: Flag, rule: FlagRule | None, stored: str | None) -> TenantFlagOut:
    return TenantFlagOut(
        name=flag.value,
        description=FLAGS[flag].description,
        default=FLAGS[flag].default,
        tenant=rule,
        installation=_stored_rule(stored) or configured_rule(settings, flag),
    )


async def set_tenant_flag(
    work: UnitOfWork, settings: Settings, tenant_id: str, name: str, body: TenantFlagRule
) -> TenantFlagOut:
    flag = flag_named(name)
    missing = await FlagKeyRepo(work.session, tenant_id).missing(body.keys)
    if missing:
        raise ApiInvalid(f"these keys are not keys of this tenant: {', '.join(missing)}", code="unknown_key")
    rule = body.rule()
    data = rule.model_dump(mode="json", exclude={"tenants"})
    repo = TenantFlagRepo(work.session, tenant_id)
    row = await repo.named(flag)
    changed = row is None or row.rule != data
    if row is None:
        repo.add(TenantFeatureFlag(name=flag.value, rule=data))
    elif changed:
        row.rule = data  # a new dict: the JSON column only sees an assignment as a change
    if changed:  # else nothing to write, announce or audit
        await work.session.flush()
        work.config_changed()
    stored = await InstallationFlagRepo(work.session).named(flag)
    return _tenant_out(settings, flag, rule, stored.value if stored is not None else None)


async def clear_tenant_flag(work: UnitOfWork, tenant_id: str, name: str) -> None:
    """Remove the tenant's rule (and a boolean of that name in its /settings flags): the
    installation's rule applies to it again."""
    flag = flag_named(name)
    repo = TenantFlagRepo(work.session, tenant_id)
    row = await repo.named(flag)
    changed = row is not None
    if row is not None:
        await repo.delete(row)
    settings_row = await SettingsRepo(work.session, tenant_id).first()
    if settings_row is not None and flag.value in settings_row.feature_flags:
        # A new dict, not an in-place edit: the JSON column only sees an assignment as a change.
        settings_row.feature_flags = {k: v for k, v in settings_row.feature_flags.items() if k != flag.value}
        changed = True
    if changed:
        await work.session.flush()
        work.config_changed()
