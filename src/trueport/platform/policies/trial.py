"""``POST /policies/try``: what the gateway would decide for a sample text under a draft or the active policy.

The draft is validated exactly as a save validates it (``service.checked_policy``: 400
``invalid_policy`` naming each field), and the sample is scanned by this installation's own
detectors (the running ``GuardService``'s, models included) in a worker thread, off the event loop.
Nothing is recorded: no violation, no review item, no audit event; the matched text goes back only
to the person who pasted it.
"""

from __future__ import annotations

import asyncio

from trueport.errors import ApiConflict, ApiInvalid, ApiTooLarge
from trueport.gateway.guarding import GuardService
from trueport.guard.base import Finding
from trueport.guard.engine import Decision, GuardEngine, ScannedText
from trueport.guard.redaction import RedactionMap
from trueport.platform.context import UnitOfWork
from trueport.platform.policies import service
from trueport.platform.policies.schemas import (
    MAX_TRY_BYTES,
    TriedBlock,
    TriedFailure,
    TriedFinding,
    TryIn,
    TryOut,
)
from trueport.platform.tenancy import TenantContext
from trueport.settings import GuardConfig


async def try_policy(
    work: UnitOfWork, ctx: TenantContext, config: GuardConfig, guard: GuardService | None, body: TryIn
) -> TryOut:
    if guard is None:
        raise ApiConflict(
            "the guard is disabled on this installation (guard.enabled: false): there is nothing to try",
            code="guard_disabled",
        )
    try:
        size = len(body.text.encode())
    except UnicodeEncodeError:  # a lone surrogate (JSON's "\ud800"): no detector or answer can carry it
        raise ApiInvalid("text: not valid Unicode (it holds a lone surrogate)", code="invalid_text") from None
    if size > MAX_TRY_BYTES:
        raise ApiTooLarge(
            f"text: the sample is longer than {MAX_TRY_BYTES // 1024} KiB; try a shorter excerpt",
            code="text_too_large",
        )
    if body.policy is not None:
        policy, version = service.checked_policy(body.policy, 1, config), None
    else:
        active = await service.active_version(work, ctx, config)
        policy, version = active.policy, active.version
    engine = GuardEngine(guard.detectors, policy, tenant_id=ctx.tenant_id)
    scanned = ScannedText(body.text, ("text",), body.source)
    decision = await asyncio.to_thread(engine.evaluate, [scanned], body.direction)
    return _answer(decision, body.text, version)


def _answer(decision: Decision, text: str, version: int | None) -> TryOut:
    block = decision.block
    redactions = [applied.finding for applied in decision.redactions]
    return TryOut(
        policy_version=version,
        blocked=decision.blocked,
        block=TriedBlock(reason=block.reason, detector=block.detector, type=block.type) if block else None,
        findings=[
            TriedFinding(
                detector=a.finding.detector,
                type=a.finding.type,
                start=a.finding.start,
                end=a.finding.end,
                score=round(a.finding.score, 4),
                action=a.action,
                shadow=a.shadow,
            )
            for a in decision.findings
        ],
        redacted_text=_redacted(text, redactions),
        failures=[
            TriedFailure(detector=f.detector, error=f.error, fail_mode=f.fail_mode) for f in decision.failures
        ],
        deferred=list(decision.deferred),
        skipped=list(decision.skipped),
    )


def _redacted(text: str, findings: list[Finding]) -> str:
    """``text`` as the provider (input) or the client (output) would see it."""
    if not findings:
        return text
    redactions = RedactionMap()
    redactions.reserve(text)  # a placeholder the sample already contains is never reissued
    return redactions.redact(text, findings, reversible=False)
