"""Every feature flag the code knows, declared in one place with its default and what it does.

Code asks about a flag through ``Flags.enabled(Flag.X, ...)``; a name that is not here cannot be
set through the API (400 ``unknown_flag``) nor in the config file (start-up refuses it). Adding a
flag is one line in ``Flag``, one ``FlagSpec`` and a paragraph in docs/flags.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Flag(StrEnum):
    RESPONSE_CACHE = "response_cache"
    GUARD_SHADOW_TRIAL = "guard_shadow_trial"
    CANARY_TARGETS = "canary_targets"


@dataclass(frozen=True, slots=True)
class FlagSpec:
    flag: Flag
    default: bool  # the installation's answer when neither the config file nor the API set a rule
    description: str


FLAGS: dict[Flag, FlagSpec] = {
    spec.flag: spec
    for spec in (
        FlagSpec(
            Flag.RESPONSE_CACHE,
            True,
            "The response cache of aliases that set cache_ttl_s; off: such calls go upstream uncached.",
        ),
        FlagSpec(
            Flag.GUARD_SHADOW_TRIAL,
            False,
            "Run the detectors listed in guard.shadow_trial in shadow mode (findings recorded, never "
            "enforced) on calls whose tenant policy leaves them off.",
        ),
        FlagSpec(
            Flag.CANARY_TARGETS,
            False,
            "Route targets marked `flag: canary_targets` in the config file are used only for the calls "
            "this flag is on for; for the others they are skipped.",
        ),
    )
}


def known_flag(name: str) -> Flag | None:
    """The flag called ``name``, or None if no such flag is declared."""
    try:
        return Flag(name)
    except ValueError:
        return None
