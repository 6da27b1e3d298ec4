"""Retry behaviour: which errors repeat, full-jitter backoff, the retry budget and the deadline."""

from __future__ import annotations

import random

import pytest

from trueport.errors import UpstreamStatus, UpstreamStreamBroken, UpstreamTimeout, UpstreamUnavailable
from trueport.providers.wrappers import Deadline, RetryBudget, RetryPolicy
from trueport.settings import ResilienceConfig


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (UpstreamStatus("x", status=503), True),
        (UpstreamStatus("x", status=500), True),
        (UpstreamStatus("x", status=429), True),
        (UpstreamStatus("x", status=408), True),
        (UpstreamTimeout("x"), True),
        (UpstreamUnavailable("x"), True),
        (UpstreamStatus("x", status=401), False),  # this target's credential: fail over instead
        (UpstreamStatus("x", status=403), False),
        (UpstreamStatus("x", status=400), False),  # the request's own fault
        (UpstreamStatus("x", status=422), False),
        (UpstreamStreamBroken("x"), False),
    ],
)
def test_which_errors_are_retried(error: UpstreamStatus, retried: bool) -> None:
    assert RetryPolicy().retries(error) is retried


def test_backoff_is_full_jitter_doubling_to_a_cap() -> None:
    policy = RetryPolicy(backoff_s=0.1, backoff_max_s=0.5)
    rng = random.Random(3)
    for retry, cap in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.5), (10, 0.5), (200, 0.5)]:
        delays = [policy.backoff(retry, rng) for _ in range(2000)]
        assert all(0 <= delay <= cap for delay in delays)
        assert min(delays) < cap * 0.05  # the whole range is used: full jitter
        assert max(delays) > cap * 0.95
        assert sum(delays) / len(delays) == pytest.approx(cap / 2, rel=0.1)


def test_policy_from_config() -> None:
    config = ResilienceConfig(retry_max_attempts=3, retry_backoff_s=0.2, attempt_timeout_s=4)
    policy = RetryPolicy.from_config(config)
    assert (policy.max_attempts, policy.backoff_s, policy.attempt_timeout_s) == (3, 0.2, 4)


def test_budget_caps_retries_at_the_ratio_plus_the_minimum() -> None:
    clock = FakeClock()
    budget = RetryBudget(ratio=0.2, min_per_s=1.0, window_s=10.0, clock=clock)
    spent = 0
    for _ in range(1000):
        budget.deposit()
        for _ in range(3):  # every request wants three retries: an outage
            spent += budget.try_spend()
        clock.now += 0.001
    assert spent == 0.2 * 1000 + 1.0 * 10.0
    assert budget.spent == (1000, 210)


def test_budget_without_minimum_allows_one_retry_per_five_requests() -> None:
    budget = RetryBudget(ratio=0.2, min_per_s=0.0, window_s=10.0, clock=FakeClock())
    allowed = []
    for _ in range(20):
        budget.deposit()
        allowed.append(budget.try_spend())
    assert sum(allowed) == 4
    assert allowed[:4] == [False, False, False, False]


def test_budget_window_rolls() -> None:
    clock = FakeClock()
    budget = RetryBudget(ratio=0.5, min_per_s=0.0, window_s=10.0, clock=clock)
    for _ in range(10):
        budget.deposit()
    assert sum(budget.try_spend() for _ in range(10)) == 5
    clock.now += 5.0
    assert not budget.try_spend()  # still the same window
    clock.now += 6.0  # the requests and retries of the first second have left the window
    assert budget.spent == (0, 0)
    assert not budget.try_spend()
    budget.deposit()
    budget.deposit()
    assert budget.try_spend()


def test_budget_minimum_lets_a_quiet_service_retry() -> None:
    budget = RetryBudget(ratio=0.2, min_per_s=0.5, window_s=10.0, clock=FakeClock())
    assert sum(budget.try_spend() for _ in range(10)) == 5


def test_deadline() -> None:
    clock = FakeClock()
    deadline = Deadline(2.0, clock)
    assert deadline.remaining() == 2.0
    assert deadline.attempt_timeout(None) == 2.0
    assert deadline.attempt_timeout(0.5) == 0.5
    clock.now += 1.75
    assert deadline.attempt_timeout(0.5) == pytest.approx(0.25)
    assert not deadline.expired
    clock.now += 1.0
    assert deadline.expired
    assert deadline.remaining() == 0.0
