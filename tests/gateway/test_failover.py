"""``call_with_failover`` with breakers, retries and a deadline, against scripted attempts."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from trueport.errors import (
    UpstreamError,
    UpstreamFailed,
    UpstreamRejected,
    UpstreamStatus,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from trueport.gateway.failover import Resilience, all_failed, call_with_failover
from trueport.gateway.router import Target
from trueport.limits.breaker import BreakerPolicy, BreakerRegistry, State
from trueport.limits.breaker_store import MemoryBreakerStore
from trueport.providers.fixed import FixedAnswerAdapter
from trueport.providers.wrappers import RetryBudget, RetryPolicy
from trueport.settings import ResilienceConfig
from trueport.usage.records import RequestRecordData

A = Target("a", "m", FixedAnswerAdapter("a", "from a"))
B = Target("b", "m", FixedAnswerAdapter("b", "from b"))
Outcome = UpstreamError | str | float  # an error to raise, an answer, or seconds to hang


def new_record() -> RequestRecordData:
    return RequestRecordData(id="r", created_at=datetime.now(UTC), endpoint="/v1/chat/completions")


class Script:
    """Each target answers with its outcomes in turn (the last one repeats); calls are counted."""

    def __init__(self, **outcomes: list[Outcome]):
        self.outcomes = outcomes
        self.calls: list[str] = []

    async def __call__(self, target: Target) -> str:
        self.calls.append(target.provider)
        queue = self.outcomes[target.provider]
        outcome = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(outcome, UpstreamError):
            raise outcome
        if isinstance(outcome, float):
            await asyncio.sleep(outcome)
            return "late"
        return outcome


def resilience(
    *,
    breakers: BreakerRegistry | None = None,
    max_attempts: int = 3,
    deadline_s: float = 5.0,
    attempt_timeout_s: float | None = None,
    budget: RetryBudget | None = None,
) -> Resilience:
    return Resilience(
        breakers=breakers,
        retry=RetryPolicy(
            max_attempts=max_attempts,
            backoff_s=0.001,
            backoff_max_s=0.002,
            attempt_timeout_s=attempt_timeout_s,
        ),
        budget=budget or RetryBudget(ratio=1.0, min_per_s=100.0),
        deadline_s=deadline_s,
        rng=random.Random(1),
    )


def registry(**policy: object) -> BreakerRegistry:
    values: dict[str, object] = {
        "consecutive_failures": 2,
        "min_calls": 1000,
        "open_s": 60.0,
        "slow_call_s": None,
    }
    values.update(policy)
    rules = BreakerPolicy(**values)  # type: ignore[arg-type]
    return BreakerRegistry(MemoryBreakerStore(), rules, labels=[A.label, B.label])


def unavailable() -> UpstreamUnavailable:
    return UpstreamUnavailable("refused", provider="x")


def status(code: int) -> UpstreamStatus:
    return UpstreamStatus(f"answered {code}", provider="x", status=code)


async def run(
    script: Callable[[Target], Awaitable[str]], resilience_: Resilience | None, *targets: Target
) -> tuple[str, RequestRecordData]:
    record = new_record()
    target, answer = await call_with_failover(targets or (A, B), script, record, resilience=resilience_)
    return f"{target.provider}:{answer}", record


async def test_without_resilience_each_target_is_tried_once() -> None:
    script = Script(a=[status(503)], b=["ok"])
    answer, record = await run(script, None)
    assert answer == "b:ok"
    assert script.calls == ["a", "b"]
    assert (record.attempts, record.targets_tried) == (2, ["a/m", "b/m"])


async def test_a_retry_on_the_same_target_succeeds() -> None:
    script = Script(a=[status(503), "ok"], b=["never"])
    answer, record = await run(script, resilience())
    assert answer == "a:ok"
    assert (record.attempts, record.targets_tried) == (2, ["a/m", "a/m"])


async def test_attempts_per_target_then_failover() -> None:
    script = Script(a=[unavailable()], b=["ok"])
    answer, record = await run(script, resilience(max_attempts=3))
    assert answer == "b:ok"
    assert script.calls == ["a", "a", "a", "b"]
    assert record.targets_tried == ["a/m", "a/m", "a/m", "b/m"]


async def test_a_refused_credential_fails_over_at_once() -> None:
    script = Script(a=[status(401)], b=["ok"])
    answer, _record = await run(script, resilience(max_attempts=3))
    assert answer == "b:ok"
    assert script.calls == ["a", "b"]


async def test_the_clients_own_fault_goes_back_and_is_no_breaker_failure() -> None:
    breakers = registry(consecutive_failures=1)
    script = Script(a=[status(422)], b=["never"])
    record = new_record()
    with pytest.raises(UpstreamRejected) as caught:
        await call_with_failover((A, B), script, record, resilience=resilience(breakers=breakers))
    assert caught.value.status == 422
    assert script.calls == ["a"]
    assert (record.provider, record.upstream_model) == ("a", "m")
    (state, _b) = await breakers.snapshot()
    assert (state.state, state.calls, state.failure_rate) == (State.CLOSED, 1, 0.0)


async def test_every_attempt_is_recorded_and_an_open_breaker_is_skipped() -> None:
    breakers = registry(consecutive_failures=2)
    script = Script(a=[status(500)], b=["ok"])
    answer, _record = await run(script, resilience(breakers=breakers, max_attempts=3))
    assert answer == "b:ok"
    assert script.calls == ["a", "a", "b"]  # the second failure opened a: no third attempt
    states = {state.label: state.state for state in await breakers.snapshot()}
    assert states == {"a/m": State.OPEN, "b/m": State.CLOSED}
    script.calls.clear()
    answer, record = await run(script, resilience(breakers=breakers))
    assert answer == "b:ok"
    assert script.calls == ["b"]
    assert (record.attempts, record.targets_tried) == (1, ["b/m"])


async def test_every_breaker_open_is_a_clear_503() -> None:
    breakers = registry(consecutive_failures=1)
    for target in (A, B):
        with pytest.raises(UpstreamFailed):
            await run(Script(a=[status(500)], b=[status(500)]), resilience(breakers=breakers), target)
    script = Script(a=["never"], b=["never"])
    record = new_record()
    with pytest.raises(UpstreamFailed) as caught:
        await call_with_failover((A, B), script, record, resilience=resilience(breakers=breakers))
    assert caught.value.status == 503
    assert "circuit open for 2 target(s)" in caught.value.message
    assert "a/m" not in caught.value.message  # targets are not named to the client
    assert script.calls == []
    assert record.attempts == 0


async def test_skipped_targets_and_a_failure_502() -> None:
    breakers = registry(consecutive_failures=1)
    with pytest.raises(UpstreamFailed):
        await run(Script(a=[status(500)]), resilience(breakers=breakers, max_attempts=1), A)
    with pytest.raises(UpstreamFailed) as caught:
        await run(Script(a=["never"], b=[status(500)]), resilience(breakers=breakers, max_attempts=1))
    assert caught.value.status == 502
    assert "circuit open for 1 target(s)" in caught.value.message


@pytest.mark.parametrize(
    ("errors", "expected"),
    [
        ([status(429), status(429)], 429),
        ([status(503), unavailable()], 503),
        ([status(500), status(503)], 502),
        ([UpstreamTimeout("t")], 502),
    ],
)
async def test_client_statuses_are_kept(errors: list[UpstreamError], expected: int) -> None:
    script = Script(a=[errors[0]], b=[errors[-1]])
    with pytest.raises(UpstreamFailed) as caught:
        await run(script, resilience(breakers=registry(consecutive_failures=0)))
    assert caught.value.status == expected
    assert all_failed(errors).status == expected


async def test_a_hanging_attempt_is_cut_at_the_attempt_timeout() -> None:
    script = Script(a=[30.0], b=["ok"])
    started = time.monotonic()
    answer, record = await run(script, resilience(attempt_timeout_s=0.2, max_attempts=1))
    assert answer == "b:ok"
    assert time.monotonic() - started < 0.2 + 0.25
    assert record.attempts == 2


async def test_the_deadline_bounds_the_whole_request() -> None:
    script = Script(a=[30.0], b=[30.0])
    breakers = registry(consecutive_failures=0)
    started = time.monotonic()
    with pytest.raises(UpstreamFailed) as caught:
        await run(script, resilience(breakers=breakers, deadline_s=0.3, max_attempts=3))
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 0.3 + 0.25
    assert caught.value.status == 502
    assert caught.value.last is not None
    assert "deadline of 0.3s passed before b/m" in caught.value.last.message  # for the log
    assert "timed out" in caught.value.message and "b/m" not in caught.value.message
    assert script.calls == ["a"]
    (a_state, _b) = await breakers.snapshot()
    assert a_state.failure_rate == 1.0  # the timeout counted against a


async def test_no_retry_when_the_backoff_would_pass_the_deadline() -> None:
    policy = Resilience(
        breakers=None,
        retry=RetryPolicy(max_attempts=5, backoff_s=10.0, backoff_max_s=10.0),
        budget=RetryBudget(),
        deadline_s=0.5,
        rng=random.Random(2),  # draws a backoff above 0.5 s
    )
    script = Script(a=[status(503)], b=["ok"])
    started = time.monotonic()
    answer, _record = await run(script, policy)
    assert answer == "b:ok"
    assert time.monotonic() - started < 0.2


async def test_the_retry_budget_caps_retries() -> None:
    budget = RetryBudget(ratio=0.2, min_per_s=0.0)
    policy = resilience(max_attempts=3, budget=budget)
    script = Script(a=[status(503)])
    for _ in range(200):
        with pytest.raises(UpstreamFailed):
            await run(script, policy, A)
    retries = len(script.calls) - 200
    assert retries <= 0.2 * 200
    assert retries >= 0.2 * 200 - 2
    assert budget.spent == (200, retries)


async def test_a_cancelled_attempt_records_nothing() -> None:
    breakers = registry(consecutive_failures=1)
    script = Script(a=[30.0])
    task = asyncio.create_task(run(script, resilience(breakers=breakers), A))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    (state, _b) = await breakers.snapshot()
    assert (state.state, state.calls) == (State.CLOSED, 0)


async def test_from_config() -> None:
    config = ResilienceConfig(deadline_s=7, retry_max_attempts=4, retry_budget_ratio=0.1)
    built = Resilience.from_config(config, None)
    assert (built.deadline_s, built.retry.max_attempts, built.budget.ratio) == (7, 4, 0.1)
