"""What ``/policies`` reads and returns: versions of a tenant's guard policy (``trueport.guard.policy``).

A submitted policy is taken as a plain JSON object and validated by ``Policy.from_dict`` in the
service, so that every problem comes back at once as one 400 ``invalid_policy`` (the format's own
errors, with their locations), not as a generic 422.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from trueport.db.models import TenantPolicy
from trueport.guard.base import Direction
from trueport.guard.base import Source as GuardSource
from trueport.guard.policy import Action, FailMode, Policy

MAX_VERSION = 2**31 - 1  # the column is a 32-bit integer

Source = Literal["tenant", "installation"]

# A realistic tenant policy: e-mail addresses may reach the provider, card numbers may not, and a
# stricter injection threshold is tried in shadow mode (recorded, not enforced) before it is enforced.
POLICY_EXAMPLE: dict[str, Any] = {
    "shadow": False,
    "detectors": {
        "pii": {
            "fail_mode": "closed",
            "latency_budget_ms": 10.0,
            "input": {"action": "redact", "types": {"email": "off", "credit_card": "block"}},
            "output": {"action": "redact", "types": {"email": "off"}},
        },
        "secrets": {
            "fail_mode": "closed",
            "latency_budget_ms": 10.0,
            "input": {"action": "block"},
            "output": {"action": "redact"},
        },
        "injection": {"shadow": True, "input": {"action": "block", "threshold": 0.35}},
        "bias": {"input": {"action": "flag"}, "output": {"action": "flag"}},
    },
}

_VERSION_EXAMPLE: dict[str, Any] = {
    "version": 3,
    "policy": {
        "version": 3,
        "restore_in_tool_arguments": False,
        "store_bodies": False,
        **POLICY_EXAMPLE,
    },
    "created_at": "2025-05-01T09:30:00Z",
    "created_by": "6d1f7a0e-3b8c-4c1e-9f55-2a7d8e0b9c41",
    "source": "tenant",
}


class PolicyVersionOut(BaseModel):
    """One version of a tenant's policy, or the installation's policy (``source``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_VERSION_EXAMPLE]})

    version: int = Field(description="The tenant's version number (1, 2, 3...); violations record it.")
    policy: Policy = Field(description="The policy; its `version` field equals `version`.")
    created_at: datetime | None = Field(description="null for the installation policy.")
    created_by: str | None = Field(description="Id of the user who saved it; null for the installation's.")
    source: Source = Field(
        description="`tenant`: a version the tenant saved; `installation`: the installation's policy, "
        "in force for tenants that never saved one."
    )

    @classmethod
    def of(cls, row: TenantPolicy) -> PolicyVersionOut:
        return cls(
            version=row.version,
            policy=Policy.from_dict({**row.policy, "version": row.version}),
            created_at=row.created_at,
            created_by=row.created_by,
            source="tenant",
        )

    @classmethod
    def installation(cls, policy: Policy) -> PolicyVersionOut:
        return cls(
            version=policy.version, policy=policy, created_at=None, created_by=None, source="installation"
        )


class PolicyIn(BaseModel):
    """A new version of the policy. Its `version` field, if any, is ignored: the next number is used."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"policy": POLICY_EXAMPLE}]})

    policy: dict[str, Any] = Field(
        description="A guard policy (the `Policy` schema). Detectors it does not name are off; "
        "detectors this installation does not run may not be enabled."
    )


class RollbackIn(BaseModel):
    """Make an earlier version active again, as a new version (history is never rewritten)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"version": 2}]})

    version: int = Field(ge=1, le=MAX_VERSION, description="The version to copy.")


MAX_TRY_BYTES = 32 * 1024  # a pasted sample, not a request body: larger ones are refused with 413


class TryIn(BaseModel):
    """A sample text to run through a policy: a draft (`policy`) or, without one, the active policy."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "policy": POLICY_EXAMPLE,
                    "text": "Reach me at alice@example.com; the key is AKIAIOSFODNN7EXAMPLE",
                    "source": "user",
                    "direction": "input",
                }
            ]
        },
    )

    policy: dict[str, Any] | None = Field(
        default=None,
        description="A draft guard policy, validated like a saved one; null or absent: the active policy.",
    )
    text: str = Field(description=f"The sample, at most {MAX_TRY_BYTES // 1024} KiB of UTF-8.")
    source: GuardSource = Field(default=GuardSource.USER, description="Where the text would come from.")
    direction: Direction = Field(
        default=Direction.INPUT, description="`input` (prompt) or `output` (answer)."
    )


class TriedFinding(BaseModel):
    """A finding that reached its threshold, with what the policy does about it."""

    detector: str
    type: str
    start: int | None = Field(description="Character offsets into `text`; null for a whole-text verdict.")
    end: int | None
    score: float
    action: Action = Field(description="`block`, `redact` or `flag` (findings turned `off` are not listed).")
    shadow: bool = Field(description="Computed but not enforced (the policy or detector is in shadow mode).")


class TriedBlock(BaseModel):
    reason: Literal["violation", "guard_unavailable"]
    detector: str
    type: str | None


class TriedFailure(BaseModel):
    detector: str
    error: str = Field(description="The exception's class name, or `DetectorMissing`.")
    fail_mode: FailMode


class TryOut(BaseModel):
    """What the gateway would decide for this text under the policy (nothing is recorded)."""

    policy_version: int | None = Field(description="The active version tried; null for a draft.")
    blocked: bool
    block: TriedBlock | None = Field(description="Why it would be blocked: the first enforced block.")
    findings: list[TriedFinding]
    redacted_text: str = Field(
        description="`text` with the enforced `redact` findings replaced by placeholders."
    )
    failures: list[TriedFailure]
    deferred: list[str] = Field(description="Detectors the policy runs asynchronously (not run here).")
    skipped: list[str] = Field(description="Inline detectors not run because an earlier one blocked.")
